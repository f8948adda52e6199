/**
 * Reads and writes of routing's collections. Writes that belong together (a task's new state and
 * its events, a definition and its idempotency record) run in one store transaction through a
 * group committer: a group opens on the first write and commits once the event loop has run the
 * callbacks that were ready with it (setImmediate), and while it commits the next writes queue up
 * for the group after it. So a burst of submissions costs a few transactions, not one each, even
 * on a store whose transactions finish within microtasks (the embedded one), where "while one is
 * in flight" alone never groups anything; and fewer transactions mean fewer outbox relay rounds
 * (one read, one mark-sent write per round). A write that comes after a quiet spell (nothing asked
 * for GROUP_WINDOW_MS) commits at once: nothing would join it, and waiting would only add latency.
 */
import { IDEMPOTENCY_WINDOW_SEC } from '@continuum/kit';
import type { Outbox } from '@continuum/events';
import type { DocumentStore, Filter, Page, StoreSession, TenantScope } from '@continuum/store';
import type { PendingEvent } from '../events/routing-events';
import { COLLECTIONS, scopedId, type AgentDoc, type PolicyDoc, type QueueDoc, type RequestDoc, type TaskDoc } from './documents';

export async function defineRoutingCollections(store: DocumentStore): Promise<void> {
  await store.defineCollection(COLLECTIONS.queues, []);
  await store.defineCollection(COLLECTIONS.agents, [{ key: { teamId: 1, _id: 1 }, name: 'team' }]);
  await store.defineCollection(COLLECTIONS.policies, []);
  // No index on requestId: a task's _id is derived from its tenant and request id (taskIdOf), so
  // the _id already makes a request id name one task, and nothing looks tasks up by request id.
  await store.defineCollection(COLLECTIONS.tasks, [
    { key: { status: 1, createTime: -1 }, name: 'status' },
    { key: { queueId: 1, createTime: -1 }, name: 'queue' },
    { key: { agentId: 1, createTime: -1 }, name: 'agent' },
    { key: { createTime: -1, _id: -1 }, name: 'created' },
  ]);
  // A retry is answered from the stored first answer for a day; then the record is gone (a task
  // stays bound to its request id for as long as the task is kept).
  await store.defineCollection(COLLECTIONS.requests, [], { expireAfter: { field: 'createTime', seconds: IDEMPOTENCY_WINDOW_SEC } });
}


/** Writes asked for closer together than this wait one turn of the event loop to commit as a group. */
const GROUP_WINDOW_MS = 2;

/** Statuses of tasks the engine holds (restored after a restart). */
export const LIVE_STATUSES = ['waiting', 'offered', 'assigned'] as const;

/** One write in a transaction. */
export type WriteOp = (scope: TenantScope, session: StoreSession, outbox: Outbox) => Promise<void>;

/** Writes of one tenant that must commit together. */
export interface WriteBatch {
  readonly tenantId: string;
  readonly ops: WriteOp[];
}

export class RoutingRepository {
  constructor(
    private readonly store: DocumentStore,
    private readonly outbox: Outbox,
  ) {}

  private scope(tenantId: string): TenantScope {
    return this.store.forTenant(tenantId);
  }

  // ---------------------------------------------------------------- reads

  /** Tenants that have tasks in the engine's care (rebuilt at start-up). */
  async tenantsWithLiveTasks(): Promise<string[]> {
    const docs = await this.store.unscoped<TaskDoc>(COLLECTIONS.tasks).find({ status: { $in: [...LIVE_STATUSES] } }, { projection: { tenantId: 1 } });
    return [...new Set(docs.map((d) => d.tenantId))];
  }

  async loadTenant(tenantId: string): Promise<{ queues: QueueDoc[]; agents: AgentDoc[]; policy: PolicyDoc | null; liveTasks: TaskDoc[] }> {
    const s = this.scope(tenantId);
    const [queues, agents, policy, liveTasks] = await Promise.all([
      s.collection<QueueDoc>(COLLECTIONS.queues).find({}),
      s.collection<AgentDoc>(COLLECTIONS.agents).find({}),
      s.collection<PolicyDoc>(COLLECTIONS.policies).findOne({ _id: scopedId(tenantId, 'policy') }),
      s.collection<TaskDoc>(COLLECTIONS.tasks).find({ status: { $in: [...LIVE_STATUSES] } }, { sort: { createTime: 1, _id: 1 } }),
    ]);
    return { queues, agents, policy, liveTasks };
  }

  listQueues(tenantId: string, pageSize: number, pageToken: string): Promise<Page<QueueDoc>> {
    return this.scope(tenantId).collection<QueueDoc>(COLLECTIONS.queues).findPage({}, { _id: 1 }, { pageSize, pageToken, maxPageSize: 500 });
  }

  listAgents(tenantId: string, teamId: string, pageSize: number, pageToken: string): Promise<Page<AgentDoc>> {
    const filter: Filter = teamId !== '' ? { teamId } : {};
    return this.scope(tenantId).collection<AgentDoc>(COLLECTIONS.agents).findPage(filter, { _id: 1 }, { pageSize, pageToken, maxPageSize: 500 });
  }

  getTask(tenantId: string, id: string): Promise<TaskDoc | null> {
    return this.scope(tenantId).collection<TaskDoc>(COLLECTIONS.tasks).findOne({ _id: id });
  }

  listTasks(tenantId: string, filter: Filter, pageSize: number, pageToken: string): Promise<Page<TaskDoc>> {
    return this.scope(tenantId)
      .collection<TaskDoc>(COLLECTIONS.tasks)
      .findPage(filter, { createTime: -1, _id: -1 }, { pageSize, pageToken, maxPageSize: 500 });
  }

  getRequest(tenantId: string, key: string): Promise<RequestDoc | null> {
    return this.scope(tenantId).collection<RequestDoc>(COLLECTIONS.requests).findOne({ _id: scopedId(tenantId, key) });
  }

  // ---------------------------------------------------------------- writes (as WriteOps)

  static putQueue(doc: QueueDoc): WriteOp {
    return async (s, session) => {
      await s.collection<QueueDoc>(COLLECTIONS.queues).replaceOne({ _id: doc._id }, doc, { upsert: true, session });
    };
  }

  static insertQueue(doc: QueueDoc): WriteOp {
    return async (s, session) => {
      await s.collection<QueueDoc>(COLLECTIONS.queues).insertOne(doc, { session });
    };
  }

  static deleteQueue(id: string): WriteOp {
    return async (s, session) => {
      await s.collection<QueueDoc>(COLLECTIONS.queues).deleteOne({ _id: scopedId(s.tenantId, id) }, { session });
    };
  }

  static insertAgent(doc: AgentDoc): WriteOp {
    return async (s, session) => {
      await s.collection<AgentDoc>(COLLECTIONS.agents).insertOne(doc, { session });
    };
  }

  static putAgent(doc: AgentDoc): WriteOp {
    return async (s, session) => {
      await s.collection<AgentDoc>(COLLECTIONS.agents).replaceOne({ _id: doc._id }, doc, { upsert: true, session });
    };
  }

  static setPresence(agentId: string, presence: AgentDoc['presence'], at: Date): WriteOp {
    return async (s, session) => {
      await s.collection<AgentDoc>(COLLECTIONS.agents).updateOne({ _id: scopedId(s.tenantId, agentId) }, { $set: { presence, presenceTime: at } }, { session });
    };
  }

  static deleteAgent(id: string): WriteOp {
    return async (s, session) => {
      await s.collection<AgentDoc>(COLLECTIONS.agents).deleteOne({ _id: scopedId(s.tenantId, id) }, { session });
    };
  }

  static putPolicy(doc: PolicyDoc): WriteOp {
    return async (s, session) => {
      await s.collection<PolicyDoc>(COLLECTIONS.policies).replaceOne({ _id: doc._id }, doc, { upsert: true, session });
    };
  }

  static insertTask(doc: Omit<TaskDoc, 'tenantId'>): WriteOp {
    return async (s, session) => {
      await s.collection<TaskDoc>(COLLECTIONS.tasks).insertOne(doc, { session });
    };
  }

  /** The task's whole state as the engine has it now (request id and fingerprint are kept). */
  static putTaskState(doc: Omit<TaskDoc, 'tenantId'>): WriteOp {
    // The request id and fingerprint were written with the task and never change.
    const { _id, requestId: _requestId, fingerprint: _fingerprint, ...state } = doc;
    return async (s, session) => {
      await s.collection<TaskDoc>(COLLECTIONS.tasks).updateOne({ _id }, { $set: state }, { session });
    };
  }

  /** The idempotency record of `key` (method and request id). */
  static putRequest(key: string, doc: Omit<RequestDoc, 'tenantId' | '_id'>): WriteOp {
    return async (s, session) => {
      await s.collection<RequestDoc>(COLLECTIONS.requests).insertOne({ _id: scopedId(s.tenantId, key), ...doc }, { session });
    };
  }

  static appendEvents(events: readonly PendingEvent[]): WriteOp {
    return async (_s, session, outbox) => {
      await outbox.appendAll(session, events);
    };
  }

  // ---------------------------------------------------------------- group commit

  private queued: { batch: WriteBatch; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | undefined;

  /** performance.now() of the last commit request. */
  private lastCommitAt = -Infinity;

  /** Commits the batch in a transaction, possibly together with batches queued meanwhile. */
  commit(batch: WriteBatch): Promise<void> {
    if (batch.ops.length === 0) return Promise.resolve();
    const now = performance.now();
    // Busy (another write asked for less than GROUP_WINDOW_MS ago): wait for the callbacks ready in
    // this turn of the loop to add their writes. Idle: commit at once, nothing would join.
    const busy = now - this.lastCommitAt < GROUP_WINDOW_MS;
    this.lastCommitAt = now;
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ batch, resolve, reject });
      this.running ??= busy ? new Promise<void>((ready) => setImmediate(ready)).then(() => this.drain()) : this.drain();
    });
  }

  /** Resolves once everything committed so far is written. */
  async flushed(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const group = this.queued.splice(0, 256);
        try {
          await this.runGroup(group.map((g) => g.batch));
          for (const g of group) g.resolve();
        } catch {
          // One bad batch must not fail the others: commit each alone and report per batch.
          for (const g of group) {
            try {
              await this.runGroup([g.batch]);
              g.resolve();
            } catch (error) {
              g.reject(error);
            }
          }
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async runGroup(batches: readonly WriteBatch[]): Promise<void> {
    await this.store.withTransaction(async (session) => {
      for (const batch of batches) {
        const scope = this.scope(batch.tenantId);
        for (const op of batch.ops) await op(scope, session, this.outbox);
      }
    });
  }
}
