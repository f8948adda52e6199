import { AbortedError, AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@continuum/kit';
import { DuplicateKeyError, type StoreSession } from '@continuum/store';
import {
  evaluateAbandonment,
  validateDefinition,
  type JourneyChange,
  type JourneyDefinition,
  type JourneyDefinitionDraft,
  type JourneyInstance,
  type JourneyStatus,
} from '../domain';
import { appendJourneyEvent } from '../events/context-events';
import { JOURNEYS, type JourneyDoc } from '../store/collections';
import { repositoriesFor, type TenantRepositories } from '../store/repositories';
import type { CoreDeps } from './deps';
import { once } from './idempotency';
import { newDocumentId } from './ids';
import { resolveOwner } from './owners';

function checked(draft: JourneyDefinitionDraft): JourneyDefinitionDraft & { abandonAfterMs: number; completionStepId: string } {
  const violations = validateDefinition(draft);
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const last = draft.steps[draft.steps.length - 1];
  return { ...draft, abandonAfterMs: draft.abandonAfterMs ?? 0, completionStepId: draft.completionStepId || (last?.stepId ?? '') };
}

/** Saves an instance and appends one event per change, in the caller's transaction. */
export async function persistJourney(
  deps: CoreDeps,
  repos: TenantRepositories,
  instance: JourneyInstance,
  definition: JourneyDefinition,
  isNew: boolean,
  changes: readonly JourneyChange[],
  session: StoreSession,
): Promise<void> {
  await repos.journeys.save(instance, definition, isNew, newDocumentId(), session);
  for (const change of changes) await appendJourneyEvent(deps.outbox, session, repos.tenantId, change, instance);
}

const definitionNotFound = (): NotFoundError => new NotFoundError('JOURNEY_DEFINITION_NOT_FOUND', 'no such journey definition');
const journeyNotFound = (): NotFoundError => new NotFoundError('JOURNEY_NOT_FOUND', 'no such journey');

export async function createDefinition(deps: CoreDeps, tenantId: string, draft: JourneyDefinitionDraft, requestId: string): Promise<JourneyDefinition> {
  const valid = checked(draft);
  const repos = repositoriesFor(deps.store, tenantId);
  try {
    return await once(deps, repos, 'CreateJourneyDefinition', requestId, valid, async (session) => {
      const now = deps.clock();
      const definition: JourneyDefinition = { ...valid, version: 1, createTime: now, updateTime: now };
      await repos.definitions.insert(definition, newDocumentId(), session);
      return { resourceId: definition.journeyDefinitionId, result: definition };
    });
  } catch (err) {
    if (err instanceof DuplicateKeyError && err.keyFields.includes('journeyDefinitionId')) {
      throw new AlreadyExistsError('JOURNEY_DEFINITION_EXISTS', 'a journey definition with this id exists', { journey_definition_id: valid.journeyDefinitionId });
    }
    throw err;
  }
}

export async function updateDefinition(deps: CoreDeps, tenantId: string, draft: JourneyDefinitionDraft, expectedVersion: number, requestId: string): Promise<JourneyDefinition> {
  const valid = checked(draft);
  const repos = repositoriesFor(deps.store, tenantId);
  return once(deps, repos, 'UpdateJourneyDefinition', requestId, { valid, expectedVersion }, async (session) => {
    const current = await repos.definitions.get(valid.journeyDefinitionId, { session });
    if (!current) throw definitionNotFound();
    if (expectedVersion !== 0 && expectedVersion !== current.version) {
      throw new AbortedError('VERSION_MISMATCH', `the definition is at version ${current.version}`, { version: String(current.version) });
    }
    const next: JourneyDefinition = { ...valid, version: current.version + 1, createTime: current.createTime, updateTime: deps.clock() };
    if (!(await repos.definitions.replace(next, session))) throw new AbortedError('CONCURRENT_UPDATE', 'the definition changed meanwhile; retry');
    return { resourceId: next.journeyDefinitionId, result: next };
  });
}

export async function getDefinition(deps: CoreDeps, tenantId: string, id: string): Promise<JourneyDefinition> {
  const definition = await repositoriesFor(deps.store, tenantId).definitions.get(id);
  if (!definition) throw definitionNotFound();
  return definition;
}

export async function listDefinitions(deps: CoreDeps, tenantId: string, page: { pageSize: number; pageToken: string }) {
  return repositoriesFor(deps.store, tenantId).definitions.list(page);
}

/** An instance as of now (an idle active one reads as abandoned even before the sweeper runs). */
async function asOfNow(deps: CoreDeps, tenantId: string, instances: JourneyInstance[]): Promise<JourneyInstance[]> {
  const active = instances.filter((i) => i.status === 'active');
  if (active.length === 0) return instances;
  const definitions = await repositoriesFor(deps.store, tenantId).definitions.getMany([...new Set(active.map((i) => i.journeyDefinitionId))]);
  const now = deps.clock();
  return instances.map((i) => {
    const d = definitions.get(i.journeyDefinitionId);
    return d ? evaluateAbandonment(i, d, now).instance : i;
  });
}

export async function getJourney(deps: CoreDeps, tenantId: string, journeyId: string): Promise<JourneyInstance> {
  const instance = await repositoriesFor(deps.store, tenantId).journeys.get(journeyId);
  if (!instance) throw journeyNotFound();
  const [evaluated] = await asOfNow(deps, tenantId, [instance]);
  return evaluated ?? instance;
}

export async function listJourneys(
  deps: CoreDeps,
  tenantId: string,
  filter: { profileId: string; status?: JourneyStatus; journeyDefinitionId?: string },
  page: { pageSize: number; pageToken: string },
) {
  const repos = repositoriesFor(deps.store, tenantId);
  const owner = await resolveOwner(repos, filter.profileId);
  if (owner.erased) return { items: [], nextPageToken: '' };
  const result = await repos.journeys.list({ ...filter, profileId: owner.profileId }, page);
  const items = await asOfNow(deps, tenantId, result.items);
  // A stored ACTIVE that is idle by now does not answer a filter on ACTIVE.
  return { items: filter.status ? items.filter((i) => i.status === filter.status) : items, nextPageToken: result.nextPageToken };
}

/**
 * Closes the journeys whose abandon time has passed, with a journey_abandoned event each (the
 * sweeper's job; reads already show them abandoned). Returns how many it abandoned.
 */
export async function sweepAbandoned(deps: CoreDeps, limit = 500): Promise<number> {
  const now = deps.clock();
  const due = await deps.store.unscoped<JourneyDoc>(JOURNEYS).find({ status: 'active', abandonAt: { $lte: now } }, { limit, sort: { abandonAt: 1 } });
  let abandoned = 0;
  for (const doc of due) {
    const repos = repositoriesFor(deps.store, doc.tenantId);
    const changed = await deps.store.withTransaction(async (session) => {
      const current = await repos.journeys.get(doc.journeyId, { session });
      const definition = current && (await repos.definitions.get(current.journeyDefinitionId, { session }));
      if (!current || !definition) return undefined;
      const evaluated = evaluateAbandonment(current, definition, now);
      // Even when still active (the definition's period grew), saving refreshes abandonAt.
      await persistJourney(deps, repos, evaluated.instance, definition, false, evaluated.changes, session);
      return evaluated.changes.length > 0 ? evaluated.instance : undefined;
    });
    if (changed) {
      abandoned += 1;
      deps.hub.notify(doc.tenantId, [changed.profileId], { kind: 'journey', id: changed.journeyId });
    }
  }
  return abandoned;
}

