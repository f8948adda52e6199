import { DomainError, FailedPreconditionError, InvalidArgumentError } from '@continuum/kit';
import { context, type Context } from '@opentelemetry/api';
import { outgoing } from '@continuum/events';
import { DuplicateKeyError, type StoreSession } from '@continuum/store';
import {
  advanceJourney,
  chooseInstance,
  evaluateAbandonment,
  repeatedFactKeys,
  startJourney,
  type Assurance,
  type CapturedFact,
  type Case,
  type Channel,
  type Direction,
  type JourneyDefinition,
  type JourneyInstance,
  type Outcome,
  type Sensitivity,
  type Touchpoint,
} from '../domain';
import { TouchpointRecorded, touchpointRecordedPayload } from '../events/context-events';
import { factFromDoc, type FactDoc } from '../store/facts';
import { repositoriesFor, type TenantRepositories } from '../store/repositories';
import type { CoreDeps } from './deps';
import { newDocumentId, newResourceId } from './ids';
import { persistJourney } from './journeys';
import { resolveOwner, resolveOwners, type Owner } from './owners';

/** A validated touchpoint as a channel sent it. */
export interface TouchpointInput {
  readonly touchpointId: string;
  readonly profileId: string;
  readonly channel: Channel;
  readonly direction: Direction;
  readonly occurredAt: Date;
  readonly journeyDefinitionId?: string;
  readonly journeyStepId?: string;
  readonly intent?: string;
  readonly outcome?: Outcome;
  readonly agentId?: string;
  readonly caseId?: string;
  readonly facts: readonly { key: string; value: string; sensitivity: Sensitivity }[];
  readonly assurance?: Assurance;
  readonly summary?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface RecordResult {
  readonly touchpoint: Touchpoint;
  readonly alreadyRecorded: boolean;
}

/** Field names are relative to the request message; RecordTouchpoints reuses them per message. */
const FIELD = 'touchpoint';

/** Persists journey changes and their events; returns the instance id. */
async function applyJourney(
  deps: CoreDeps,
  repos: TenantRepositories,
  definition: JourneyDefinition,
  owner: Owner,
  input: TouchpointInput,
  stepId: string,
  now: Date,
  session: StoreSession,
): Promise<{ journeyId: string; changed: boolean }> {
  const stored = await repos.journeys.forProfileAndDefinition(owner.profileId, definition.journeyDefinitionId, { session });
  const instances: JourneyInstance[] = [];
  for (const instance of stored) {
    // An instance that went idle is closed first, so the new touchpoint starts a fresh one.
    const evaluated = evaluateAbandonment(instance, definition, now);
    if (evaluated.changes.length > 0) await persistJourney(deps, repos, evaluated.instance, definition, false, evaluated.changes, session);
    instances.push(evaluated.instance);
  }
  const step = { stepId, channel: input.channel, touchpointId: input.touchpointId, occurredAt: input.occurredAt };
  const chosen = chooseInstance(instances, definition, input.occurredAt, now);
  const result = chosen
    ? advanceJourney(chosen, definition, step)
    : startJourney(definition, { journeyId: newResourceId('jrn'), profileId: owner.profileId, originProfileId: input.profileId }, step, now);
  await persistJourney(deps, repos, result.instance, definition, chosen === undefined, result.changes, session);
  return { journeyId: result.instance.journeyId, changed: result.changes.length > 0 };
}

/** A touchpoint the checks let through, with what it refers to. */
interface Accepted {
  readonly input: TouchpointInput;
  readonly owner: Owner;
  readonly definition: JourneyDefinition | undefined;
  /** The trace context of the touchpoint's own caller, when it is recorded in another's batch. */
  readonly origin?: Context | undefined;
}

/** What a transaction recorded for one accepted touchpoint. */
interface Written {
  readonly touchpoint: Touchpoint;
  readonly journeyChanged: boolean;
}

const profileErased = (): FailedPreconditionError => new FailedPreconditionError('PROFILE_ERASED', 'the profile was erased; nothing more is recorded for it');

const fieldError = (field: string, description: string, reason: string): InvalidArgumentError => new InvalidArgumentError([{ field: `${FIELD}.${field}`, description, reason }]);

/**
 * Why the touchpoint cannot be recorded, judged before anything is written from what it refers to
 * (its journey definition and case, as read; undefined when not found); undefined when it can.
 */
function refusal(input: TouchpointInput, owner: Owner, definition: JourneyDefinition | undefined, kase: Case | undefined): DomainError | undefined {
  if (input.journeyDefinitionId) {
    if (!definition) return fieldError('journey_definition_id', 'is not a journey definition of this tenant', 'UNKNOWN_JOURNEY_DEFINITION');
    if (!definition.steps.some((s) => s.stepId === input.journeyStepId)) return fieldError('journey_step_id', `is not a step of journey ${definition.journeyDefinitionId}`, 'UNKNOWN_STEP');
  }
  if (input.caseId) {
    if (!kase) return fieldError('case_id', 'is not a case of this tenant', 'UNKNOWN_CASE');
    if (kase.profileId !== owner.profileId) return fieldError('case_id', 'belongs to another customer', 'CASE_OF_ANOTHER_PROFILE');
    if (kase.status === 'closed' && kase.closeTime && input.occurredAt.getTime() > kase.closeTime.getTime()) {
      return new FailedPreconditionError('CASE_CLOSED', 'the case was closed before this touchpoint happened', { case_id: kase.caseId });
    }
  }
  return undefined;
}

/**
 * Writes accepted touchpoints in the caller's transaction: each one's journey, the timeline entries
 * (one insert), the facts (latest per key, late arrivals do not overwrite; in order, so later
 * captures see earlier ones) and one summary write per customer, the cases and the events. Each
 * touchpoint's journey events and its TouchpointRecorded continue the trace of its own origin.
 */
async function writeTouchpoints(deps: CoreDeps, repos: TenantRepositories, accepted: readonly Accepted[], now: Date, session: StoreSession): Promise<Written[]> {
  const tenantId = repos.tenantId;
  const written: Written[] = [];
  // Facts and summaries go per customer, in input order so later captures see earlier ones.
  const byOwner = new Map<string, { owner: Owner; tps: Touchpoint[] }>();
  for (const { input, owner, definition, origin } of accepted) {
    let journeyId: string | undefined;
    let journeyChanged = false;
    const stepId = input.journeyStepId;
    if (definition && stepId) {
      const apply = (): ReturnType<typeof applyJourney> => applyJourney(deps, repos, definition, owner, input, stepId, now, session);
      const applied = await (origin ? context.with(origin, apply) : apply());
      journeyId = applied.journeyId;
      journeyChanged = applied.changed;
    }
    const touchpoint: Touchpoint = {
      touchpointId: input.touchpointId,
      profileId: owner.profileId,
      originProfileId: input.profileId,
      channel: input.channel,
      direction: input.direction,
      occurredAt: input.occurredAt,
      recordedAt: now,
      journeyDefinitionId: input.journeyDefinitionId,
      journeyStepId: input.journeyStepId,
      journeyId,
      intent: input.intent,
      outcome: input.outcome,
      agentId: input.agentId,
      caseId: input.caseId,
      facts: input.facts.map((f) => ({ key: f.key, value: f.value, sensitivity: f.sensitivity, sourceChannel: input.channel, capturedAt: input.occurredAt, touchpointId: input.touchpointId })),
      assurance: input.assurance,
      summary: input.summary,
      attributes: input.attributes,
    };
    written.push({ touchpoint, journeyChanged });
    const group = byOwner.get(owner.profileId);
    if (group) group.tps.push(touchpoint);
    else byOwner.set(owner.profileId, { owner, tps: [touchpoint] });
  }
  const tps = written.map((w) => w.touchpoint);
  await repos.touchpoints.insertMany(tps.map((tp) => ({ tp, id: newDocumentId() })), session);

  const repeatedOf = new Map<string, string[]>();
  // The stored facts of every key captured, for every customer, in one read.
  const capturedKeys = [...new Set(tps.flatMap((tp) => tp.facts.map((f) => f.key)))];
  const storedFacts = new Map<string, FactDoc[]>();
  const withFacts = [...byOwner.values()].filter((g) => g.tps.some((tp) => tp.facts.length > 0)).map((g) => g.owner.profileId);
  for (const doc of await repos.facts.forProfilesAndKeys(withFacts, capturedKeys, { session })) {
    const list = storedFacts.get(doc.profileId);
    if (list) list.push(doc);
    else storedFacts.set(doc.profileId, [doc]);
  }
  for (const { owner, tps: ownTps } of byOwner.values()) {
    const keys = new Set(ownTps.flatMap((tp) => tp.facts.map((f) => f.key)));
    if (keys.size > 0) {
      const known = (storedFacts.get(owner.profileId) ?? []).filter((doc) => keys.has(doc.key));
      // The latest stored fact by origin profile, then key (nested: no joined string to hash per fact).
      const latest = new Map<string, Map<string, FactDoc>>();
      const slotsOf = (origin: string): Map<string, FactDoc> => {
        let slots = latest.get(origin);
        if (!slots) latest.set(origin, (slots = new Map()));
        return slots;
      };
      for (const doc of known) slotsOf(doc.originProfileId).set(doc.key, doc);
      const all: CapturedFact[] = known.map(factFromDoc);
      for (const tp of ownTps) {
        if (tp.facts.length === 0) continue;
        repeatedOf.set(tp.touchpointId, repeatedFactKeys(all, tp.facts));
        const slots = slotsOf(tp.originProfileId);
        for (const fact of tp.facts) {
          slots.set(fact.key, await repos.facts.keepLatest(fact, owner.profileId, tp.originProfileId, slots.get(fact.key), session));
          all.push(fact);
        }
      }
    }
    await repos.profiles.addToSummary(owner.profileId, ownTps, owner.doc, session);
  }
  for (const tp of tps) if (tp.caseId) await repos.cases.attach(tp.caseId, tp.channel, now, session);
  await deps.outbox.appendAll(
    session,
    tps.map((tp, k) =>
      outgoing(TouchpointRecorded, { tenantId, subjectProfileId: tp.profileId, payload: touchpointRecordedPayload(tp, repeatedOf.get(tp.touchpointId) ?? []) }, accepted[k]?.origin),
    ),
  );
  return written;
}

/**
 * Records one touchpoint: the timeline entry, its facts (latest per key, late arrivals do not
 * overwrite), its journey, its case and the profile summary, plus the events, in one transaction.
 * A touchpoint id seen before returns the first recording and changes nothing.
 */
export async function recordTouchpoint(deps: CoreDeps, tenantId: string, input: TouchpointInput): Promise<RecordResult> {
  const repos = repositoriesFor(deps.store, tenantId);
  const existing = await repos.touchpoints.findById(input.touchpointId);
  if (existing) return { touchpoint: existing, alreadyRecorded: true };

  const owner = await resolveOwner(repos, input.profileId);
  if (owner.erased) throw profileErased();
  const definition = input.journeyDefinitionId ? await repos.definitions.get(input.journeyDefinitionId) : undefined;
  const kase = input.caseId ? await repos.cases.get(input.caseId) : undefined;
  const refused = refusal(input, owner, definition, kase);
  if (refused) throw refused;
  const now = deps.clock();

  let written: Written[];
  try {
    written = await deps.store.withTransaction((session) => writeTouchpoints(deps, repos, [{ input, owner, definition }], now, session));
  } catch (err) {
    // A concurrent recording of the same id won the race: answer like a repeat.
    if (err instanceof DuplicateKeyError && err.keyFields.includes('touchpointId')) {
      const winner = await repos.touchpoints.findById(input.touchpointId);
      if (winner) return { touchpoint: winner, alreadyRecorded: true };
    }
    throw err;
  }
  const [{ touchpoint, journeyChanged }] = written as [Written];
  notifyRecorded(deps, tenantId, touchpoint, journeyChanged);
  return { touchpoint, alreadyRecorded: false };
}

/** Tells the watchers of the customer (and of the profile the touchpoint was sent for) what changed. */
function notifyRecorded(deps: CoreDeps, tenantId: string, touchpoint: Touchpoint, journeyChanged: boolean): void {
  const touched = [touchpoint.profileId, touchpoint.originProfileId];
  deps.hub.notify(tenantId, touched, { kind: 'touchpoint', id: touchpoint.touchpointId });
  if (journeyChanged && touchpoint.journeyId) deps.hub.notify(tenantId, touched, { kind: 'journey', id: touchpoint.journeyId });
  if (touchpoint.caseId) deps.hub.notify(tenantId, touched, { kind: 'case', id: touchpoint.caseId });
}

/** One outcome of a batch: recorded (or already there), or refused with the error it would have had alone. */
export type BatchOutcome = RecordResult | { readonly error: DomainError };

/**
 * Records many touchpoints in one transaction (streamed ingestion, group commit): the same checks,
 * effects and events as recordTouchpoint for each, with the reads done once per batch (existing
 * ids, owners, journey definitions, cases) and one timeline insert and one summary write per
 * customer. A touchpoint the batch cannot take is refused alone; if the transaction itself fails
 * (a concurrent recording of the same id), the batch is recorded one by one instead.
 */
export async function recordTouchpointBatch(deps: CoreDeps, tenantId: string, inputs: readonly TouchpointInput[], origins?: readonly Context[]): Promise<BatchOutcome[]> {
  const repos = repositoriesFor(deps.store, tenantId);
  const outcomes: (BatchOutcome | undefined)[] = new Array(inputs.length).fill(undefined);
  const existing = await repos.touchpoints.byIds([...new Set(inputs.map((i) => i.touchpointId))]);
  const owners = await resolveOwners(repos, inputs.map((i) => i.profileId));
  const definitions = await repos.definitions.getMany([...new Set(inputs.flatMap((i) => (i.journeyDefinitionId ? [i.journeyDefinitionId] : [])))]);
  const cases = await repos.cases.getMany([...new Set(inputs.flatMap((i) => (i.caseId ? [i.caseId] : [])))]);

  // Decide each input's fate before writing anything.
  const accepted: (Accepted & { index: number })[] = [];
  const seen = new Map<string, number>();
  inputs.forEach((input, index) => {
    const stored = existing.get(input.touchpointId);
    if (stored) {
      outcomes[index] = { touchpoint: stored, alreadyRecorded: true };
      return;
    }
    if (seen.has(input.touchpointId)) return; // answered after the write, like a repeat
    const owner = owners.get(input.profileId);
    if (!owner || owner.erased) {
      outcomes[index] = { error: profileErased() };
      return;
    }
    const definition = input.journeyDefinitionId ? definitions.get(input.journeyDefinitionId) : undefined;
    const refused = refusal(input, owner, definition, input.caseId ? cases.get(input.caseId) : undefined);
    if (refused) {
      outcomes[index] = { error: refused };
      return;
    }
    seen.set(input.touchpointId, index);
    accepted.push({ index, input, owner, definition, origin: origins?.[index] });
  });

  if (accepted.length > 0) {
    const now = deps.clock();
    let written: Written[];
    try {
      written = await deps.store.withTransaction((session) => writeTouchpoints(deps, repos, accepted, now, session));
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      // Someone recorded one of these ids meanwhile: take them one at a time.
      for (const { index, input, origin } of accepted) {
        try {
          const one = (): Promise<RecordResult> => recordTouchpoint(deps, tenantId, input);
          outcomes[index] = await (origin ? context.with(origin, one) : one());
        } catch (one) {
          if (one instanceof DomainError) outcomes[index] = { error: one };
          else throw one;
        }
      }
      written = [];
    }
    for (const [k, { touchpoint, journeyChanged }] of written.entries()) {
      const entry = accepted[k];
      if (!entry) continue;
      outcomes[entry.index] = { touchpoint, alreadyRecorded: false };
      notifyRecorded(deps, tenantId, touchpoint, journeyChanged);
    }
  }

  // Repeats of an id within the batch answer like repeats of a stored one.
  return inputs.map((input, index) => {
    const outcome = outcomes[index];
    if (outcome) return outcome;
    const first = outcomes[seen.get(input.touchpointId) ?? -1];
    if (first && 'touchpoint' in first) return { touchpoint: first.touchpoint, alreadyRecorded: true };
    return first ?? { error: new FailedPreconditionError('NOT_RECORDED', 'the touchpoint was not recorded') };
  });
}
