/**
 * The gRPC handlers of continuum.routing.v1.RoutingService: validate every field, run the
 * operation through the application (engine + store + streams), map results and errors.
 * Permission (tenant, scope) is checked by the kit before a handler runs, so it always comes
 * before existence; every read and write is scoped to the caller's tenant.
 */
import { routingV1 } from '@continuum/contracts';
import {
  AbortedError,
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  Violations,
  type CallContext,
  type ServiceRegistration,
} from '@continuum/kit';
import { DuplicateKeyError, InvalidPageTokenError, type Filter } from '@continuum/store';
import { RequestIdReusedError, fingerprintOf, submissionOf, type Codec, type IdempotencyKey, type RoutingApplication, type TenantRouter } from './application';
import { checkChannel } from './domain/engine';
import { RoutingDomainError, TaskNotFoundError, TaskStatusError } from './domain/errors';
import type { TaskView } from './domain/model';
import {
  agentDefOf,
  agentDocOf,
  agentToProto,
  channelOf,
  explanationToProto,
  outcomeOf,
  policyDocOf,
  policyOf,
  policyToProto,
  presenceOf,
  queueDefOf,
  queueDocOf,
  queueToProto,
  statusOf,
  taskToProto,
  taskViewOfDoc,
} from './mapping';
import { RoutingRepository } from './store/routing-repository';
import { DEFAULT_POLICY } from './domain/policy';
import {
  checkAgent,
  checkCode,
  checkId,
  checkOptionalId,
  checkOutcome,
  checkPage,
  checkPolicy,
  checkPresence,
  checkQueue,
  checkRequestId,
  checkStatusFilter,
  checkSubmission,
  SLUG,
} from './validation';

/** ErrorInfo domain of routing's errors. */
export const ROUTING_ERROR_DOMAIN = 'routing.continuum.dev';
/** Scopes of the routing service. */
export const ROUTING_SCOPES = { read: 'routing.read', write: 'routing.write', admin: 'routing.admin' } as const;

type Definition = typeof routingV1.RoutingServiceService;

/** Maps the application's and the domain's errors to the kit's. */
function mapError(error: unknown): never {
  if (error instanceof RoutingDomainError) {
    switch (error.kind) {
      case 'not_found':
        // The same answer for an id of another tenant and one that exists nowhere.
        throw new NotFoundError(error.reason, error.message, error.field ? { field: error.field } : {});
      case 'already_exists':
        throw new AlreadyExistsError(error.reason, error.message);
      case 'failed_precondition':
        throw new FailedPreconditionError(error.reason, error.message);
      case 'invalid_argument':
        throw new InvalidArgumentError([{ field: error.field ?? '', description: error.message, reason: error.reason }], error.reason);
    }
  }
  if (error instanceof RequestIdReusedError) {
    throw new InvalidArgumentError([{ field: 'request_id', description: error.message, reason: 'REUSED' }], 'REQUEST_ID_REUSED');
  }
  if (error instanceof InvalidPageTokenError) {
    throw new InvalidArgumentError([{ field: 'page_token', description: 'is not a token of this query', reason: 'INVALID_FORMAT' }]);
  }
  if (error instanceof DuplicateKeyError) throw new AlreadyExistsError('ALREADY_EXISTS', 'exists already');
  throw error;
}

async function guarded<R>(body: () => Promise<R>): Promise<R> {
  try {
    return await body();
  } catch (error) {
    return mapError(error);
  }
}

function idem<Req extends { requestId: string }, Res>(method: string, request: Req, requestCodec: Codec<Req>, responseCodec: Codec<Res>): IdempotencyKey<Res> {
  return { method, requestId: request.requestId, fingerprint: fingerprintOf(requestCodec, { ...request, requestId: '' }), codec: responseCodec };
}

const notFound = (what: 'QUEUE' | 'AGENT' | 'TASK', id: string): NotFoundError => new NotFoundError(`${what}_NOT_FOUND`, `${what.toLowerCase()} ${id} not found`);

export function routingRegistration(app: RoutingApplication): ServiceRegistration<Definition> {
  const routerOf = (ctx: CallContext): Promise<TenantRouter> => app.router(ctx.tenantId);
  const nowDate = (): Date => new Date(app.now());

  /** A task the engine no longer holds: conflict if it ended, not found if it never existed. */
  const endedOrMissing = async (router: TenantRouter, taskId: string, operation: string): Promise<never> => {
    const doc = await app.repo.getTask(router.tenantId, taskId);
    if (!doc) throw notFound('TASK', taskId);
    throw new TaskStatusError(taskId, doc.status, operation);
  };

  /** Runs an engine operation on a task; a task the engine does not hold is answered from the store. */
  const onTask = async <R>(router: TenantRouter, taskId: string, operation: string, run: () => Promise<R>): Promise<R> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof TaskNotFoundError) return endedOrMissing(router, taskId, operation);
      throw error;
    }
  };

  const handlers: ServiceRegistration<Definition>['handlers'] = {
    // ------------------------------------------------------------ queues
    createQueue: (req: routingV1.CreateQueueRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkQueue(v, req.queue);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const q = req.queue as routingV1.Queue;
        const router = await routerOf(ctx);
        return app.execute(router, idem('CreateQueue', req, routingV1.CreateQueueRequest, routingV1.CreateQueueResponse), () => {
          if (router.queues.has(q.queueId)) throw new AlreadyExistsError('QUEUE_ALREADY_EXISTS', `queue ${q.queueId} exists already`);
          const now = nowDate();
          const doc = queueDocOf(q, router.tenantId, now, now);
          router.queues.set(doc.queueId, doc);
          router.engine.upsertQueue(queueDefOf(doc));
          return { response: { queue: queueToProto(doc) }, ops: [RoutingRepository.insertQueue(doc)] };
        });
      }),

    updateQueue: (req: routingV1.UpdateQueueRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkQueue(v, req.queue);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const q = req.queue as routingV1.Queue;
        const router = await routerOf(ctx);
        return app.execute(router, idem('UpdateQueue', req, routingV1.UpdateQueueRequest, routingV1.UpdateQueueResponse), () => {
          const old = router.queues.get(q.queueId);
          if (!old) throw notFound('QUEUE', q.queueId);
          if (channelOf(q.channel) !== old.channel && router.engine.hasLiveTasks({ queueId: q.queueId })) {
            throw new FailedPreconditionError('QUEUE_IN_USE', `queue ${q.queueId} has unfinished tasks: its channel cannot change`);
          }
          const doc = queueDocOf(q, router.tenantId, old.createTime, nowDate());
          router.queues.set(doc.queueId, doc);
          const plan = app.effectsPlan(router, router.engine.upsertQueue(queueDefOf(doc)));
          return { response: { queue: queueToProto(doc) }, ops: [RoutingRepository.putQueue(doc), ...plan.ops], after: plan.after };
        });
      }),

    getQueue: (req: routingV1.GetQueueRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'queue_id', req.queueId, SLUG);
        v.throwIfAny();
        const router = await routerOf(ctx);
        const doc = router.queues.get(req.queueId);
        if (!doc) throw notFound('QUEUE', req.queueId);
        return { queue: queueToProto(doc), waitingCount: router.engine.waitingCount(req.queueId) };
      }),

    listQueues: (req: routingV1.ListQueuesRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkPage(v, req.pageSize);
        v.throwIfAny();
        const page = await app.repo.listQueues(ctx.tenantId, req.pageSize || 50, req.pageToken);
        return { queues: page.items.map(queueToProto), nextPageToken: page.nextPageToken };
      }),

    deleteQueue: (req: routingV1.DeleteQueueRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'queue_id', req.queueId, SLUG);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const router = await routerOf(ctx);
        return app.execute(router, idem('DeleteQueue', req, routingV1.DeleteQueueRequest, routingV1.DeleteQueueResponse), () => {
          if (!router.queues.has(req.queueId)) throw notFound('QUEUE', req.queueId);
          router.engine.removeQueue(req.queueId);
          router.queues.delete(req.queueId);
          return { response: {}, ops: [RoutingRepository.deleteQueue(req.queueId)] };
        });
      }),

    // ------------------------------------------------------------ agents
    createAgent: (req: routingV1.CreateAgentRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkAgent(v, req.agent);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const a = req.agent as routingV1.Agent;
        const router = await routerOf(ctx);
        return app.execute(router, idem('CreateAgent', req, routingV1.CreateAgentRequest, routingV1.CreateAgentResponse), () => {
          if (router.agents.has(a.agentId)) throw new AlreadyExistsError('AGENT_ALREADY_EXISTS', `agent ${a.agentId} exists already`);
          const now = nowDate();
          const doc = agentDocOf(a, router.tenantId, 'offline', now, now, now);
          router.agents.set(doc.agentId, doc);
          router.engine.upsertAgent(agentDefOf(doc));
          return { response: { agent: agentToProto(doc, router.engine.agentView(doc.agentId)) }, ops: [RoutingRepository.insertAgent(doc)] };
        });
      }),

    updateAgent: (req: routingV1.UpdateAgentRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkAgent(v, req.agent);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const a = req.agent as routingV1.Agent;
        const router = await routerOf(ctx);
        return app.execute(router, idem('UpdateAgent', req, routingV1.UpdateAgentRequest, routingV1.UpdateAgentResponse), () => {
          const old = router.agents.get(a.agentId);
          if (!old) throw notFound('AGENT', a.agentId);
          const doc = agentDocOf(a, router.tenantId, old.presence, old.presenceTime, old.createTime, nowDate());
          router.agents.set(doc.agentId, doc);
          const plan = app.effectsPlan(router, router.engine.upsertAgent(agentDefOf(doc)));
          return { response: { agent: agentToProto(doc, router.engine.agentView(doc.agentId)) }, ops: [RoutingRepository.putAgent(doc), ...plan.ops], after: plan.after };
        });
      }),

    getAgent: (req: routingV1.GetAgentRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'agent_id', req.agentId);
        v.throwIfAny();
        const router = await routerOf(ctx);
        const doc = router.agents.get(req.agentId);
        if (!doc) throw notFound('AGENT', req.agentId);
        return { agent: agentToProto(doc, router.engine.agentView(req.agentId)) };
      }),

    listAgents: (req: routingV1.ListAgentsRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkOptionalId(v, 'team_id', req.teamId);
        checkPage(v, req.pageSize);
        v.throwIfAny();
        const router = await routerOf(ctx);
        const page = await app.repo.listAgents(ctx.tenantId, req.teamId, req.pageSize || 50, req.pageToken);
        return { agents: page.items.map((d) => agentToProto(router.agents.get(d.agentId) ?? d, router.engine.agentView(d.agentId))), nextPageToken: page.nextPageToken };
      }),

    deleteAgent: (req: routingV1.DeleteAgentRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'agent_id', req.agentId);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const router = await routerOf(ctx);
        return app.execute(router, idem('DeleteAgent', req, routingV1.DeleteAgentRequest, routingV1.DeleteAgentResponse), () => {
          if (!router.agents.has(req.agentId)) throw notFound('AGENT', req.agentId);
          router.engine.removeAgent(req.agentId);
          router.agents.delete(req.agentId);
          const stream = router.streams.get(req.agentId);
          router.streams.delete(req.agentId);
          stream?.close();
          return { response: {}, ops: [RoutingRepository.deleteAgent(req.agentId)] };
        });
      }),

    setPresence: (req: routingV1.SetPresenceRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'agent_id', req.agentId);
        checkPresence(v, req.presence);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const router = await routerOf(ctx);
        return app.execute(router, idem('SetPresence', req, routingV1.SetPresenceRequest, routingV1.SetPresenceResponse), () => {
          if (!router.agents.has(req.agentId)) throw notFound('AGENT', req.agentId);
          const plan = app.presencePlan(router, req.agentId, presenceOf(req.presence));
          const doc = router.agents.get(req.agentId);
          return { response: { agent: doc ? agentToProto(doc, router.engine.agentView(req.agentId)) : undefined }, ops: plan.ops, after: plan.after };
        });
      }),

    // ------------------------------------------------------------ policy
    getRoutingPolicy: (_req: routingV1.GetRoutingPolicyRequest, ctx: CallContext) =>
      guarded(async () => {
        const router = await routerOf(ctx);
        const doc = router.policyDoc;
        return { policy: doc ? policyToProto(policyOf(doc), doc.updateTime) : policyToProto(DEFAULT_POLICY, undefined) };
      }),

    updateRoutingPolicy: (req: routingV1.UpdateRoutingPolicyRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkPolicy(v, req.policy);
        if (req.expectedVersion < 0) v.add('expected_version', 'must not be negative', 'OUT_OF_RANGE');
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const p = req.policy as routingV1.RoutingPolicy;
        const router = await routerOf(ctx);
        return app.execute(router, idem('UpdateRoutingPolicy', req, routingV1.UpdateRoutingPolicyRequest, routingV1.UpdateRoutingPolicyResponse), () => {
          const current = router.policyDoc?.version ?? 0;
          if (req.expectedVersion !== current) {
            throw new AbortedError('VERSION_MISMATCH', `the policy is at version ${current}`, { current_version: String(current) });
          }
          const doc = policyDocOf(p, router.tenantId, current + 1, nowDate());
          router.policyDoc = doc;
          const plan = app.effectsPlan(router, router.engine.setPolicy(policyOf(doc)));
          return { response: { policy: policyToProto(policyOf(doc), doc.updateTime) }, ops: [RoutingRepository.putPolicy(doc), ...plan.ops], after: plan.after };
        });
      }),

    dryRun: (req: routingV1.DryRunRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkSubmission(v, 'task', req.task);
        v.throwIfAny();
        const t = req.task as routingV1.TaskSubmission;
        const router = await routerOf(ctx);
        const queue = router.engine.queue(t.queueId);
        if (!queue) throw notFound('QUEUE', t.queueId);
        checkChannel(queue, t.channel !== 0 ? channelOf(t.channel) : undefined, 'task.channel');
        const { context } = await app.askContext(t.profileId, t.caseId, ctx);
        const sub = submissionOf(t, 'dry-run', context, app.now());
        const result = router.engine.dryRun(sub);
        return { agentId: result.agentId, explanation: explanationToProto(result.explanation) };
      }),

    // ------------------------------------------------------------ tasks
    submitTask: (req: routingV1.SubmitTaskRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkSubmission(v, 'task', req.task);
        checkRequestId(v, req.requestId, true);
        v.throwIfAny();
        const router = await routerOf(ctx);
        return { task: await app.submit(router, req, ctx) };
      }),

    cancelTask: (req: routingV1.CancelTaskRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'task_id', req.taskId);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const router = await routerOf(ctx);
        if (!router.engine.view(req.taskId)) {
          // Abandoned already: the same answer again. Anything else ended: a conflict.
          const doc = await app.repo.getTask(router.tenantId, req.taskId);
          if (doc?.status === 'abandoned') return { task: taskToProto(taskViewOfDoc(doc)) };
        }
        return onTask(router, req.taskId, 'abandon', () =>
          app.execute(router, idem('CancelTask', req, routingV1.CancelTaskRequest, routingV1.CancelTaskResponse), () => {
            const effects = router.engine.cancel(req.taskId);
            const plan = app.effectsPlan(router, effects);
            const ended = effects.find((e) => e.kind === 'abandoned')?.task as TaskView;
            return { response: { task: taskToProto(ended) }, ops: plan.ops, after: plan.after };
          }),
        );
      }),

    getTask: (req: routingV1.GetTaskRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'task_id', req.taskId);
        v.throwIfAny();
        const router = await routerOf(ctx);
        const view = await app.getTask(router, req.taskId);
        if (!view) throw notFound('TASK', req.taskId);
        return { task: taskToProto(view) };
      }),

    listTasks: (req: routingV1.ListTasksRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkStatusFilter(v, req.status);
        if (req.queueId !== '') checkId(v, 'queue_id', req.queueId, SLUG);
        checkOptionalId(v, 'agent_id', req.agentId);
        checkPage(v, req.pageSize);
        v.throwIfAny();
        const filter: Filter = {};
        const status = statusOf(req.status);
        if (status) filter['status'] = status;
        if (req.queueId !== '') filter['queueId'] = req.queueId;
        if (req.agentId !== '') filter['agentId'] = req.agentId;
        const page = await app.repo.listTasks(ctx.tenantId, filter, req.pageSize || 50, req.pageToken);
        return { tasks: page.items.map((d) => taskToProto(taskViewOfDoc(d))), nextPageToken: page.nextPageToken };
      }),

    // ------------------------------------------------------------ offers
    connectAgent: (req: routingV1.ConnectAgentRequest, ctx: CallContext) => connectAgent(app, req, ctx),

    acceptOffer: (req: routingV1.AcceptOfferRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'agent_id', req.agentId);
        checkId(v, 'offer_id', req.offerId);
        checkId(v, 'task_id', req.taskId);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const router = await routerOf(ctx);
        return onTask(router, req.taskId, 'accept', () =>
          app.execute(router, idem('AcceptOffer', req, routingV1.AcceptOfferRequest, routingV1.AcceptOfferResponse), () => {
            const effects = router.engine.accept(req.taskId, req.agentId, req.offerId);
            const plan = app.effectsPlan(router, effects);
            const accepted = effects.find((e) => e.kind === 'accepted')?.task as TaskView;
            return { response: { task: taskToProto(accepted) }, ops: plan.ops, after: plan.after };
          }),
        );
      }),

    rejectOffer: (req: routingV1.RejectOfferRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'agent_id', req.agentId);
        checkId(v, 'offer_id', req.offerId);
        checkId(v, 'task_id', req.taskId);
        checkCode(v, 'reason', req.reason);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const router = await routerOf(ctx);
        return onTask(router, req.taskId, 'reject', () =>
          app.execute(router, idem('RejectOffer', req, routingV1.RejectOfferRequest, routingV1.RejectOfferResponse), () => {
            const effects = router.engine.reject(req.taskId, req.agentId, req.offerId, req.reason);
            const plan = app.effectsPlan(router, effects);
            return { response: { task: taskToProto(router.engine.view(req.taskId) as TaskView) }, ops: plan.ops, after: plan.after };
          }),
        );
      }),

    completeTask: (req: routingV1.CompleteTaskRequest, ctx: CallContext) =>
      guarded(async () => {
        const v = new Violations();
        checkId(v, 'agent_id', req.agentId);
        checkId(v, 'task_id', req.taskId);
        checkOutcome(v, req.outcome);
        checkCode(v, 'wrap_up_code', req.wrapUpCode);
        checkRequestId(v, req.requestId, false);
        v.throwIfAny();
        const router = await routerOf(ctx);
        return onTask(router, req.taskId, 'complete', () =>
          app.execute(router, idem('CompleteTask', req, routingV1.CompleteTaskRequest, routingV1.CompleteTaskResponse), () => {
            const effects = router.engine.complete(req.taskId, req.agentId, outcomeOf(req.outcome), req.wrapUpCode);
            const plan = app.effectsPlan(router, effects);
            const done = effects.find((e) => e.kind === 'completed')?.task as TaskView;
            return { response: { task: taskToProto(done) }, ops: plan.ops, after: plan.after };
          }),
        );
      }),
  };

  const { read, write, admin } = ROUTING_SCOPES;
  return {
    definition: routingV1.RoutingServiceService,
    handlers,
    scopes: {
      createQueue: admin,
      updateQueue: admin,
      getQueue: read,
      listQueues: read,
      deleteQueue: admin,
      createAgent: admin,
      updateAgent: admin,
      getAgent: read,
      listAgents: read,
      deleteAgent: admin,
      setPresence: write,
      getRoutingPolicy: read,
      updateRoutingPolicy: admin,
      dryRun: read,
      submitTask: write,
      cancelTask: write,
      getTask: read,
      listTasks: read,
      connectAgent: write,
      acceptOffer: write,
      rejectOffer: write,
      completeTask: write,
    },
  };
}

/** The agent's offer stream: `connected` first, then offers and withdrawals until the client leaves. */
async function* connectAgent(app: RoutingApplication, req: routingV1.ConnectAgentRequest, ctx: CallContext): AsyncGenerator<routingV1.ConnectAgentResponse> {
  const v = new Violations();
  checkId(v, 'agent_id', req.agentId);
  v.throwIfAny();
  const router = await app.router(ctx.tenantId);
  if (!router.agents.has(req.agentId)) throw notFound('AGENT', req.agentId);
  const { stream, first, ready } = app.connect(router, req.agentId);
  try {
    yield first;
    await ready;
    for await (const message of stream.messages(ctx.signal)) yield message;
  } finally {
    await app.disconnect(router, req.agentId, stream);
  }
}

