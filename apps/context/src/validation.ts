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

const TOUCHPOINT_FIELDS = [
  'touchpoint_id',
  'profile_id',
  'channel',
  'direction',
  'occurred_at',
  'journey_definition_id',
  'journey_step_id',
  'intent',
  'outcome',
  'agent_id',
  'case_id',
  'assurance',
  'summary',
  'facts',
  'attributes',
] as const;
type TouchpointFieldPaths = Record<(typeof TOUCHPOINT_FIELDS)[number], string>;
const FACT_FIELDS = ['key', 'value', 'sensitivity'] as const;
type FactFieldPaths = Record<(typeof FACT_FIELDS)[number], string>;

/** The field path of the touchpoint in the request messages that carry one (RecordTouchpoint, RecordTouchpoints). */
const PREFIX = 'touchpoint';

/**
 * Field paths of the touchpoint and of each fact position, made once: every message of an
 * ingestion stream is checked, and building ~20 path strings per message is most of the cost of
 * checking a valid one.
 */
const PATHS = (() => {
  const touchpoint = {} as TouchpointFieldPaths;
  for (const name of TOUCHPOINT_FIELDS) touchpoint[name] = `${PREFIX}.${name}`;
  const facts: FactFieldPaths[] = [];
  for (let i = 0; i < MAX_FACTS; i++) {
    const fact = {} as FactFieldPaths;
    for (const name of FACT_FIELDS) fact[name] = `${PREFIX}.facts[${i}].${name}`;
    facts.push(fact);
  }
  return { touchpoint, facts };
})();

/** Checks one touchpoint; field paths start with `touchpoint`. */
export function validateTouchpoint(v: Violations, t: contextV1.Touchpoint | undefined, now: Date): TouchpointInput | undefined {
  if (!t) {
    v.add(PREFIX, 'is required', 'REQUIRED');
    return undefined;
  }
  const paths = PATHS;
  const f = paths.touchpoint;
  checkId(v, f.touchpoint_id, t.touchpointId, true);
  checkId(v, f.profile_id, t.profileId, true);
  v.requiredEnum(f.channel, t.channel, commonV1.Channel);
  v.requiredEnum(f.direction, t.direction, commonV1.Direction);
  if (!t.occurredAt || Number.isNaN(t.occurredAt.getTime())) v.add(f.occurred_at, 'is required', 'REQUIRED');
  else if (t.occurredAt.getTime() > now.getTime() + MAX_FUTURE_MS) v.add(f.occurred_at, 'must not be more than 5 minutes in the future', 'IN_FUTURE');
  else if (t.occurredAt.getTime() <= 0) v.add(f.occurred_at, 'must be after 1970-01-01', 'OUT_OF_RANGE');
  if (t.journeyDefinitionId) {
    if (v.maxLength(f.journey_definition_id, t.journeyDefinitionId, 64)) v.pattern(f.journey_definition_id, t.journeyDefinitionId, KEBAB, 'lower-kebab');
    v.required(f.journey_step_id, t.journeyStepId);
  } else if (t.journeyStepId) {
    v.add(f.journey_definition_id, 'is required when journey_step_id is set', 'REQUIRED');
  }
  if (t.journeyStepId && v.maxLength(f.journey_step_id, t.journeyStepId, 64)) v.pattern(f.journey_step_id, t.journeyStepId, KEBAB, 'lower-kebab');
  if (v.maxLength(f.intent, t.intent, 64)) v.pattern(f.intent, t.intent, LOWER_SNAKE, 'lower_snake');
  optionalEnum(v, f.outcome, t.outcome, outcomes.domain);
  checkId(v, f.agent_id, t.agentId, false);
  checkId(v, f.case_id, t.caseId, false);
  optionalEnum(v, f.assurance, t.assurance, assurances.domain);
  v.maxLength(f.summary, t.summary, 256);
  v.maxItems(f.facts, t.facts, MAX_FACTS);
  let keys: Set<string> | undefined;
  const factCount = Math.min(t.facts.length, MAX_FACTS);
  for (let i = 0; i < factCount; i++) {
    const fact = t.facts[i] as contextV1.Fact;
    const ff = paths.facts[i] as FactFieldPaths;
    if (v.required(ff.key, fact.key) && v.maxLength(ff.key, fact.key, 64) && v.pattern(ff.key, fact.key, LOWER_SNAKE, 'lower_snake')) {
      keys ??= new Set<string>();
      if (keys.has(fact.key)) v.add(ff.key, 'appears twice in this touchpoint', 'DUPLICATE');
      keys.add(fact.key);
    }
    if (v.required(ff.value, fact.value)) v.maxLength(ff.value, fact.value, 1024);
    optionalEnum(v, ff.sensitivity, fact.sensitivity, sensitivities.domain);
  }
  let attributeCount = 0;
  for (const _key in t.attributes) attributeCount++;
  if (attributeCount > MAX_ATTRIBUTES) v.add(f.attributes, `must have at most ${MAX_ATTRIBUTES} entries`, 'TOO_MANY');
  let checked = 0;
  for (const key in t.attributes) {
    if (++checked > MAX_ATTRIBUTES) break;
    const value = t.attributes[key] as string;
    // The path is only built for a violation (attribute keys are the caller's).
    if (key.length > 64 || !LOWER_SNAKE.test(key)) v.add(`${PREFIX}.attributes[${key.slice(0, 64)}]`, 'keys must be lower_snake, at most 64 characters', 'INVALID_FORMAT');
    if (value.length > 512) v.maxLength(`${PREFIX}.attributes[${key.slice(0, 64)}]`, value, 512);
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
