// gRPC handlers of continuum.context.v1.ContextService: validate, call the use case, map the
// result. Domain and store errors are translated to the kit's errors here, once.
import { contextV1 } from '@continuum/contracts';
import {
  AbortedError,
  DomainError,
  FailedPreconditionError,
  InvalidArgumentError,
  Violations,
  type CallContext,
  type ServiceRegistration,
} from '@continuum/kit';
import { InvalidPageTokenError, TransactionConflictError } from '@continuum/store';
import { closeCase, getCase, listCases, openCase, updateCase } from './application/cases';
import { getContext, getFacts } from './application/context-query';
import type { CoreDeps } from './application/deps';
import { resolveOwner } from './application/owners';
import { createDefinition, getDefinition, getJourney, listDefinitions, listJourneys, updateDefinition } from './application/journeys';
import { recordTouchpointBatch, type TouchpointInput } from './application/record-touchpoint';
import { TouchpointWriter } from './application/touchpoint-writer';
import type { ChangeKind, ContextChangeNotice } from './application/watch-hub';
import { ContextDomainError, DomainValidationError } from './domain';
import { caseStatuses, caseToWire, channels, contextToWire, definitionToWire, factToWire, journeyStatuses, journeyToWire, touchpointToWire } from './mapping';
import { repositoriesFor } from './store/repositories';
import {
  checkId,
  definitionDraft,
  LOWER_SNAKE,
  pageSize,
  pageToken,
  requestId,
  validatePurpose,
  validateTouchpoint,
} from './validation';

/** ErrorInfo domain of the context service. */
export const CONTEXT_ERROR_DOMAIN = 'context.continuum.dev';

export const SCOPES = { read: 'context.read', write: 'context.write', admin: 'context.admin' } as const;

/** Touchpoints of a RecordTouchpoints stream recorded per transaction, at most. */
const STREAM_BATCH = 256;
/**
 * While the stream is open, fewer touchpoints than this wait up to STREAM_MAX_WAIT_MS for more
 * before they are recorded: every transaction has a fixed cost (its reads, its outbox entry, the
 * relay's round for it) worth about as much as recording this many (bench/context/ingest-probe.ts
 * with --batch 4: ~340 µs per transaction).
 */
const STREAM_MIN_BATCH = 32;
/** How long a touchpoint of an open stream waits at most before it is recorded (ms). */
const STREAM_MAX_WAIT_MS = 2;
/** Requests one BatchGetContext call may carry. */
const MAX_BATCH_GET = 100;
/** Rejections listed in a RecordTouchpoints answer (all are counted). */
const MAX_REJECTED_REPORTED = 100;

/** Writers waiting for their turn to start a streamed batch, in the order they get it. */
const batchTurnWaiters: { writer: object; go: () => void }[] = [];
let batchTurnScheduled = false;
/** The writer whose batch started last, and how many turns in a row it had. */
let lastBatchWriter: object | undefined;
let lastBatchWriterTurns = 0;
/** Turns in a row one stream's writer may take while others wait. */
const MAX_BATCH_TURNS_IN_A_ROW = 32;

/**
 * Resolves when a RecordTouchpoints batch of `writer` (a token per call) may start: one batch per
 * turn of the event loop, so the network is read between two batches — batches of several streams
 * would otherwise run back to back in one turn, and a call whose last messages and end were waiting
 * in the socket would be answered only after all of them. The writer that had the last turn goes
 * first again, up to MAX_BATCH_TURNS_IN_A_ROW turns, then the others in the order they asked:
 * finishing one call before starting on the next answers it sooner, so its client sends its next
 * call sooner (taking turns strictly in order measured 0.48–0.52 × the echo in calls of 1,024 where this order measured 0.54–0.62 ×), while a
 * stream that never ends cannot keep the others waiting.
 */
function batchTurn(writer: object): Promise<void> {
  return new Promise<void>((resolve) => {
    const waiter = { writer, go: resolve };
    if (writer === lastBatchWriter && lastBatchWriterTurns < MAX_BATCH_TURNS_IN_A_ROW) batchTurnWaiters.unshift(waiter);
    else batchTurnWaiters.push(waiter);
    scheduleBatchTurn();
  });
}

function scheduleBatchTurn(): void {
  if (batchTurnScheduled || batchTurnWaiters.length === 0) return;
  batchTurnScheduled = true;
  setImmediate(() => {
    batchTurnScheduled = false;
    const next = batchTurnWaiters.shift();
    if (next) {
      lastBatchWriterTurns = next.writer === lastBatchWriter ? lastBatchWriterTurns + 1 : 1;
      lastBatchWriter = next.writer;
      next.go();
    }
    // Scheduled from within this turn's immediates: the next batch goes on the following turn.
    scheduleBatchTurn();
  });
}

/** Turns domain and store errors into the kit's typed errors (the interceptor maps those to gRPC). */
function translateError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  if (err instanceof DomainValidationError) return new InvalidArgumentError(err.violations);
  if (err instanceof ContextDomainError) return new FailedPreconditionError(err.reason, err.message);
  if (err instanceof InvalidPageTokenError) return new InvalidArgumentError([{ field: 'page_token', description: 'is not a token of this query', reason: 'INVALID_PAGE_TOKEN' }]);
  if (err instanceof TransactionConflictError) return new AbortedError('TRANSACTION_CONFLICT', 'concurrent changes conflicted; retry');
  return err;
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translateError(err);
  }
}

const CHANGE: Record<ChangeKind, contextV1.ContextChange> = {
  touchpoint: contextV1.ContextChange.CONTEXT_CHANGE_TOUCHPOINT_RECORDED,
  journey: contextV1.ContextChange.CONTEXT_CHANGE_JOURNEY,
  case: contextV1.ContextChange.CONTEXT_CHANGE_CASE,
  profile: contextV1.ContextChange.CONTEXT_CHANGE_PROFILE,
  erased: contextV1.ContextChange.CONTEXT_CHANGE_ERASED,
};

const limits = (v: Violations, touchpointLimit: number, factLimit: number, prefix = ''): { touchpointLimit: number; factLimit: number } => {
  v.range(`${prefix}touchpoint_limit`, touchpointLimit, 0, 100);
  v.range(`${prefix}fact_limit`, factLimit, 0, 200);
  return { touchpointLimit: touchpointLimit || 20, factLimit: factLimit || 50 };
};

/** The ContextService registration: handlers and the scope each method requires. */
export function contextRegistration(deps: CoreDeps): ServiceRegistration<typeof contextV1.ContextServiceService> {
  // Concurrent unary recordings of a tenant share transactions (group commit).
  const writer = new TouchpointWriter(deps);
  return {
    definition: contextV1.ContextServiceService,
    scopes: {
      recordTouchpoint: SCOPES.write,
      recordTouchpoints: SCOPES.write,
      listTouchpoints: SCOPES.read,
      getFacts: SCOPES.read,
      createJourneyDefinition: SCOPES.admin,
      getJourneyDefinition: SCOPES.read,
      listJourneyDefinitions: SCOPES.read,
      updateJourneyDefinition: SCOPES.admin,
      getJourney: SCOPES.read,
      listJourneys: SCOPES.read,
      openCase: SCOPES.write,
      updateCase: SCOPES.write,
      closeCase: SCOPES.write,
      getCase: SCOPES.read,
      listCases: SCOPES.read,
      getContext: SCOPES.read,
      batchGetContext: SCOPES.read,
      watchContext: SCOPES.read,
    },
    handlers: {
      async recordTouchpoint(req: contextV1.RecordTouchpointRequest, ctx: CallContext): Promise<contextV1.RecordTouchpointResponse> {
        const v = new Violations();
        const input = validateTouchpoint(v, req.touchpoint, deps.clock());
        checkId(v, 'request_id', req.requestId, false);
        v.throwIfAny();
        if (!input) throw new InvalidArgumentError([{ field: 'touchpoint', description: 'is required', reason: 'REQUIRED' }]);
        const result = await guard(() => writer.record(ctx.tenantId, input));
        return { touchpoint: touchpointToWire(result.touchpoint), alreadyRecorded: result.alreadyRecorded };
      },

      async recordTouchpoints(requests: AsyncIterable<contextV1.RecordTouchpointsRequest>, ctx: CallContext): Promise<contextV1.RecordTouchpointsResponse> {
        const out: contextV1.RecordTouchpointsResponse = { recordedCount: 0, duplicateCount: 0, rejected: [], rejectedCount: 0 };
        const reject = (index: number, touchpointId: string, err: DomainError): void => {
          out.rejectedCount += 1;
          if (out.rejected.length >= MAX_REJECTED_REPORTED) return;
          out.rejected.push({
            index,
            touchpointId,
            code: err.code,
            reason: err.reason,
            fields: err instanceof InvalidArgumentError ? err.violations.map((x) => x.field) : [],
            description: err.message,
          });
        };
        // Valid messages are recorded in batches, one transaction each, by one writer that runs
        // beside the reader: it takes whatever has arrived (up to STREAM_BATCH) once the messages
        // of one network read have been read. So recording overlaps receiving, a client waiting
        // for this call's answer is not held behind another call's messages, and under load the
        // batches grow by themselves (group commit). The reader waits while a full batch waits
        // for the writer, which bounds what one call holds in memory.
        let pending: { index: number; input: TouchpointInput }[] = [];
        let writing: Promise<void> | undefined;
        /** This call's writer, to the scheduler of streamed batches. */
        const turnToken = {};
        let room: (() => void) | undefined;
        const wakeReader = (): void => {
          room?.();
          room = undefined;
        };
        let readerDone = false;
        /** When the oldest touchpoint waiting in `pending` arrived (ms). */
        let waitingSince = 0;
        let fuller: (() => void) | undefined;
        const wakeWriter = (): void => {
          fuller?.();
          fuller = undefined;
        };
        /** Set once the call ends, early (a failed batch, a cancelled or timed-out call) or not: the writer stops after its current batch. */
        let stopped = false;
        const stop = (): void => {
          stopped = true;
          wakeWriter();
          wakeReader();
        };
        ctx.signal.addEventListener('abort', stop, { once: true });
        /** Rejects with the error of a failed batch: the call ends with it at once. */
        let fail!: (error: unknown) => void;
        const failed = new Promise<never>((_, rejectWith) => (fail = rejectWith));
        failed.catch(() => undefined);
        /** Resolves once more touchpoints can make a worthwhile batch, the stream ended, or the oldest waited long enough. */
        const moreOrLate = (): Promise<void> =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(wakeWriter, Math.max(0, waitingSince + STREAM_MAX_WAIT_MS - Date.now()));
            fuller = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        const record = async (): Promise<void> => {
          try {
            while (pending.length > 0 && !stopped) {
              if (pending.length < STREAM_MIN_BATCH && !readerDone) await moreOrLate();
              // Each batch starts on a turn of the event loop of its own (see batchTurn): the
              // messages of the network read in hand join it.
              await batchTurn(turnToken);
              // A call that ended meanwhile records nothing more (its client retries with the same ids).
              if (stopped) break;
              const taken = pending.length <= STREAM_BATCH ? pending : pending.slice(0, STREAM_BATCH);
              pending = taken === pending ? [] : pending.slice(STREAM_BATCH);
              waitingSince = Date.now();
              wakeReader();
              const outcomes = await guard(() => recordTouchpointBatch(deps, ctx.tenantId, taken.map((t) => t.input)));
              outcomes.forEach((outcome, k) => {
                const item = taken[k];
                if (!item) return;
                if ('error' in outcome) reject(item.index, item.input.touchpointId, outcome.error);
                else if (outcome.alreadyRecorded) out.duplicateCount += 1;
                else out.recordedCount += 1;
              });
            }
          } catch (error) {
            // Nothing after the failed batch is written.
            stop();
            fail(error);
          } finally {
            writing = undefined;
            wakeReader();
          }
        };
        const startWriter = (): Promise<void> => {
          // record() always awaits before it ends when there is something to write and it may.
          if (!writing && pending.length > 0 && !stopped) writing = record();
          return writing ?? Promise.resolve();
        };
        const readAll = async (): Promise<void> => {
          let index = -1;
          for await (const req of requests) {
            if (stopped) break;
            index += 1;
            const v = new Violations();
            const input = validateTouchpoint(v, req.touchpoint, deps.clock());
            if (!input) {
              reject(index, req.touchpoint?.touchpointId ?? '', new InvalidArgumentError(v.violations));
              continue;
            }
            if (pending.length === 0) waitingSince = Date.now();
            pending.push({ index, input });
            if (pending.length >= STREAM_MIN_BATCH) wakeWriter();
            void startWriter();
            if (pending.length >= STREAM_BATCH) await new Promise<void>((resolve) => (room = resolve));
          }
          readerDone = true;
          wakeWriter();
          while (pending.length > 0 && !stopped) await startWriter();
        };
        try {
          const reading = readAll();
          // Once the call has ended, the reader stops when the stream closes: nothing to report.
          reading.catch(() => undefined);
          // A failed batch ends the call without waiting for the client's next message.
          await Promise.race([reading, failed]);
        } finally {
          ctx.signal.removeEventListener('abort', stop);
          stop();
          await writing;
        }
        return out;
      },

      async listTouchpoints(req: contextV1.ListTouchpointsRequest, ctx: CallContext): Promise<contextV1.ListTouchpointsResponse> {
        const v = new Violations();
        checkId(v, 'profile_id', req.profileId, true);
        const wanted = req.channels.map((c, i) => {
          const ch = channels.domain(c);
          if (!ch) v.add(`channels[${i}]`, `unknown value ${c}`, 'UNKNOWN_ENUM_VALUE');
          return ch;
        });
        checkId(v, 'journey_definition_id', req.journeyDefinitionId, false, 64);
        checkId(v, 'journey_id', req.journeyId, false);
        checkId(v, 'case_id', req.caseId, false);
        const from = req.timeRange?.startTime;
        const to = req.timeRange?.endTime;
        if (from && to && from.getTime() >= to.getTime()) v.add('time_range.end_time', 'must be after start_time', 'OUT_OF_RANGE');
        const size = pageSize(v, req.pageSize);
        const token = pageToken(v, req.pageToken);
        v.throwIfAny();
        return guard(async () => {
          const repos = repositoriesFor(deps.store, ctx.tenantId);
          const owner = await resolveOwner(repos, req.profileId);
          if (owner.erased) return { touchpoints: [], nextPageToken: '' };
          const page = await repos.touchpoints.list(
            {
              profileId: owner.profileId,
              channels: wanted.filter((c) => c !== undefined),
              journeyDefinitionId: req.journeyDefinitionId || undefined,
              journeyId: req.journeyId || undefined,
              caseId: req.caseId || undefined,
              from,
              to,
            },
            req.newestFirst,
            { pageSize: size, pageToken: token },
          );
          return { touchpoints: page.items.map(touchpointToWire), nextPageToken: page.nextPageToken };
        });
      },

      async getFacts(req: contextV1.GetFactsRequest, ctx: CallContext): Promise<contextV1.GetFactsResponse> {
        const v = new Violations();
        checkId(v, 'profile_id', req.profileId, true);
        const purpose = validatePurpose(v, 'purpose', req.purpose);
        v.maxItems('keys', req.keys, 100);
        req.keys.slice(0, 100).forEach((k, i) => v.pattern(`keys[${i}]`, k, LOWER_SNAKE, 'lower_snake') && v.maxLength(`keys[${i}]`, k, 64));
        v.throwIfAny();
        const result = await guard(() => getFacts(deps, ctx.tenantId, req.profileId, purpose ?? 'service', req.keys));
        return { facts: result.facts.map(factToWire), withheldCount: result.withheldCount };
      },

      async createJourneyDefinition(req: contextV1.CreateJourneyDefinitionRequest, ctx: CallContext): Promise<contextV1.CreateJourneyDefinitionResponse> {
        const v = new Violations();
        const draft = definitionDraft(v, req.journeyDefinition);
        requestId(v, req.requestId);
        v.throwIfAny();
        if (!draft) throw new InvalidArgumentError([{ field: 'journey_definition', description: 'is required', reason: 'REQUIRED' }]);
        const created = await guard(() => createDefinition(deps, ctx.tenantId, draft, req.requestId));
        return { journeyDefinition: definitionToWire(created) };
      },

      async getJourneyDefinition(req: contextV1.GetJourneyDefinitionRequest, ctx: CallContext): Promise<contextV1.GetJourneyDefinitionResponse> {
        const v = new Violations();
        checkId(v, 'journey_definition_id', req.journeyDefinitionId, true, 64);
        v.throwIfAny();
        return { journeyDefinition: definitionToWire(await guard(() => getDefinition(deps, ctx.tenantId, req.journeyDefinitionId))) };
      },

      async listJourneyDefinitions(req: contextV1.ListJourneyDefinitionsRequest, ctx: CallContext): Promise<contextV1.ListJourneyDefinitionsResponse> {
        const v = new Violations();
        const size = pageSize(v, req.pageSize);
        const token = pageToken(v, req.pageToken);
        v.throwIfAny();
        const page = await guard(() => listDefinitions(deps, ctx.tenantId, { pageSize: size, pageToken: token }));
        return { journeyDefinitions: page.items.map(definitionToWire), nextPageToken: page.nextPageToken };
      },

      async updateJourneyDefinition(req: contextV1.UpdateJourneyDefinitionRequest, ctx: CallContext): Promise<contextV1.UpdateJourneyDefinitionResponse> {
        const v = new Violations();
        const draft = definitionDraft(v, req.journeyDefinition);
        v.range('expected_version', req.expectedVersion, 0, Number.MAX_SAFE_INTEGER);
        requestId(v, req.requestId);
        v.throwIfAny();
        if (!draft) throw new InvalidArgumentError([{ field: 'journey_definition', description: 'is required', reason: 'REQUIRED' }]);
        const updated = await guard(() => updateDefinition(deps, ctx.tenantId, draft, req.expectedVersion, req.requestId));
        return { journeyDefinition: definitionToWire(updated) };
      },

      async getJourney(req: contextV1.GetJourneyRequest, ctx: CallContext): Promise<contextV1.GetJourneyResponse> {
        const v = new Violations();
        checkId(v, 'journey_id', req.journeyId, true);
        v.throwIfAny();
        return { journey: journeyToWire(await guard(() => getJourney(deps, ctx.tenantId, req.journeyId))) };
      },

      async listJourneys(req: contextV1.ListJourneysRequest, ctx: CallContext): Promise<contextV1.ListJourneysResponse> {
        const v = new Violations();
        checkId(v, 'profile_id', req.profileId, true);
        const statusFilter = journeyStatuses.domain(req.status);
        if (req.status !== 0 && !statusFilter) v.add('status', `unknown value ${req.status}`, 'UNKNOWN_ENUM_VALUE');
        checkId(v, 'journey_definition_id', req.journeyDefinitionId, false, 64);
        const size = pageSize(v, req.pageSize);
        const token = pageToken(v, req.pageToken);
        v.throwIfAny();
        const page = await guard(() =>
          listJourneys(deps, ctx.tenantId, { profileId: req.profileId, status: statusFilter, journeyDefinitionId: req.journeyDefinitionId || undefined }, { pageSize: size, pageToken: token }),
        );
        return { journeys: page.items.map(journeyToWire), nextPageToken: page.nextPageToken };
      },

      async openCase(req: contextV1.OpenCaseRequest, ctx: CallContext): Promise<contextV1.OpenCaseResponse> {
        const v = new Violations();
        checkId(v, 'profile_id', req.profileId, true);
        if (v.required('subject', req.subject)) v.maxLength('subject', req.subject, 256);
        checkId(v, 'owner_agent_id', req.ownerAgentId, false);
        checkId(v, 'team_id', req.teamId, false);
        requestId(v, req.requestId);
        v.throwIfAny();
        const kase = await guard(() =>
          openCase(deps, ctx.tenantId, { profileId: req.profileId, subject: req.subject, ownerAgentId: req.ownerAgentId, teamId: req.teamId }, req.requestId),
        );
        return { case: caseToWire(kase) };
      },

      async updateCase(req: contextV1.UpdateCaseRequest, ctx: CallContext): Promise<contextV1.UpdateCaseResponse> {
        const v = new Violations();
        checkId(v, 'case_id', req.caseId, true);
        if (req.ownerAgentId !== undefined) checkId(v, 'owner_agent_id', req.ownerAgentId, false);
        if (req.teamId !== undefined) checkId(v, 'team_id', req.teamId, false);
        if (req.subject !== undefined && v.required('subject', req.subject)) v.maxLength('subject', req.subject, 256);
        const newStatus = caseStatuses.domain(req.status);
        if (req.status !== 0 && !newStatus) v.add('status', `unknown value ${req.status}`, 'UNKNOWN_ENUM_VALUE');
        else if (newStatus === 'closed') v.add('status', 'use CloseCase to close a case', 'USE_CLOSE_CASE');
        v.range('expected_version', req.expectedVersion, 0, Number.MAX_SAFE_INTEGER);
        requestId(v, req.requestId);
        v.throwIfAny();
        const kase = await guard(() =>
          updateCase(
            deps,
            ctx.tenantId,
            {
              caseId: req.caseId,
              ownerAgentId: req.ownerAgentId,
              teamId: req.teamId,
              subject: req.subject,
              status: newStatus === 'closed' ? undefined : newStatus,
              expectedVersion: req.expectedVersion,
            },
            req.requestId,
          ),
        );
        return { case: caseToWire(kase) };
      },

      async closeCase(req: contextV1.CloseCaseRequest, ctx: CallContext): Promise<contextV1.CloseCaseResponse> {
        const v = new Violations();
        checkId(v, 'case_id', req.caseId, true);
        v.maxLength('resolution', req.resolution, 1024);
        requestId(v, req.requestId);
        v.throwIfAny();
        return { case: caseToWire(await guard(() => closeCase(deps, ctx.tenantId, req.caseId, req.resolution, req.requestId))) };
      },

      async getCase(req: contextV1.GetCaseRequest, ctx: CallContext): Promise<contextV1.GetCaseResponse> {
        const v = new Violations();
        checkId(v, 'case_id', req.caseId, true);
        v.throwIfAny();
        return { case: caseToWire(await guard(() => getCase(deps, ctx.tenantId, req.caseId))) };
      },

      async listCases(req: contextV1.ListCasesRequest, ctx: CallContext): Promise<contextV1.ListCasesResponse> {
        const v = new Violations();
        if (!req.profileId && !req.ownerAgentId) v.add('profile_id', 'profile_id or owner_agent_id is required', 'REQUIRED');
        checkId(v, 'profile_id', req.profileId, false);
        checkId(v, 'owner_agent_id', req.ownerAgentId, false);
        const statusFilter = caseStatuses.domain(req.status);
        if (req.status !== 0 && !statusFilter) v.add('status', `unknown value ${req.status}`, 'UNKNOWN_ENUM_VALUE');
        const size = pageSize(v, req.pageSize);
        const token = pageToken(v, req.pageToken);
        v.throwIfAny();
        const page = await guard(() =>
          listCases(deps, ctx.tenantId, { profileId: req.profileId || undefined, ownerAgentId: req.ownerAgentId || undefined, status: statusFilter }, { pageSize: size, pageToken: token }),
        );
        return { cases: page.items.map(caseToWire), nextPageToken: page.nextPageToken };
      },

      async getContext(req: contextV1.GetContextRequest, ctx: CallContext): Promise<contextV1.GetContextResponse> {
        const v = new Violations();
        checkId(v, 'profile_id', req.profileId, true);
        const purpose = validatePurpose(v, 'purpose', req.purpose);
        const lim = limits(v, req.touchpointLimit, req.factLimit);
        v.throwIfAny();
        const view = await guard(() => getContext(deps, ctx.tenantId, { profileId: req.profileId, purpose: purpose ?? 'service', ...lim }));
        return contextToWire(view);
      },

      async batchGetContext(req: contextV1.BatchGetContextRequest, ctx: CallContext): Promise<contextV1.BatchGetContextResponse> {
        const v = new Violations();
        if (req.requests.length === 0) v.add('requests', 'must name at least one request', 'REQUIRED');
        else if (req.requests.length > MAX_BATCH_GET) v.add('requests', `must have at most ${MAX_BATCH_GET} requests`, 'TOO_MANY');
        const queries = req.requests.slice(0, MAX_BATCH_GET).map((one, i) => {
          const field = (name: string) => `requests[${i}].${name}`;
          checkId(v, field('profile_id'), one.profileId, true);
          const purpose = validatePurpose(v, field('purpose'), one.purpose);
          const lim = limits(v, one.touchpointLimit, one.factLimit, `requests[${i}].`);
          return { profileId: one.profileId, purpose: purpose ?? 'service', ...lim };
        });
        v.throwIfAny();
        const contexts: contextV1.GetContextResponse[] = [];
        for (const query of queries) contexts.push(contextToWire(await guard(() => getContext(deps, ctx.tenantId, query))));
        return { contexts };
      },

      async *watchContext(req: contextV1.WatchContextRequest, ctx: CallContext): AsyncIterable<contextV1.WatchContextResponse> {
        const v = new Violations();
        checkId(v, 'profile_id', req.profileId, true);
        const purpose = validatePurpose(v, 'purpose', req.purpose) ?? 'service';
        const lim = limits(v, req.touchpointLimit, 0);
        v.throwIfAny();
        const pending: ContextChangeNotice[] = [];
        let wake: (() => void) | undefined;
        const onNotice = (notice: ContextChangeNotice): void => {
          pending.push(notice);
          wake?.();
        };
        const onAbort = (): void => wake?.();
        ctx.signal.addEventListener('abort', onAbort);
        // Subscribe before the first read, so nothing that commits in between is missed.
        const unsubscribe = [deps.hub.subscribe(ctx.tenantId, req.profileId, onNotice)];
        try {
          const read = () => guard(() => getContext(deps, ctx.tenantId, { profileId: req.profileId, purpose, ...lim }));
          const first = await read();
          if (first.profile.profileId !== req.profileId) unsubscribe.push(deps.hub.subscribe(ctx.tenantId, first.profile.profileId, onNotice));
          const firstWire = contextToWire(first);
          // The same change can be told twice (by the writer here and, across replicas, by the
          // bus): a context that did not change is not sent again.
          let lastSent = Buffer.from(contextV1.GetContextResponse.encode(firstWire).finish());
          yield { change: contextV1.ContextChange.CONTEXT_CHANGE_INITIAL, changedId: '', context: firstWire };
          while (!ctx.signal.aborted) {
            if (pending.length === 0) {
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              wake = undefined;
            }
            if (ctx.signal.aborted) break;
            // A burst of changes becomes one message: the context is re-read once, after the last.
            const batch = pending.splice(0);
            const last = batch.find((n) => n.kind === 'erased') ?? batch[batch.length - 1];
            if (!last) continue;
            const wire = contextToWire(await read());
            const encoded = Buffer.from(contextV1.GetContextResponse.encode(wire).finish());
            if (last.kind !== 'erased' && encoded.equals(lastSent)) continue;
            lastSent = encoded;
            yield { change: CHANGE[last.kind], changedId: last.id, context: wire };
            if (last.kind === 'erased') return;
          }
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
          for (const u of unsubscribe) u();
        }
      },
    },
  };
}
