/**
 * The identity domain's own vocabulary. It mirrors the proto enums with readable strings so that
 * stored documents, logs of decisions and tests read naturally; server.ts maps both ways.
 */

/** Kinds of identifiers; each has its own normalization and merge rule. */
export const IDENTIFIER_TYPES = ['PHONE', 'EMAIL', 'LOGIN', 'ACCOUNT', 'DEVICE', 'COOKIE', 'SOCIAL', 'CRM', 'CUSTOM'] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];

/** Types that, once linked, make a profile "known" (the customer told us who they are). */
export const KNOWN_TYPES: ReadonlySet<IdentifierType> = new Set(['LOGIN', 'ACCOUNT', 'CRM', 'EMAIL', 'PHONE']);

/** How sure a recognition or a proof is, weakest first. */
export const ASSURANCE_LEVELS = ['NONE', 'ASSERTED', 'VERIFIED', 'STRONG'] as const;
export type Assurance = (typeof ASSURANCE_LEVELS)[number];

/** Position of a level in the order NONE < ASSERTED < VERIFIED < STRONG. */
export function assuranceRank(level: Assurance): number {
  return ASSURANCE_LEVELS.indexOf(level);
}

/** The stronger of two levels. */
export function maxAssurance(a: Assurance, b: Assurance): Assurance {
  return assuranceRank(a) >= assuranceRank(b) ? a : b;
}

/** The weaker of two levels. */
export function minAssurance(a: Assurance, b: Assurance): Assurance {
  return assuranceRank(a) <= assuranceRank(b) ? a : b;
}

/** A JSON value as traits hold them. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** The traits of a profile: top-level names to JSON values. */
export type Traits = { [name: string]: JsonValue };

/** An identifier after normalization: what is stored and matched. */
export interface NormalizedIdentifier {
  readonly type: IdentifierType;
  /** For CUSTOM: the tenant's lower_snake type name; '' otherwise. */
  readonly customType: string;
  /** The normalized value (E.164, lower-cased email, trimmed otherwise). */
  readonly value: string;
  /** `type[/customType]:value`, unique within a tenant: the match key. */
  readonly key: string;
}

/** An identifier as a profile holds it. */
export interface IdentifierState extends NormalizedIdentifier {
  /** The strongest proof ever seen for it on this profile. */
  readonly verifiedLevel: Assurance;
  readonly linkedAt: Date;
  readonly lastSeenAt: Date;
}

/** A profile as the domain sees it (the repository maps documents to this and back). */
export interface ProfileState {
  readonly id: string;
  readonly identifiers: readonly IdentifierState[];
  readonly traits: Readonly<Traits>;
  readonly segmentIds: readonly string[];
  readonly createTime: Date;
  readonly updateTime: Date;
  readonly version: number;
  /** Set on a profile merged into another: the profile it was merged into. */
  readonly mergedInto?: string;
}

/** Why two profiles were joined. */
export type MergeReason = 'STITCH' | 'EXPLICIT';

/** One merge, kept with everything needed to undo it exactly. */
export interface MergeRecordState {
  readonly id: string;
  readonly survivorId: string;
  readonly mergedId: string;
  readonly reason: MergeReason;
  /** The policy rule that allowed it (`stitch:anonymous-into-known`, `explicit`). */
  readonly rule: string;
  /** The identifiers that proved the two profiles are one person. */
  readonly evidence: readonly NormalizedIdentifier[];
  readonly actor: string;
  readonly mergeTime: Date;
  readonly unmergeTime?: Date;
  readonly unmergeActor?: string;
  /** The merged profile exactly as it was before the merge. */
  readonly mergedSnapshot: ProfileState;
  /** Keys of the identifiers that moved from the merged profile to the survivor. */
  readonly movedKeys: readonly string[];
  /** Traits the survivor lacked and took from the merged profile, with the value taken. */
  readonly filledTraits: Readonly<Traits>;
}

/** Conditions of a segment rule. */
export const SEGMENT_OPERATORS = ['EQ', 'NE', 'GT', 'GTE', 'LT', 'LTE', 'IN', 'NOT_IN', 'EXISTS'] as const;
export type SegmentOperator = (typeof SEGMENT_OPERATORS)[number];

export interface SegmentCondition {
  /** Dotted path into traits (`address.country`). */
  readonly trait: string;
  readonly operator: SegmentOperator;
  /** The value to compare with; a list for IN / NOT_IN; for EXISTS `true` (present) or `false` (absent). */
  readonly value: JsonValue;
}

export interface SegmentDefinition {
  readonly id: string;
  readonly displayName: string;
  readonly conditions: readonly SegmentCondition[];
  readonly version: number;
  readonly updateTime: Date;
}

/** What the domain needs from the outside world: time, fresh ids and who is acting. */
export interface DomainContext {
  readonly now: Date;
  /** A fresh unique id with the given prefix (`prf`, `mrg`). */
  newId(prefix: 'prf' | 'mrg'): string;
  /** The token subject of the call, or `system`. */
  readonly actor: string;
}
