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
import { KeyedHeap } from './keyed-heap';
import type {
  CandidateNote,
  ChannelId,
  PreferenceKind,
  QueueDefinition,
  SkillRequirement,
  Stage,
  TaskOutcome,
  TaskStatus,
  TaskSubmission,
} from './model';
import type { SegmentTreatment } from './policy';

/** The requirements of a task's team stage and of every ring of its queue stage, computed once per kind of task. */
export interface RouteProfile {
  readonly base: readonly SkillRequirement[];
  readonly baseSig: string;
  /** Index = ring number (0 = first ring, with the segment's raised minimum). */
  readonly rings: readonly { readonly requirements: readonly SkillRequirement[]; readonly sig: string; readonly note: string; pool: Pool | undefined }[];
}
import { ANY_SKILL } from './agent-index';

export class TaskState {
  /** Position in its pool's heap. */
  heapIndex = -1;
  status: TaskStatus = 'waiting';
  /** Requirements per stage and ring, shared by every task of the same queue, segments and skills. */
  route!: RouteProfile;
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
  requirements: readonly SkillRequirement[] = [];
  /** requirementSignature(requirements), kept to compare stages without building strings. */
  reqSig = '';
  /** When the stage or ring changes next (undefined: never). */
  stageUntil: number | undefined = undefined;
  pool: Pool | undefined = undefined;
  /** Set while the task sits in the preferred-agent map. */
  preferredListed = false;

  /** Agents who rejected or missed it, until when they are not offered it again (allocated on first use). */
  excluded: Map<string, number> | undefined = undefined;
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

  /** Timer slot (see timer-queue.ts). */
  dueAt = Infinity;
  dueKind: 'review' | 'offer' = 'review';
  timerIndex = -1;

  /** The latest decision about the task (undefined: waiting behind its pool's head, no search of its own). */
  decision: Decision | undefined = undefined;
  /** Notable steps: when (ms since epoch) and what. Texts are often shared strings. */
  readonly trailAt: number[] = [];
  readonly trailText: string[] = [];

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
    if (this.excluded === undefined) return false;
    const until = this.excluded.get(agentId);
    return until !== undefined && until > now;
  }

  exclude(agentId: string, until: number): void {
    (this.excluded ??= new Map()).set(agentId, until);
  }

  /** Whether some agent is kept from this task now. */
  hasExclusions(now: number): boolean {
    if (this.excluded === undefined) return false;
    for (const until of this.excluded.values()) if (until > now) return true;
    return false;
  }

  /** Remembers a notable step (bounded: the first entry and the latest ones are kept). */
  note(now: number, text: string): void {
    this.trailAt.push(now);
    this.trailText.push(text);
    if (this.trailAt.length > MAX_TRAIL) {
      this.trailAt.splice(1, 1);
      this.trailText.splice(1, 1);
    }
  }

  /** The trail as lines, `+12.5s what happened` (seconds since submission). */
  trailLines(): string[] {
    return this.trailText.map((text, i) => `+${(((this.trailAt[i] ?? 0) - this.sub.submittedAt) / 1000).toFixed(1)}s ${text}`);
  }

  /** Puts back a trail read from the store (lines as trailLines wrote them). */
  restoreTrail(lines: readonly string[]): void {
    for (const line of lines) {
      const m = /^\+(-?[\d.]+)s (.*)$/s.exec(line);
      this.note(m ? this.sub.submittedAt + Math.round(Number(m[1]) * 1000) : this.sub.submittedAt, m?.[2] ?? line);
    }
  }
}

const MAX_TRAIL = 32;

/** A routing decision as taken: the stage it was taken in, who was looked at, who won. */
export interface Decision {
  readonly at: number;
  readonly stage: Stage;
  readonly ring: number;
  readonly requirements: readonly SkillRequirement[];
  readonly candidates: readonly CandidateNote[];
  readonly selectedAgentId: string;
  readonly summary: string;
}

/** Between equal keys: the older task, then submission order. */
const olderFirst = (a: TaskState, b: TaskState): boolean =>
  a.sub.submittedAt < b.sub.submittedAt || (a.sub.submittedAt === b.sub.submittedAt && a.seq < b.seq);

const POOL_SLOT = {
  get: (t: TaskState): number => t.heapIndex,
  set: (t: TaskState, i: number): void => {
    t.heapIndex = i;
  },
};

/** Waiting tasks that qualify for exactly the same agents, in priority order. */
export class Pool {
  readonly heap = new KeyedHeap<TaskState>(POOL_SLOT, olderFirst);
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
  /** Every pool ever needed, by key: one canonical object per key (routes keep references to them). */
  private readonly pools = new Map<string, Pool>();
  /** channel → primary skill → non-empty pools of the queue stage */
  readonly queuePools = new Map<ChannelId, Map<string, Set<Pool>>>();
  /** team → non-empty pools of the team stage */
  readonly teamPools = new Map<string, Set<Pool>>();
  /** agent → tasks in their preferred-agent stage */
  readonly preferred = new Map<string, Set<TaskState>>();
  private waitingPerQueue = new Map<string, number>();
  private listedPools = 0;
  count = 0;

  waitingIn(queueId: string): number {
    return this.waitingPerQueue.get(queueId) ?? 0;
  }

  /** Pools holding tasks now. */
  get poolCount(): number {
    return this.listedPools;
  }

  /** The pool for a key, created on first use for the stage and requirements `like` is in now. */
  poolFor(key: string, like: TaskState): Pool {
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const team = like.stage === 'team';
      pool = new Pool(key, team ? 'team' : 'queue', team ? like.teamId : '', like.channel, like.queue.id, like.requirements, like.overrideCap);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Lists a waiting task: in the preferred map (preferred stage) or in `pool`. */
  add(task: TaskState, pool: Pool | undefined): void {
    this.count++;
    this.waitingPerQueue.set(task.queue.id, this.waitingIn(task.queue.id) + 1);
    if (task.stage === 'preferred' || pool === undefined) {
      let set = this.preferred.get(task.preferredAgentId);
      if (!set) this.preferred.set(task.preferredAgentId, (set = new Set()));
      set.add(task);
      task.preferredListed = true;
      return;
    }
    if (pool.heap.size === 0) this.list(pool);
    pool.heap.set(task, task.staticKey);
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
      if (pool.heap.size === 0) this.unlist(pool);
    } else {
      return;
    }
    this.count--;
    const left = this.waitingIn(task.queue.id) - 1;
    if (left > 0) this.waitingPerQueue.set(task.queue.id, left);
    else this.waitingPerQueue.delete(task.queue.id);
  }

  private list(pool: Pool): void {
    this.listedPools++;
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

  private unlist(pool: Pool): void {
    this.listedPools--;
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
