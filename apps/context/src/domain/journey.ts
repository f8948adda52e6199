import { DomainValidationError, type DomainViolation } from './errors';
import { channelsInOrder } from './timeline';
import type { Channel, JourneyDefinition, JourneyInstance, JourneyStepDefinition, JourneyStepVisit } from './types';

// The journey state machine. An instance is ACTIVE until its completion step is reached
// (COMPLETED) or nothing happens for the definition's abandon period (ABANDONED, effective at
// last activity + abandon_after). Time comes from the caller: nothing here reads a clock.

/** A change worth an event. */
export type JourneyChange =
  | { readonly kind: 'step_reached'; readonly stepId: string; readonly previousStepId: string; readonly channel: Channel; readonly touchpointId: string }
  | { readonly kind: 'completed' }
  | { readonly kind: 'abandoned'; readonly lastStepId: string };

/** A step reached by one touchpoint. */
export interface StepInput {
  readonly stepId: string;
  readonly channel: Channel;
  readonly touchpointId: string;
  readonly occurredAt: Date;
}

export const MIN_ABANDON_AFTER_MS = 60_000;
export const MAX_ABANDON_AFTER_MS = 365 * 24 * 3600_000;
export const MAX_STEPS = 50;
const STEP_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const DEFINITION_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const INTENT = /^[a-z][a-z0-9_]*$/;

/** What a definition looks like before the service stamps version and times. */
export interface JourneyDefinitionDraft {
  readonly journeyDefinitionId: string;
  readonly displayName: string;
  readonly steps: readonly JourneyStepDefinition[];
  readonly completionStepId: string;
  readonly abandonAfterMs: number | undefined;
  readonly intent: string;
}

/** Checks a definition draft; every violation names its field under `prefix`. */
export function validateDefinition(draft: JourneyDefinitionDraft, prefix = 'journey_definition'): DomainViolation[] {
  const v: DomainViolation[] = [];
  const add = (field: string, description: string, reason: string): void => {
    v.push({ field: `${prefix}.${field}`, description, reason });
  };
  if (!draft.journeyDefinitionId) add('journey_definition_id', 'is required', 'REQUIRED');
  else if (draft.journeyDefinitionId.length > 64 || !DEFINITION_ID.test(draft.journeyDefinitionId))
    add('journey_definition_id', 'must be lower-kebab, at most 64 characters', 'INVALID_FORMAT');
  if (!draft.displayName.trim()) add('display_name', 'is required', 'REQUIRED');
  else if (draft.displayName.length > 128) add('display_name', 'must be at most 128 characters', 'TOO_LONG');
  if (draft.steps.length === 0) add('steps', 'needs at least one step', 'REQUIRED');
  if (draft.steps.length > MAX_STEPS) add('steps', `must have at most ${MAX_STEPS} steps`, 'TOO_MANY');
  const seen = new Set<string>();
  draft.steps.forEach((step, i) => {
    if (!step.stepId) add(`steps[${i}].step_id`, 'is required', 'REQUIRED');
    else if (step.stepId.length > 64 || !STEP_ID.test(step.stepId)) add(`steps[${i}].step_id`, 'must be lower-kebab, at most 64 characters', 'INVALID_FORMAT');
    else if (seen.has(step.stepId)) add(`steps[${i}].step_id`, 'is a duplicate', 'DUPLICATE');
    seen.add(step.stepId);
    if (step.displayName.length > 128) add(`steps[${i}].display_name`, 'must be at most 128 characters', 'TOO_LONG');
    if (step.action.length > 64 || (step.action !== '' && !INTENT.test(step.action)))
      add(`steps[${i}].action`, 'must be lower_snake, at most 64 characters', 'INVALID_FORMAT');
    if (step.actionDescription.length > 512) add(`steps[${i}].action_description`, 'must be at most 512 characters', 'TOO_LONG');
  });
  if (draft.completionStepId && !seen.has(draft.completionStepId)) add('completion_step_id', 'must be one of the steps', 'UNKNOWN_STEP');
  if (draft.abandonAfterMs === undefined) add('abandon_after', 'is required', 'REQUIRED');
  else if (!Number.isFinite(draft.abandonAfterMs) || draft.abandonAfterMs < MIN_ABANDON_AFTER_MS || draft.abandonAfterMs > MAX_ABANDON_AFTER_MS)
    add('abandon_after', 'must be between 1 minute and 365 days', 'OUT_OF_RANGE');
  if (draft.intent.length > 64 || (draft.intent !== '' && !INTENT.test(draft.intent))) add('intent', 'must be lower_snake, at most 64 characters', 'INVALID_FORMAT');
  return v;
}

/** Position of a step in the definition (-1 when unknown). */
export function stepIndex(definition: JourneyDefinition, stepId: string): number {
  return definition.steps.findIndex((s) => s.stepId === stepId);
}

/** The step after `stepId`, if any. */
export function nextStep(definition: JourneyDefinition, stepId: string): JourneyStepDefinition | undefined {
  const i = stepIndex(definition, stepId);
  return i < 0 ? undefined : definition.steps[i + 1];
}

/** When an active instance will be (or was) abandoned. */
export function abandonTime(instance: Pick<JourneyInstance, 'lastActivityTime'>, definition: Pick<JourneyDefinition, 'abandonAfterMs'>): Date {
  return new Date(instance.lastActivityTime.getTime() + definition.abandonAfterMs);
}

/**
 * The instance as of `now`: an active instance idle for the abandon period becomes abandoned,
 * with its end time at the moment it crossed the line (not at `now`, which is just when we looked).
 */
export function evaluateAbandonment(instance: JourneyInstance, definition: JourneyDefinition, now: Date): { instance: JourneyInstance; changes: JourneyChange[] } {
  if (instance.status !== 'active') return { instance, changes: [] };
  const at = abandonTime(instance, definition);
  if (now.getTime() < at.getTime()) return { instance, changes: [] };
  return {
    instance: { ...instance, status: 'abandoned', endTime: at },
    changes: [{ kind: 'abandoned', lastStepId: instance.currentStepId }],
  };
}

function assertKnownStep(definition: JourneyDefinition, stepId: string): void {
  if (stepIndex(definition, stepId) < 0) {
    throw new DomainValidationError([
      { field: 'touchpoint.journey_step_id', description: `is not a step of journey ${definition.journeyDefinitionId}`, reason: 'UNKNOWN_STEP' },
    ]);
  }
}

function insertVisit(visits: readonly JourneyStepVisit[], visit: JourneyStepVisit): JourneyStepVisit[] {
  const out = [...visits, visit];
  out.sort((a, b) => a.reachedAt.getTime() - b.reachedAt.getTime() || (a.touchpointId < b.touchpointId ? -1 : a.touchpointId > b.touchpointId ? 1 : 0));
  return out;
}

/** The furthest step reached among visits, by the definition's order. */
function furthestStep(definition: JourneyDefinition, visits: readonly JourneyStepVisit[]): string {
  let best = -1;
  for (const v of visits) best = Math.max(best, stepIndex(definition, v.stepId));
  return definition.steps[best]?.stepId ?? '';
}

/**
 * Starts an instance from its first touchpoint. A touchpoint that arrives so late that its journey
 * would already be abandoned by `now` starts an abandoned instance; one at the completion step
 * starts a completed one.
 */
export function startJourney(
  definition: JourneyDefinition,
  ids: { journeyId: string; profileId: string; originProfileId: string },
  step: StepInput,
  now: Date,
): { instance: JourneyInstance; changes: JourneyChange[] } {
  assertKnownStep(definition, step.stepId);
  const visit: JourneyStepVisit = { stepId: step.stepId, channel: step.channel, touchpointId: step.touchpointId, reachedAt: step.occurredAt };
  let instance: JourneyInstance = {
    journeyId: ids.journeyId,
    profileId: ids.profileId,
    originProfileId: ids.originProfileId,
    journeyDefinitionId: definition.journeyDefinitionId,
    currentStepId: step.stepId,
    status: 'active',
    channelsUsed: [step.channel],
    visits: [visit],
    startTime: step.occurredAt,
    lastActivityTime: step.occurredAt,
  };
  const changes: JourneyChange[] = [
    { kind: 'step_reached', stepId: step.stepId, previousStepId: '', channel: step.channel, touchpointId: step.touchpointId },
  ];
  if (step.stepId === definition.completionStepId) {
    instance = { ...instance, status: 'completed', endTime: step.occurredAt };
    changes.push({ kind: 'completed' });
    return { instance, changes };
  }
  const evaluated = evaluateAbandonment(instance, definition, now);
  return { instance: evaluated.instance, changes: [...changes, ...evaluated.changes] };
}

/**
 * Adds a touchpoint's step to an instance. Visits stay in time order whatever order they arrive
 * in; the current step is the furthest reached; channels are listed in order of first use. Only
 * an active instance can complete; a late touchpoint of an ended instance is kept for the record
 * without changing its status.
 */
export function advanceJourney(instance: JourneyInstance, definition: JourneyDefinition, step: StepInput): { instance: JourneyInstance; changes: JourneyChange[] } {
  assertKnownStep(definition, step.stepId);
  if (instance.visits.some((v) => v.touchpointId === step.touchpointId)) return { instance, changes: [] };
  const visits = insertVisit(instance.visits, { stepId: step.stepId, channel: step.channel, touchpointId: step.touchpointId, reachedAt: step.occurredAt });
  const previousStepId = instance.currentStepId;
  const currentStepId = furthestStep(definition, visits);
  const firstVisitOfStep = !instance.visits.some((v) => v.stepId === step.stepId);
  let next: JourneyInstance = {
    ...instance,
    visits,
    currentStepId,
    channelsUsed: channelsInOrder(visits),
    startTime: visits[0]?.reachedAt ?? step.occurredAt,
    lastActivityTime: new Date(Math.max(instance.lastActivityTime.getTime(), step.occurredAt.getTime())),
  };
  const changes: JourneyChange[] = [];
  if (firstVisitOfStep) changes.push({ kind: 'step_reached', stepId: step.stepId, previousStepId, channel: step.channel, touchpointId: step.touchpointId });
  if (instance.status === 'active' && step.stepId === definition.completionStepId) {
    next = { ...next, status: 'completed', endTime: step.occurredAt };
    changes.push({ kind: 'completed' });
  }
  return { instance: next, changes };
}

/**
 * Which existing instance a touchpoint of this definition belongs to, if any:
 * the active one (as of `now`) when the touchpoint is not older than its start by more than the
 * abandon period; otherwise an ended one whose lifetime covers the touchpoint's time.
 * Undefined: start a new instance.
 */
export function chooseInstance(
  instances: readonly JourneyInstance[],
  definition: JourneyDefinition,
  occurredAt: Date,
  now: Date,
): JourneyInstance | undefined {
  const t = occurredAt.getTime();
  const active = instances
    .filter((i) => i.status === 'active' && evaluateAbandonment(i, definition, now).instance.status === 'active')
    .sort((a, b) => b.lastActivityTime.getTime() - a.lastActivityTime.getTime())[0];
  if (active && t >= active.startTime.getTime() - definition.abandonAfterMs) return active;
  return instances.find((i) => {
    const evaluated = evaluateAbandonment(i, definition, now).instance;
    const end = evaluated.endTime?.getTime() ?? Number.POSITIVE_INFINITY;
    return evaluated.status !== 'active' && t >= evaluated.startTime.getTime() && t <= end;
  });
}

/** Channel switches in a journey: channels used minus one. */
export function channelSwitches(instance: Pick<JourneyInstance, 'channelsUsed'>): number {
  return Math.max(0, instance.channelsUsed.length - 1);
}
