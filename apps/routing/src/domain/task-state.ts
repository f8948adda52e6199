/**
 * One live task as the engine sees it, and the structures waiting tasks sit in so that a freed
 * agent finds its best task without scanning them all.
 *
 * Priority ages linearly against the queue's patience threshold:
 *   effective(t) = base + W * (t - submittedAt) / patience
 * Within one queue every task ages at the same rate, so the order of two waiting tasks of a queue
 * never changes with time: a pool (tasks of one queue, stage, requirement set and capacity
 * override) is a heap on the time-invariant key `base - W * submittedAt / patience`. Only the
 * heads of the pools an agent qualifies for are compared, at the time of the decision.
 */
import type { HeapSlot } from './indexed-heap';
import { IndexedHeap } from './indexed-heap';
import type {
  ChannelId,
  Explanation,
  PreferenceKind,
  QueueDefinition,
  SkillRequirement,
  Stage,
  TaskOutcome,
  TaskStatus,
  TaskSubmission,
} from './model';
import type { SegmentTreatment } from './policy';
import { ANY_SKILL } from './agent-index';

export class TaskState implements HeapSlot {
  heapIndex = -1;
  status: TaskStatus = 'waiting';
  /** Merged queue + task requirements (before rings and segment rules). */
  baseRequirements: SkillRequirement[] = [];
  treatment!: SegmentTreatment;
  base = 0;
  /** Heap key within the task's pool (see the file comment). */
  staticKey = 0;

  preferredAgentId = '';
  preference: PreferenceKind | undefined = undefined;
  teamId = '';
  /** How long after submission the preferred and team stages end (equal when skipped). */
  preferredEndsMs = 0;
  teamEndsMs = 0;

  stage: Stage = 'queue';
  ring = 0;
  requirements: SkillRequirement[] = [];
  /** When the stage or ring changes next (undefined: never). */
  stageUntil: number | undefined = undefined;
  pool: Pool | undefined = undefined;
  /** Set while the task sits in the preferred-agent map. */
  preferredListed = false;

  /** Agents who rejected or missed it, until when they are not offered it again. */
  readonly excluded = new Map<string, number>();
  /** An agent draining its real-time work to take this task. */
  reservedBy: string | undefined = undefined;

  agentId = '';
  offerId = '';
  offerCount = 0;
  offeredAt: number | undefined = undefined;
  offerExpiresAt: number | undefined = undefined;
  acceptedAt: number | undefined = undefined;
  endedAt: number | undefined = undefined;
  outcome: TaskOutcome | undefined = undefined;
  wrapUpCode = '';

  reviewVersion = 0;
  offerVersion = 0;
  explanation!: Explanation;
  trail: string[] = [];

  constructor(
    readonly sub: TaskSubmission,
    public queue: QueueDefinition,
    readonly seq: number,
  ) {}

  get id(): string {
    return this.sub.id;
  }

  get channel(): ChannelId {
    return this.queue.channel;
  }

  get overrideCap(): number {
    return this.treatment.overrideCap;
  }

  isExcluded(agentId: string, now: number): boolean {
    const until = this.excluded.get(agentId);
    return until !== undefined && until > now;
  }

  /** Remembers a notable step (bounded: the first entry and the latest ones are kept). */
  note(now: number, text: string): void {
    const seconds = ((now - this.sub.submittedAt) / 1000).toFixed(1);
    this.trail.push(`+${seconds}s ${text}`);
    if (this.trail.length > 32) this.trail.splice(1, 1);
  }
}

/** Higher key first, then the older task, then submission order. */
const taskFirst = (a: TaskState, b: TaskState): boolean =>
  a.staticKey > b.staticKey ||
  (a.staticKey === b.staticKey && (a.sub.submittedAt < b.sub.submittedAt || (a.sub.submittedAt === b.sub.submittedAt && a.seq < b.seq)));

/** Waiting tasks that qualify for exactly the same agents, in priority order. */
export class Pool {
  readonly heap = new IndexedHeap<TaskState>(taskFirst);
  constructor(
    readonly key: string,
    readonly stage: 'team' | 'queue',
    readonly teamId: string,
    readonly channel: ChannelId,
    readonly queueId: string,
    readonly requirements: readonly SkillRequirement[],
    readonly overrideCap: number,
  ) {}

  get primary(): string {
    return this.requirements[0]?.skill ?? ANY_SKILL;
  }
}

/** Every waiting task, by where a freed agent would look for it. */
export class WaitingTasks {
  private readonly pools = new Map<string, Pool>();
  /** channel → primary skill → pools of the queue stage */
  readonly queuePools = new Map<ChannelId, Map<string, Set<Pool>>>();
  /** team → pools of the team stage */
  readonly teamPools = new Map<string, Set<Pool>>();
  /** agent → tasks in their preferred-agent stage */
  readonly preferred = new Map<string, Set<TaskState>>();
  private waitingPerQueue = new Map<string, number>();
  count = 0;

  waitingIn(queueId: string): number {
    return this.waitingPerQueue.get(queueId) ?? 0;
  }

  get poolCount(): number {
    return this.pools.size;
  }

  add(task: TaskState, poolKey: string): void {
    this.count++;
    this.waitingPerQueue.set(task.queue.id, this.waitingIn(task.queue.id) + 1);
    if (task.stage === 'preferred') {
      let set = this.preferred.get(task.preferredAgentId);
      if (!set) this.preferred.set(task.preferredAgentId, (set = new Set()));
      set.add(task);
      task.preferredListed = true;
      return;
    }
    let pool = this.pools.get(poolKey);
    if (!pool) {
      pool = new Pool(poolKey, task.stage, task.stage === 'team' ? task.teamId : '', task.channel, task.queue.id, task.requirements, task.overrideCap);
      this.pools.set(poolKey, pool);
      if (pool.stage === 'team') {
        let set = this.teamPools.get(pool.teamId);
        if (!set) this.teamPools.set(pool.teamId, (set = new Set()));
        set.add(pool);
      } else {
        let bySkill = this.queuePools.get(pool.channel);
        if (!bySkill) this.queuePools.set(pool.channel, (bySkill = new Map()));
        let set = bySkill.get(pool.primary);
        if (!set) bySkill.set(pool.primary, (set = new Set()));
        set.add(pool);
      }
    }
    pool.heap.push(task);
    task.pool = pool;
  }

  remove(task: TaskState): void {
    if (task.preferredListed) {
      const set = this.preferred.get(task.preferredAgentId);
      set?.delete(task);
      if (set?.size === 0) this.preferred.delete(task.preferredAgentId);
      task.preferredListed = false;
    } else if (task.pool) {
      const pool = task.pool;
      pool.heap.remove(task);
      task.pool = undefined;
      if (pool.heap.size === 0) this.dropPool(pool);
    } else {
      return;
    }
    this.count--;
    const left = this.waitingIn(task.queue.id) - 1;
    if (left > 0) this.waitingPerQueue.set(task.queue.id, left);
    else this.waitingPerQueue.delete(task.queue.id);
  }

  private dropPool(pool: Pool): void {
    this.pools.delete(pool.key);
    if (pool.stage === 'team') {
      const set = this.teamPools.get(pool.teamId);
      set?.delete(pool);
      if (set?.size === 0) this.teamPools.delete(pool.teamId);
    } else {
      const bySkill = this.queuePools.get(pool.channel);
      const set = bySkill?.get(pool.primary);
      set?.delete(pool);
      if (set?.size === 0) bySkill?.delete(pool.primary);
      if (bySkill?.size === 0) this.queuePools.delete(pool.channel);
    }
  }
}
