import { identifierKey } from './normalize';
import { IDENTIFIER_TYPES, type Assurance, type IdentifierType, type NormalizedIdentifier } from './types';

/** Which profiles Resolve joins on its own. */
export type AutoMergeMode = 'DISABLED' | 'ANONYMOUS_ONLY' | 'KNOWN_PROFILES';

/** The rule for one identifier type (or one custom type). */
export interface IdentifierRule {
  readonly type: IdentifierType;
  /** For CUSTOM: the custom type it applies to; '' means every custom type without its own rule. */
  readonly customType: string;
  /** How many of this type one profile may hold; 0 = no limit. */
  readonly maxPerProfile: number;
  /** Strength as evidence, 0..1000. */
  readonly priority: number;
  /** Normalized values that never match and are never linked. */
  readonly blockedValues: readonly string[];
}

/** A tenant's merge policy. */
export interface MergePolicy {
  readonly defaultPhoneRegion: string;
  readonly autoMergeMode: AutoMergeMode;
  readonly minStitchAssurance: Assurance;
  readonly rules: readonly IdentifierRule[];
  /** 0 for the server default. */
  readonly version: number;
  readonly updateTime?: Date;
  readonly updateActor?: string;
}

/** Limits of a policy, checked when it is updated. */
export const POLICY_LIMITS = { maxPerProfile: 100, maxPriority: 1000, maxBlockedValues: 1000, maxRules: 50 } as const;

/**
 * The rules every tenant starts with: one LOGIN and one CRM id per profile (they name exactly one
 * customer account); the rest unlimited. Priorities rank how strongly a type identifies a person.
 */
const DEFAULT_RULES: readonly IdentifierRule[] = [
  { type: 'LOGIN', customType: '', maxPerProfile: 1, priority: 100, blockedValues: [] },
  { type: 'ACCOUNT', customType: '', maxPerProfile: 0, priority: 90, blockedValues: [] },
  { type: 'CRM', customType: '', maxPerProfile: 1, priority: 80, blockedValues: [] },
  { type: 'EMAIL', customType: '', maxPerProfile: 0, priority: 60, blockedValues: [] },
  { type: 'PHONE', customType: '', maxPerProfile: 0, priority: 50, blockedValues: [] },
  { type: 'SOCIAL', customType: '', maxPerProfile: 0, priority: 40, blockedValues: [] },
  { type: 'CUSTOM', customType: '', maxPerProfile: 0, priority: 30, blockedValues: [] },
  { type: 'DEVICE', customType: '', maxPerProfile: 0, priority: 20, blockedValues: [] },
  { type: 'COOKIE', customType: '', maxPerProfile: 0, priority: 10, blockedValues: [] },
];

/** The policy of a tenant that never updated its own. */
export function defaultPolicy(defaultPhoneRegion: string): MergePolicy {
  return {
    defaultPhoneRegion,
    autoMergeMode: 'ANONYMOUS_ONLY',
    minStitchAssurance: 'VERIFIED',
    rules: DEFAULT_RULES,
    version: 0,
  };
}

/** A rule's slot: the type plus custom type. */
function ruleSlot(type: IdentifierType, customType: string): string {
  return type === 'CUSTOM' ? `CUSTOM/${customType}` : type;
}

/**
 * The policy prepared for matching: rule lookup per type and blocked keys in a set, built once
 * per policy version and reused by every Resolve.
 */
export class CompiledPolicy {
  private readonly rules = new Map<string, IdentifierRule>();
  private readonly blocked = new Set<string>();

  constructor(readonly policy: MergePolicy) {
    // Defaults first so that a tenant rule for the same slot replaces them.
    for (const rule of [...DEFAULT_RULES, ...policy.rules]) this.rules.set(ruleSlot(rule.type, rule.customType), rule);
    for (const rule of policy.rules) {
      for (const value of rule.blockedValues) this.blocked.add(identifierKey(rule.type, rule.customType, value));
    }
  }

  /** The rule that applies to an identifier of this type. */
  ruleFor(type: IdentifierType, customType = ''): IdentifierRule {
    const rule = this.rules.get(ruleSlot(type, customType)) ?? this.rules.get(ruleSlot(type, ''));
    if (!rule) throw new Error(`no rule for ${type}`); // unreachable: DEFAULT_RULES covers every type
    return rule;
  }

  /** Whether a value is blocked (for CUSTOM: blocked for its custom type, or for every custom type). */
  isBlocked(id: NormalizedIdentifier): boolean {
    return this.blocked.has(id.key) || (id.type === 'CUSTOM' && this.blocked.has(identifierKey('CUSTOM', '', id.value)));
  }

  /** The policy with every type's rule filled in, as GetMergePolicy shows it. */
  effective(): MergePolicy {
    const explicit = new Set(this.policy.rules.map((r) => ruleSlot(r.type, r.customType)));
    const defaults = DEFAULT_RULES.filter((r) => !explicit.has(ruleSlot(r.type, r.customType)));
    const order = (r: IdentifierRule) => IDENTIFIER_TYPES.indexOf(r.type);
    const rules = [...this.policy.rules, ...defaults].sort(
      (a, b) => order(a) - order(b) || a.customType.localeCompare(b.customType),
    );
    return { ...this.policy, rules };
  }
}
