// Request validation: every field checked before anything is touched, every violation named by
// its path in the request (snake_case, as in the proto).
import { commonV1, contextV1 } from '@continuum/contracts';
import { Violations } from '@continuum/kit';
import type { JourneyDefinitionDraft, Purpose } from './domain';
import type { TouchpointInput } from './application/record-touchpoint';
import { assurances, channels, directions, durationToMs, outcomes, purposes, sensitivities } from './mapping';

const ID = /^[A-Za-z0-9._:-]+$/;
export const LOWER_SNAKE = /^[a-z][a-z0-9_]*$/;
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** How far in the future a touchpoint may claim to have happened (clock skew between channels). */
const MAX_FUTURE_MS = 5 * 60_000;
const MAX_FACTS = 50;
const MAX_ATTRIBUTES = 20;

/** An identifier field: required or optional, at most `max` characters of [A-Za-z0-9._:-]. */
export function checkId(v: Violations, field: string, value: string, required: boolean, max = 128): void {
  if (required && !v.required(field, value)) return;
  if (value === '') return;
  if (v.maxLength(field, value, max)) v.pattern(field, value, ID, 'letters, digits, dot, underscore, colon or dash');
}

/** An enum that may be left unspecified but must otherwise be known. */
function optionalEnum(v: Violations, field: string, value: number, known: (n: number) => unknown): void {
  if (value !== 0 && known(value) === undefined) v.add(field, `unknown value ${value}`, 'UNKNOWN_ENUM_VALUE');
}

/** Checks one touchpoint; field paths start with `prefix` (`touchpoint`). */
export function validateTouchpoint(v: Violations, t: contextV1.Touchpoint | undefined, now: Date, prefix = 'touchpoint'): TouchpointInput | undefined {
  if (!t) {
    v.add(prefix, 'is required', 'REQUIRED');
    return undefined;
  }
  const f = (name: string): string => `${prefix}.${name}`;
  checkId(v, f('touchpoint_id'), t.touchpointId, true);
  checkId(v, f('profile_id'), t.profileId, true);
  v.requiredEnum(f('channel'), t.channel, commonV1.Channel);
  v.requiredEnum(f('direction'), t.direction, commonV1.Direction);
  if (!t.occurredAt || Number.isNaN(t.occurredAt.getTime())) v.add(f('occurred_at'), 'is required', 'REQUIRED');
  else if (t.occurredAt.getTime() > now.getTime() + MAX_FUTURE_MS) v.add(f('occurred_at'), 'must not be more than 5 minutes in the future', 'IN_FUTURE');
  else if (t.occurredAt.getTime() <= 0) v.add(f('occurred_at'), 'must be after 1970-01-01', 'OUT_OF_RANGE');
  if (t.journeyDefinitionId) {
    if (v.maxLength(f('journey_definition_id'), t.journeyDefinitionId, 64)) v.pattern(f('journey_definition_id'), t.journeyDefinitionId, KEBAB, 'lower-kebab');
    v.required(f('journey_step_id'), t.journeyStepId);
  } else if (t.journeyStepId) {
    v.add(f('journey_definition_id'), 'is required when journey_step_id is set', 'REQUIRED');
  }
  if (t.journeyStepId && v.maxLength(f('journey_step_id'), t.journeyStepId, 64)) v.pattern(f('journey_step_id'), t.journeyStepId, KEBAB, 'lower-kebab');
  if (v.maxLength(f('intent'), t.intent, 64)) v.pattern(f('intent'), t.intent, LOWER_SNAKE, 'lower_snake');
  optionalEnum(v, f('outcome'), t.outcome, outcomes.domain);
  checkId(v, f('agent_id'), t.agentId, false);
  checkId(v, f('case_id'), t.caseId, false);
  optionalEnum(v, f('assurance'), t.assurance, assurances.domain);
  v.maxLength(f('summary'), t.summary, 256);
  v.maxItems(f('facts'), t.facts, MAX_FACTS);
  const keys = new Set<string>();
  t.facts.slice(0, MAX_FACTS).forEach((fact, i) => {
    const ff = (name: string): string => f(`facts[${i}].${name}`);
    if (v.required(ff('key'), fact.key) && v.maxLength(ff('key'), fact.key, 64) && v.pattern(ff('key'), fact.key, LOWER_SNAKE, 'lower_snake')) {
      if (keys.has(fact.key)) v.add(ff('key'), 'appears twice in this touchpoint', 'DUPLICATE');
      keys.add(fact.key);
    }
    if (v.required(ff('value'), fact.value)) v.maxLength(ff('value'), fact.value, 1024);
    optionalEnum(v, ff('sensitivity'), fact.sensitivity, sensitivities.domain);
  });
  const attributes = Object.entries(t.attributes);
  if (attributes.length > MAX_ATTRIBUTES) v.add(f('attributes'), `must have at most ${MAX_ATTRIBUTES} entries`, 'TOO_MANY');
  for (const [key, value] of attributes.slice(0, MAX_ATTRIBUTES)) {
    const field = f(`attributes[${key.slice(0, 64)}]`);
    if (key.length > 64 || !LOWER_SNAKE.test(key)) v.add(field, 'keys must be lower_snake, at most 64 characters', 'INVALID_FORMAT');
    v.maxLength(field, value, 512);
  }
  if (v.any) return undefined;
  return {
    touchpointId: t.touchpointId,
    profileId: t.profileId,
    channel: channels.domain(t.channel) ?? 'web',
    direction: directions.domain(t.direction) ?? 'inbound',
    occurredAt: t.occurredAt ?? now,
    journeyDefinitionId: t.journeyDefinitionId || undefined,
    journeyStepId: t.journeyStepId || undefined,
    intent: t.intent || undefined,
    outcome: outcomes.domain(t.outcome),
    agentId: t.agentId || undefined,
    caseId: t.caseId || undefined,
    facts: t.facts.map((fact) => ({ key: fact.key, value: fact.value, sensitivity: sensitivities.domain(fact.sensitivity) ?? 'normal' })),
    assurance: assurances.domain(t.assurance),
    summary: t.summary || undefined,
    attributes: { ...t.attributes },
  };
}

/** A required declared purpose. */
export function validatePurpose(v: Violations, field: string, value: number): Purpose | undefined {
  if (!v.requiredEnum(field, value, commonV1.Purpose)) return undefined;
  return purposes.domain(value);
}

/** page_size: 0 means `fallback`; 1..max otherwise. */
export function pageSize(v: Violations, value: number, fallback = 50, max = 500): number {
  v.range('page_size', value, 0, max);
  return value === 0 ? fallback : value;
}

/** page_token: opaque, but bounded. */
export function pageToken(v: Violations, value: string): string {
  v.maxLength('page_token', value, 2048);
  return value;
}

/** A required client request id. */
export function requestId(v: Violations, value: string): string {
  checkId(v, 'request_id', value, true);
  return value;
}

/** A definition from the wire, with shape checks left to the domain (which names the fields). */
export function definitionDraft(v: Violations, d: contextV1.JourneyDefinition | undefined): JourneyDefinitionDraft | undefined {
  if (!d) {
    v.add('journey_definition', 'is required', 'REQUIRED');
    return undefined;
  }
  if (d.abandonAfter && (d.abandonAfter.nanos < 0 || d.abandonAfter.seconds < 0)) v.add('journey_definition.abandon_after', 'must be positive', 'OUT_OF_RANGE');
  return {
    journeyDefinitionId: d.journeyDefinitionId,
    displayName: d.displayName,
    steps: d.steps.map((s) => ({ stepId: s.stepId, displayName: s.displayName, action: s.action, actionDescription: s.actionDescription })),
    completionStepId: d.completionStepId,
    abandonAfterMs: durationToMs(d.abandonAfter),
    intent: d.intent,
  };
}
