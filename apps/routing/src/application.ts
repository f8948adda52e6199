/**
 * The routing application: one engine per tenant (loaded from the store on first use, and at
 * start-up for every tenant with tasks in flight), the offer streams of connected agents, the
 * timers that drive rings, stage fallbacks and offer time-outs, and the persistence of every
 * engine effect with its events (outbox) in one transaction before anything is pushed to an agent.
 *
 * Ordering: an engine operation is synchronous and its writes are handed to the group committer
 * in the same tick, so writes commit in the order the engine decided; pushes to agents happen
 * only after their writes committed, in commit order, at the end of that turn of the event loop
 * (after the answer of the call that made them).
 */
import { hash } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { routingV1 } from '@continuum/contracts';
import type { CallContext, Logger } from '@continuum/kit';
import { AgentStream } from './agent-stream';
import type { ContextPort, RoutingContext } from './context-port';
import { RoutingEngine } from './domain/engine';
import { ChannelMismatchError, QueueNotFoundError, TaskAlreadyExistsError } from './domain/errors';
import type { Presence, RoutingEffect, TaskSubmission, TaskView } from './domain/model';
import { DEFAULT_POLICY } from './domain/policy';
import { eventsOf, taskCreatedEvent } from './events/routing-events';
import { agentDefOf, agentToProto, channelOf, policyOf, queueDefOf, taskDocOf, taskToProto, taskViewOfDoc } from './mapping';
import type { AgentDoc, PolicyDoc, QueueDoc } from './store/documents';
import { RoutingRepository, type WriteOp } from './store/routing-repository';

/** Thrown when a request id comes back with a different request. */
export class RequestIdReusedError extends Error {
  constructor() {
    super('this request_id was used for a different request');
    this.name = 'RequestIdReusedError';
  }
}

export interface RoutingApplicationOptions {
  readonly repository: RoutingRepository;
  readonly context: ContextPort;
  readonly log: Logger;
  readonly offerTimeoutMs: number;
  /** Milliseconds since the epoch; tests inject their own. */
  readonly clock?: () => number;
}

/** A ts-proto message codec, to store and replay an answer. */
export interface Codec<M> {
  encode(message: M): { finish(): Uint8Array };
  decode(input: Uint8Array): M;
}

/** How a mutating call is made idempotent: its key and what the request looked like. */
export interface IdempotencyKey<R> {
  readonly method: string;
  readonly requestId: string;
  readonly fingerprint: string;
  readonly codec: Codec<R>;
}

/** What an operation decided: the answer, the writes, and what to do once they committed. */
export interface Outcome<R> {
  readonly response: R;
  readonly ops: WriteOp[];
  readonly after?: () => void;
}

export function fingerprintOf<M>(codec: Codec<M>, message: M): string {
  // One-shot hash: the same digest as createHash().update().digest(), without a Hash object per call.
  return hash('sha256', codec.encode(message).finish(), 'base64url');
}

/** Timers of a tenant fire at most this often (ms): due work waits at most this long past its time. */
const MIN_TICK_INTERVAL_MS = 5;

/** One tenant's engine, definitions, agent streams and timer. */
export class TenantRouter {
  readonly engine: RoutingEngine;
  readonly queues = new Map<string, QueueDoc>();
  readonly agents = new Map<string, AgentDoc>();
  policyDoc: PolicyDoc | null = null;
  readonly streams = new Map<string, AgentStream>();
  /** Requests being answered now, by idempotency key (retries wait for the first answer). */
  readonly inFlight = new Map<string, { fingerprint: string; answer: Promise<unknown> }>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private lastTickAt = -Infinity;
  stopped = false;

  constructor(
    readonly tenantId: string,
    private readonly app: RoutingApplication,
    private readonly clockNow: () => number,
    offerTimeoutMs: number,
  ) {
    this.engine = new RoutingEngine({ clock: clockNow, offerTimeoutMs, policy: DEFAULT_POLICY });
  }

  teamOf = (agentId: string): string => this.agents.get(agentId)?.teamId ?? '';

  /** Pushes to agents' streams waiting for the end of this turn of the event loop, in commit order. */
  private pushes: (() => void)[] = [];

  /**
   * Runs pushes to agents' streams once the current turn of the event loop is over (setImmediate),
   * in the order they were handed over (commit order). The answer of the call whose commit made
   * them is written first: a unary answer only completes when its trailers go out, a write later,
   * while an offer on a stream is complete once written, so answering first takes ~0.1-0.3 ms
   * off "submitted → answered and offered" at no cost to the offer.
   */
  deliver(pushes: readonly (() => void)[]): void {
    if (pushes.length === 0) return;
    if (this.pushes.length === 0) setImmediate(this.flushPushes);
    this.pushes.push(...pushes);
  }

  private readonly flushPushes = (): void => {
    const due = this.pushes;
    this.pushes = [];
    for (const push of due) push();
  };

  /**
   * Sets the timer for the engine's next due time (rings, stages, offer time-outs), at least
   * MIN_TICK_INTERVAL_MS after the previous tick: a backlog whose due times are a fraction of a
   * millisecond apart (thousands of tasks submitted per second reach their next ring as densely)
   * is handled a few milliseconds' worth per tick instead of one task per timer.
   */
  arm(now: number): void {
    if (this.stopped) return;
    const due = this.engine.nextDueAt();
    if (due === undefined) return;
    const at = Math.max(due, this.lastTickAt + MIN_TICK_INTERVAL_MS);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.lastTickAt = this.clockNow();
      this.app.tick(this);
    }, Math.max(0, at - now));
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
  }
}

export class RoutingApplication {
  readonly repo: RoutingRepository;
  private readonly routers = new Map<string, Promise<TenantRouter>>();
  private readonly clock: () => number;
  private readonly tracer = trace.getTracer('@continuum/routing');

  constructor(private readonly options: RoutingApplicationOptions) {
    this.repo = options.repository;
    this.clock = options.clock ?? Date.now;
  }

  now(): number {
    return this.clock();
  }

  /** Rebuilds the engine of every tenant with tasks in flight, so waiting tasks are offered again. */
  async start(): Promise<void> {
    for (const tenantId of await this.repo.tenantsWithLiveTasks()) await this.router(tenantId);
  }

  async stop(): Promise<void> {
    for (const r of this.routers.values()) (await r).stop();
    this.routers.clear();
    await this.repo.flushed();
    this.options.context.close();
  }

  /** The tenant's router, loaded from the store on first use. */
  router(tenantId: string): Promise<TenantRouter> {
    let r = this.routers.get(tenantId);
    if (!r) {
      r = this.load(tenantId);
      this.routers.set(tenantId, r);
      r.catch(() => this.routers.delete(tenantId));
    }
    return r;
  }

  private async load(tenantId: string): Promise<TenantRouter> {
    const router = new TenantRouter(tenantId, this, this.clock, this.options.offerTimeoutMs);
    const { queues, agents, policy, liveTasks } = await this.repo.loadTenant(tenantId);
    if (policy) {
      router.policyDoc = policy;
      router.engine.setPolicy(policyOf(policy));
    }
    for (const q of queues) {
      router.queues.set(q.queueId, q);
      router.engine.upsertQueue(queueDefOf(q));
    }
    for (const a of agents) {
      router.agents.set(a.agentId, a);
      router.engine.restoreAgent(agentDefOf(a), a.presence, a.presenceTime.getTime());
    }
    const requeued: WriteOp[] = [];
    for (const doc of liveTasks) {
      if (!router.engine.restore(taskViewOfDoc(doc))) {
        this.options.log.warn({ tenant_id: tenantId, task_id: doc._id }, 'live task not restored (queue missing)');
        continue;
      }
      const view = router.engine.view(doc._id);
      if (view && view.status !== doc.status) requeued.push(RoutingRepository.putTaskState(taskDocOf(view, doc.requestId, doc.fingerprint, new Date(this.clock()))));
    }
    if (liveTasks.length > 0) this.options.log.info({ tenant_id: tenantId, tasks: liveTasks.length }, 'routing engine rebuilt from the store');
    await this.repo.commit({ tenantId, ops: requeued });
    router.arm(this.clock());
    return router;
  }

  // ---------------------------------------------------------------- running operations

  /**
   * Runs one operation: replays the first answer of a retried request id, else plans the
   * operation (engine call), commits its writes (and the idempotency record) in one transaction,
   * then runs what follows the commit (pushes to agents).
   */
  async execute<R>(router: TenantRouter, key: IdempotencyKey<R> | undefined, plan: () => Outcome<R>): Promise<R> {
    if (key === undefined || key.requestId === '') return this.runPlan(router, plan, undefined);
    const id = `${key.method}:${key.requestId}`;
    return this.once(router, id, key.fingerprint, async () => {
      const stored = await this.repo.getRequest(router.tenantId, id);
      if (stored) {
        if (stored.fingerprint !== key.fingerprint) throw new RequestIdReusedError();
        return key.codec.decode(Buffer.from(stored.response, 'base64'));
      }
      return this.runPlan(router, plan, (response) =>
        RoutingRepository.putRequest(id, { fingerprint: key.fingerprint, response: Buffer.from(key.codec.encode(response).finish()).toString('base64'), createTime: new Date(this.clock()) }),
      );
    });
  }

  /** Runs `run` once per idempotency key at a time: a retry while the first is answered waits for its answer. */
  private async once<R>(router: TenantRouter, id: string, fingerprint: string, run: () => Promise<R>): Promise<R> {
    const pending = router.inFlight.get(id);
    if (pending) {
      if (pending.fingerprint !== fingerprint) throw new RequestIdReusedError();
      return (await pending.answer) as R;
    }
    const answer = run();
    router.inFlight.set(id, { fingerprint, answer });
    try {
      return await answer;
    } finally {
      router.inFlight.delete(id);
    }
  }

  /**
   * `plan` is synchronous on purpose: the engine decides and the writes are queued in the same
   * tick, so no other operation's writes can overtake them.
   */
  private async runPlan<R>(router: TenantRouter, plan: () => Outcome<R>, record: ((r: R) => WriteOp) | undefined): Promise<R> {
    const outcome = plan();
    const ops = record ? [...outcome.ops, record(outcome.response)] : outcome.ops;
    await this.repo.commit({ tenantId: router.tenantId, ops });
    outcome.after?.();
    router.arm(this.clock());
    return outcome.response;
  }

  /**
   * The writes and the after-commit pushes of engine effects. `skipStateOf` names a task whose
   * state is written by the caller (a submission inserts its task).
   */
  effectsPlan(router: TenantRouter, effects: readonly RoutingEffect[], skipStateOf?: string): { ops: WriteOp[]; after: () => void } {
    const ops: WriteOp[] = [];
    const pushes: (() => void)[] = [];
    const now = new Date(this.clock());
    const span = trace.getActiveSpan();
    const stream = (agentId: string): AgentStream | undefined => router.streams.get(agentId);
    for (const effect of effects) {
      if (effect.kind === 'presence_changed') {
        ops.push(RoutingRepository.setPresence(effect.agentId, effect.presence, now));
        const doc = router.agents.get(effect.agentId);
        if (doc) router.agents.set(effect.agentId, { ...doc, presence: effect.presence, presenceTime: now });
        continue;
      }
      const task = effect.task;
      if (task.submission.id !== skipStateOf) ops.push(RoutingRepository.putTaskState(taskDocOf(task, '', '', now)));
      const events = eventsOf(router.tenantId, effect, router.teamOf);
      if (events.length > 0) ops.push(RoutingRepository.appendEvents(events));
      // Explanations as span events: ids and categories only.
      span?.addEvent(`routing.${effect.kind}`, {
        'routing.task_id': task.submission.id,
        ...('agentId' in effect ? { 'routing.agent_id': effect.agentId } : {}),
        'routing.stage': task.explanation.stage,
        'routing.ring': task.explanation.ring,
        'routing.preference': task.preference ?? 'none',
        'routing.candidates': task.explanation.candidates.length,
        'routing.context_available': task.submission.contextAvailable,
      });
      if (effect.kind === 'offered') {
        pushes.push(() => stream(effect.agentId)?.push(offerMessage(task, now)));
      } else if (effect.kind === 'timed_out') {
        pushes.push(() => stream(effect.agentId)?.push(withdrawnMessage(effect.offerId, task.submission.id, routingV1.WithdrawReason.WITHDRAW_REASON_TIMED_OUT, now)));
      } else if (effect.kind === 'abandoned' && effect.offeredAgentId !== '') {
        pushes.push(() =>
          stream(effect.offeredAgentId)?.push(withdrawnMessage(effect.offerId, task.submission.id, routingV1.WithdrawReason.WITHDRAW_REASON_ABANDONED, now)),
        );
      }
    }
    return { ops, after: () => router.deliver(pushes) };
  }

  /** Engine effects outside any call (timers): persisted and pushed in a span of their own. */
  tick(router: TenantRouter): void {
    if (router.stopped) return;
    void this.tracer.startActiveSpan('routing.timers', async (span) => {
      try {
        const effects = router.engine.tick();
        const { ops, after } = this.effectsPlan(router, effects);
        await this.repo.commit({ tenantId: router.tenantId, ops });
        after();
      } catch (error) {
        this.options.log.error({ tenant_id: router.tenantId, err_type: (error as Error).name }, 'routing timers failed');
      } finally {
        span.end();
        router.arm(this.clock());
      }
    });
  }

  // ---------------------------------------------------------------- submission

  /** The routing context of a submission, or why there is none (the task then routes on its own data). */
  async askContext(profileId: string, caseId: string, ctx: CallContext): Promise<{ context: RoutingContext | undefined; reason: string }> {
    if (profileId === '') return { context: undefined, reason: 'no profile' };
    try {
      return { context: await this.options.context.routingContext({ profileId, caseId }, ctx), reason: '' };
    } catch (error) {
      const reason = (error as { code?: number }).code !== undefined ? `context call failed (code ${(error as { code: number }).code})` : (error as Error).name;
      ctx.log.info({ reason }, 'context unavailable: routing on what the task says');
      return { context: undefined, reason };
    }
  }

  /** Submits a task (idempotent on the request id, which determines the task id). */
  async submit(router: TenantRouter, req: routingV1.SubmitTaskRequest, ctx: CallContext): Promise<routingV1.Task> {
    const t = req.task ?? routingV1.TaskSubmission.fromPartial({});
    const taskId = taskIdOf(router.tenantId, req.requestId);
    const fingerprint = fingerprintOf(routingV1.TaskSubmission, t);
    return this.once(router, `SubmitTask:${req.requestId}`, fingerprint, () => this.submitOnce(router, t, taskId, req.requestId, fingerprint, ctx));
  }

  private async submitOnce(router: TenantRouter, t: routingV1.TaskSubmission, taskId: string, requestId: string, fingerprint: string, ctx: CallContext): Promise<routingV1.Task> {
    const queue = router.engine.queue(t.queueId);
    const channelMismatch = queue !== undefined && t.channel !== 0 && channelOf(t.channel) !== queue.channel;
    // The context call (a network round trip) starts before the store read of an earlier
    // submission, so the two overlap; askContext never rejects. A retry of a stored task ignores
    // the answer, and an invalid task never asks.
    const asked = queue && !channelMismatch ? this.askContext(t.profileId, t.caseId, ctx) : undefined;
    const existing = await this.existingSubmission(router, taskId, fingerprint);
    if (existing) return existing;
    if (!queue) throw new QueueNotFoundError(t.queueId, 'task.queue_id');
    if (channelMismatch || !asked) throw new ChannelMismatchError('task.channel', queue.channel);

    const { context, reason } = await asked;
    const span = trace.getActiveSpan();
    span?.addEvent('routing.context', { 'routing.context_available': context !== undefined, ...(reason ? { 'routing.context_reason': reason } : {}) });
    const submission = submissionOf(t, taskId, context, this.clock());
    let effects: RoutingEffect[];
    try {
      effects = router.engine.submit(submission);
    } catch (error) {
      // Submitted concurrently under the same request id after our check: answer with that task.
      if (error instanceof TaskAlreadyExistsError) return this.awaitExisting(router, taskId, fingerprint);
      throw error;
    }
    const view = router.engine.view(taskId) as TaskView;
    const now = new Date(this.clock());
    const { ops, after } = this.effectsPlan(router, effects, taskId);
    const writes = [RoutingRepository.insertTask(taskDocOf(view, requestId, fingerprint, now)), RoutingRepository.appendEvents([taskCreatedEvent(router.tenantId, view)]), ...ops];
    try {
      await this.repo.commit({ tenantId: router.tenantId, ops: writes });
    } catch (error) {
      router.engine.discard(taskId);
      throw error;
    }
    after();
    router.arm(this.clock());
    return taskToProto(router.engine.view(taskId) ?? view);
  }

  private async existingSubmission(router: TenantRouter, taskId: string, fingerprint: string): Promise<routingV1.Task | undefined> {
    const doc = await this.repo.getTask(router.tenantId, taskId);
    if (!doc) return undefined;
    if (doc.fingerprint !== fingerprint) throw new RequestIdReusedError();
    return taskToProto(router.engine.view(taskId) ?? taskViewOfDoc(doc));
  }

  private async awaitExisting(router: TenantRouter, taskId: string, fingerprint: string): Promise<routingV1.Task> {
    await this.repo.flushed();
    const found = await this.existingSubmission(router, taskId, fingerprint);
    if (!found) throw new TaskAlreadyExistsError(taskId);
    return found;
  }

  /** A task as of now: live ones from the engine (explanation recomputed), ended ones from the store. */
  async getTask(router: TenantRouter, taskId: string): Promise<TaskView | undefined> {
    const live = router.engine.explainNow(taskId);
    if (live) return live;
    const doc = await this.repo.getTask(router.tenantId, taskId);
    return doc ? taskViewOfDoc(doc) : undefined;
  }

  // ---------------------------------------------------------------- offer streams

  /** Opens the agent's offer stream: replaces an older one, marks the agent connected. */
  connect(router: TenantRouter, agentId: string): { stream: AgentStream; first: routingV1.ConnectAgentResponse; ready: Promise<void> } {
    router.streams.get(agentId)?.close();
    const stream = new AgentStream();
    router.streams.set(agentId, stream);
    const now = new Date(this.clock());
    const openOffers = router.engine.openOffers(agentId).map((t) => offerOf(t));
    const effects = router.engine.setConnected(agentId, true);
    const { ops, after } = this.effectsPlan(router, effects);
    const ready = this.repo.commit({ tenantId: router.tenantId, ops }).then(() => {
      after();
      router.arm(this.clock());
    });
    const doc = router.agents.get(agentId);
    const first: routingV1.ConnectAgentResponse = {
      connected: { agent: doc ? agentToProto(doc, router.engine.agentView(agentId)) : undefined, openOffers },
      sendTime: now,
    };
    return { stream, first, ready };
  }

  /** The stream ended: the agent is no longer connected (unless a newer stream took over). */
  async disconnect(router: TenantRouter, agentId: string, stream: AgentStream): Promise<void> {
    stream.close();
    if (router.streams.get(agentId) !== stream || router.stopped) return;
    router.streams.delete(agentId);
    if (!router.engine.agentView(agentId)) return;
    const effects = router.engine.setConnected(agentId, false);
    const { ops, after } = this.effectsPlan(router, effects);
    await this.repo.commit({ tenantId: router.tenantId, ops });
    after();
    router.arm(this.clock());
  }

  /** Sets presence in engine and store. */
  presencePlan(router: TenantRouter, agentId: string, presence: Presence): { ops: WriteOp[]; after: () => void } {
    const effects = router.engine.setPresence(agentId, presence);
    const now = new Date(this.clock());
    const doc = router.agents.get(agentId);
    if (doc) router.agents.set(agentId, { ...doc, presence, presenceTime: now });
    const plan = this.effectsPlan(router, effects);
    return { ops: [RoutingRepository.setPresence(agentId, presence, now), ...plan.ops], after: plan.after };
  }
}

/** The engine's submission of a task: what it says, completed by what context knows of its customer. */
export function submissionOf(t: routingV1.TaskSubmission, id: string, context: RoutingContext | undefined, submittedAt: number): TaskSubmission {
  return {
    id,
    queueId: t.queueId,
    requiredSkills: t.requiredSkills.map((r) => ({ skill: r.skill, minProficiency: r.minProficiency || 1 })),
    profileId: t.profileId,
    caseId: t.caseId,
    priorityHint: t.priorityHint,
    segmentIds: [...new Set([...t.segmentIds, ...(context?.segmentIds ?? [])])],
    intent: t.intent !== '' ? t.intent : (context?.intent ?? ''),
    requestedAgentId: t.requestedAgentId,
    caseOwnerAgentId: context?.caseOwnerAgentId ?? '',
    caseTeamId: context?.caseTeamId ?? '',
    lastAgentId: context?.lastAgentId ?? '',
    // No profile: nothing to ask, which is not a failure.
    contextAvailable: context !== undefined || t.profileId === '',
    submittedAt,
  };
}

/** Task ids are derived from the tenant and the request id: a retry can only ever name the same task. */
export function taskIdOf(tenantId: string, requestId: string): string {
  return `tsk_${hash('sha256', `${tenantId}\u0000${requestId}`, 'base64url').slice(0, 22)}`;
}

export function offerOf(task: TaskView): routingV1.Offer {
  return { offerId: task.offerId, task: taskToProto(task), expireTime: task.offerExpiresAt !== undefined ? new Date(task.offerExpiresAt) : undefined };
}

function offerMessage(task: TaskView, now: Date): routingV1.ConnectAgentResponse {
  return { offer: offerOf(task), sendTime: now };
}

function withdrawnMessage(offerId: string, taskId: string, reason: routingV1.WithdrawReason, now: Date): routingV1.ConnectAgentResponse {
  return { withdrawn: { offerId, taskId, reason }, sendTime: now };
}
