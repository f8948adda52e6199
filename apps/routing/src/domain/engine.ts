/**
 * The routing engine of one tenant: pure, synchronous, clock injected, no I/O. The server feeds
 * it definitions and lifecycle calls; every call returns the effects (offers, time-outs, ...) for
 * the server to persist, publish and push to agents' streams. `tick()` must be called at
 * `nextDueAt()` so rings open, stages fall back and offers time out.
 *
 * Two searches, both indexed:
 * - a task looks for an agent (on submission, re-queue, ring/stage change): the agent index,
 *   best-ranked first (proficiency in the primary skill, then longest idle);
 * - an agent looks for a task (it freed capacity, became available): the heads of the pools it
 *   qualifies for, by effective priority (base + aging against the queue's patience).
 * The invariant after every call: no routable agent with room qualifies for a waiting task,
 * except through an exclusion (it rejected the task recently) or draining.
 *
 * Stages of a task: the preferred agent alone (case owner, requested agent, last agent) for the
 * policy's window, then the team for its window, then the whole queue with expanding rings
 * (measured from reaching the queue stage). A preferred agent unknown to routing or OFFLINE at
 * submission is skipped at once (and the next preference tried). The preferred agent is not held
 * to skills: the relationship is the qualification. The team stage needs the task's skills at
 * their base minimums; the queue stage the current ring's.
 *
 * Starvation: aging makes every waiting task overtake, after (spread of base priorities) *
 * patience / W, every task submitted later to the same pool; exclusive tasks (VIP chat 1:1, a
 * call) that need an agent with an empty real-time budget get one agent draining for them when
 * they are that agent's best task, so a steady stream of chats cannot hold them off forever.
 */
import { ANY_SKILL, AgentIndex, MAX_LEVEL, mergedByIdle } from './agent-index';
import { AgentState, type CapacityVerdict } from './agent-state';
import {
  AgentNotFoundError,
  ChannelMismatchError,
  OfferNotOpenError,
  QueueNotFoundError,
  ResourceInUseError,
  TaskAlreadyExistsError,
  TaskNotFoundError,
  TaskStatusError,
} from './errors';
import type {
  AgentDefinition,
  CandidateNote,
  ChannelId,
  Explanation,
  Presence,
  PreferenceKind,
  PriorityBreakdown,
  QueueDefinition,
  RoutingEffect,
  RoutingPolicy,
  SkillRequirement,
  TaskOutcome,
  TaskSubmission,
  TaskView,
} from './model';
import {
  DEFAULT_POLICY,
  basePriority,
  mergeRequirements,
  requirementSignature,
  ringAt,
  ringRequirements,
  segmentTreatment,
} from './policy';
import { type Decision, type Pool, type RouteProfile, TaskState, WaitingTasks } from './task-state';
import { TimerQueue } from './timer-queue';

export interface EngineOptions {
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  /** How long an agent has to answer an offer. */
  readonly offerTimeoutMs: number;
  readonly policy?: RoutingPolicy;
  /** Agents a single search looks at, at most (a bound on the worst case of multi-skill tasks). */
  readonly maxScan?: number;
}

/** An agent's state for reads (GetAgent). */
export interface AgentView {
  readonly def: AgentDefinition;
  readonly presence: Presence;
  readonly connected: boolean;
  readonly idleSince: number;
  readonly drainingFor: string | undefined;
  readonly load: { channel: ChannelId; active: number; effectiveMax: number }[];
  readonly heldTaskIds: string[];
}

interface SearchResult {
  readonly agent: AgentState | undefined;
  readonly candidates: CandidateNote[];
  readonly summary: string;
}

const MAX_NOTES = 8;
const NO_CANDIDATES: readonly CandidateNote[] = [];
const WAITING_BEHIND = 'waiting behind higher-priority tasks with the same requirements';
const RUNNERS_UP = 2;
/** Tasks popped past an excluded head before giving up on a pool for this agent. */
const EXCLUDED_HEAD_DEPTH = 8;

export class RoutingEngine {
  private policy: RoutingPolicy;
  private readonly clock: () => number;
  private readonly offerTimeoutMs: number;
  private readonly maxScan: number;
  private readonly queues = new Map<string, QueueDefinition>();
  private readonly agents = new Map<string, AgentState>();
  private readonly tasks = new Map<string, TaskState>();
  private readonly index = new AgentIndex();
  private readonly waiting = new WaitingTasks();
  private readonly timers = new TimerQueue<TaskState>();
  private readonly epoch: number;
  private seq = 0;
  private effects: RoutingEffect[] = [];
  private readonly toFill = new Set<AgentState>();
  private readonly routes = new Map<string, RouteProfile>();
  /** Agents per team: a team stage is only worth waiting for when the team has someone in it. */
  private readonly teamSizes = new Map<string, number>();

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.offerTimeoutMs = options.offerTimeoutMs;
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.maxScan = options.maxScan ?? 512;
    this.epoch = this.clock();
  }

  // ---------------------------------------------------------------- definitions

  queue(id: string): QueueDefinition | undefined {
    return this.queues.get(id);
  }

  waitingCount(queueId?: string): number {
    return queueId === undefined ? this.waiting.count : this.waiting.waitingIn(queueId);
  }

  /** Live tasks (waiting, offered, assigned) of a queue or agent. */
  hasLiveTasks(filter: { queueId?: string; agentId?: string }): boolean {
    if (filter.agentId !== undefined) return (this.agents.get(filter.agentId)?.heldCount ?? 0) > 0;
    for (const t of this.tasks.values()) if (t.queue.id === filter.queueId) return true;
    return false;
  }

  upsertQueue(def: QueueDefinition): RoutingEffect[] {
    return this.run((now) => {
      const existing = this.queues.get(def.id);
      this.queues.set(def.id, def);
      this.routes.clear();
      if (!existing) return;
      for (const task of this.tasks.values()) {
        if (task.queue.id !== def.id) continue;
        task.queue = def;
        if (task.status === 'waiting') {
          this.prepare(task);
          this.restage(task, now, true);
          this.tryOffer(task, now);
        }
      }
    });
  }

  removeQueue(id: string): void {
    if (!this.queues.has(id)) throw new QueueNotFoundError(id);
    if (this.hasLiveTasks({ queueId: id })) throw new ResourceInUseError('queue', id);
    this.queues.delete(id);
  }

  upsertAgent(def: AgentDefinition): RoutingEffect[] {
    return this.run((now) => {
      const agent = this.agents.get(def.id);
      if (!agent) {
        this.agents.set(def.id, new AgentState(def, this.seq++, now));
        this.countTeam(def.teamId, 1);
        return;
      }
      this.countTeam(agent.def.teamId, -1);
      this.countTeam(def.teamId, 1);
      agent.def = def;
      this.index.refresh(agent, true);
      this.toFill.add(agent);
    });
  }

  /** Puts back an agent read from the store after a restart (not connected: no stream survives). */
  restoreAgent(def: AgentDefinition, presence: Presence, idleSince: number): void {
    const agent = new AgentState(def, this.seq++, idleSince);
    agent.presence = presence;
    this.agents.set(def.id, agent);
    this.countTeam(def.teamId, 1);
  }

  removeAgent(id: string): void {
    const agent = this.requireAgent(id);
    if (agent.heldCount > 0) throw new ResourceInUseError('agent', id);
    this.stopDraining(agent);
    this.index.removeAll(agent);
    this.agents.delete(id);
    this.countTeam(agent.def.teamId, -1);
  }

  agentView(id: string): AgentView | undefined {
    const a = this.agents.get(id);
    if (!a) return undefined;
    return {
      def: a.def,
      presence: a.presence,
      connected: a.connected,
      idleSince: a.idleSince,
      drainingFor: a.drainingFor,
      load: a.load(),
      heldTaskIds: [...a.heldTaskIds],
    };
  }

  setPresence(agentId: string, presence: Presence): RoutingEffect[] {
    const agent = this.requireAgent(agentId);
    return this.run((now) => {
      if (agent.presence === presence) return;
      const wasReady = agent.presence === 'available';
      agent.presence = presence;
      if (presence === 'available' && !wasReady) agent.idleSince = now;
      if (presence !== 'available') this.stopDraining(agent);
      this.index.refresh(agent);
      this.toFill.add(agent);
    });
  }

  /** The agent opened (true) or lost (false) its offer stream. */
  setConnected(agentId: string, connected: boolean): RoutingEffect[] {
    const agent = this.requireAgent(agentId);
    return this.run((now) => {
      if (agent.connected === connected) return;
      agent.connected = connected;
      if (connected && agent.presence === 'available') agent.idleSince = now;
      if (!connected) this.stopDraining(agent);
      this.index.refresh(agent);
      this.toFill.add(agent);
    });
  }

  setPolicy(policy: RoutingPolicy): RoutingEffect[] {
    return this.run((now) => {
      this.policy = policy;
      this.routes.clear();
      for (const task of this.tasks.values()) {
        if (task.status !== 'waiting') continue;
        this.prepare(task);
        this.restage(task, now, true);
      }
      for (const task of this.tasks.values()) if (task.status === 'waiting') this.tryOffer(task, now);
      for (const agent of this.agents.values()) this.toFill.add(agent);
    });
  }

  // ---------------------------------------------------------------- tasks

  view(taskId: string): TaskView | undefined {
    const t = this.tasks.get(taskId);
    return t && this.viewOf(t);
  }

  /** Ids of the tasks offered to an agent now (re-sent when its stream reconnects). */
  openOffers(agentId: string): TaskView[] {
    const agent = this.agents.get(agentId);
    if (!agent) return [];
    const out: TaskView[] = [];
    for (const id of agent.heldTaskIds) {
      const t = this.tasks.get(id);
      if (t?.status === 'offered') out.push(this.viewOf(t));
    }
    return out;
  }

  submit(sub: TaskSubmission): RoutingEffect[] {
    const queue = this.queues.get(sub.queueId);
    if (!queue) throw new QueueNotFoundError(sub.queueId, 'task.queue_id');
    if (this.tasks.has(sub.id)) throw new TaskAlreadyExistsError(sub.id);
    const now = this.begin();
    const task = this.newTask(sub, queue, now);
    this.tasks.set(task.id, task);
    this.restage(task, now, true);
    this.tryOffer(task, now);
    return this.finish(now);
  }

  /** Takes a task back out without any effect (its submission could not be stored). */
  discard(taskId: string): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    this.run(() => {
      this.waiting.remove(task);
      this.clearReservation(task);
      if (task.agentId !== '') this.releaseAgent(task, false);
      this.timers.cancel(task);
      this.tasks.delete(taskId);
    });
  }

  /**
   * Puts back a task read from the store after a restart: waiting and offered tasks wait again
   * (no offer stream survived a restart), assigned ones hold their agent's capacity.
   */
  restore(view: TaskView): boolean {
    const queue = this.queues.get(view.submission.queueId);
    if (!queue || this.tasks.has(view.submission.id)) return false;
    const now = this.clock();
    const task = new TaskState(view.submission, queue, this.seq++);
    task.restoreTrail(view.explanation.trail);
    task.offerCount = view.offerCount;
    this.prepare(task);
    this.resolvePreference(task, now, false);
    this.tasks.set(task.id, task);
    if (view.status === 'assigned') {
      const agent = this.agents.get(view.agentId);
      task.status = 'assigned';
      task.agentId = view.agentId;
      task.offerId = view.offerId;
      task.offeredAt = view.offeredAt;
      task.acceptedAt = view.acceptedAt;
      agent?.hold(task.id, task.channel, task.overrideCap);
      const ex = view.explanation;
      task.decision = {
        at: ex.decidedAt,
        stage: ex.stage,
        ring: ex.ring,
        requirements: ex.requirements,
        candidates: ex.candidates,
        selectedAgentId: ex.selectedAgentId,
        summary: ex.summary,
      };
      return true;
    }
    if (view.status === 'offered') task.note(now, `offer ${view.offerId} to ${view.agentId} void after a restart: waiting again`);
    this.run(() => {
      this.restage(task, now, true);
      this.tryOffer(task, now);
    });
    return true;
  }

  accept(taskId: string, agentId: string, offerId: string): RoutingEffect[] {
    const task = this.requireTask(taskId);
    this.requireOpenOffer(task, agentId, offerId);
    const now = this.begin();
    task.status = 'assigned';
    task.acceptedAt = now;
    this.timers.cancel(task);
    task.note(now, 'accepted');
    this.effects.push({ kind: 'accepted', task: this.viewOf(task), agentId, offerId: task.offerId });
    return this.finish(now);
  }

  reject(taskId: string, agentId: string, offerId: string, reason: string): RoutingEffect[] {
    const task = this.requireTask(taskId);
    this.requireOpenOffer(task, agentId, offerId);
    return this.run((now) => {
      const offer = task.offerId;
      task.note(now, `rejected by ${agentId}${reason ? ` (${reason})` : ''}`);
      this.releaseAgent(task, true);
      task.exclude(agentId, now + this.policy.rejectCooldownMs);
      this.backToWaiting(task);
      this.effects.push({ kind: 'rejected', task: this.viewOf(task), agentId, offerId: offer, reason });
      this.restage(task, now, true);
      this.tryOffer(task, now);
    });
  }

  complete(taskId: string, agentId: string, outcome: TaskOutcome, wrapUpCode: string): RoutingEffect[] {
    const task = this.requireTask(taskId);
    if (task.status !== 'assigned') throw new TaskStatusError(taskId, task.status, 'complete');
    if (task.agentId !== agentId) throw new OfferNotOpenError(taskId, agentId);
    const now = this.begin();
    this.releaseAgent(task, true);
    task.status = 'completed';
    task.endedAt = now;
    task.outcome = outcome;
    task.wrapUpCode = wrapUpCode;
    task.note(now, outcome === 'resolved' ? 'completed (resolved)' : 'completed (unresolved)');
    this.tasks.delete(task.id);
    this.effects.push({ kind: 'completed', task: this.viewOf(task), agentId });
    return this.finish(now);
  }

  /** The customer gave up. */
  cancel(taskId: string): RoutingEffect[] {
    const task = this.requireTask(taskId);
    if (task.status === 'assigned') throw new TaskStatusError(taskId, task.status, 'abandon');
    return this.run((now) => {
      const offeredAgentId = task.status === 'offered' ? task.agentId : '';
      const offerId = task.status === 'offered' ? task.offerId : '';
      this.waiting.remove(task);
      this.clearReservation(task);
      if (offeredAgentId !== '') this.releaseAgent(task, false);
      this.timers.cancel(task);
      task.status = 'abandoned';
      task.endedAt = now;
      task.note(now, offeredAgentId ? `abandoned while offered to ${offeredAgentId}` : 'abandoned while waiting');
      this.tasks.delete(task.id);
      this.effects.push({ kind: 'abandoned', task: this.viewOf(task), offeredAgentId, offerId });
    });
  }

  /** When `tick()` has work next (undefined: nothing scheduled). */
  nextDueAt(): number | undefined {
    return this.timers.peek()?.dueAt;
  }

  /** Opens rings, falls back stages, times out offers, lifts expired exclusions: everything due now. */
  tick(): RoutingEffect[] {
    const now = this.begin();
    for (;;) {
      const task = this.timers.peek();
      if (task === undefined || task.dueAt > now) break;
      this.timers.cancel(task);
      if (task.dueKind === 'offer') {
        if (task.status === 'offered') this.timeOut(task, now);
      } else if (task.status === 'waiting') {
        this.restage(task, now, false);
        this.tryOffer(task, now);
      }
    }
    return this.finish(now);
  }

  /** What would happen to this task now, and why; changes nothing. */
  dryRun(sub: TaskSubmission): { agentId: string; explanation: Explanation } {
    const queue = this.queues.get(sub.queueId);
    if (!queue) throw new QueueNotFoundError(sub.queueId, 'task.queue_id');
    const now = this.clock();
    const task = this.newTask(sub, queue, now);
    this.computeStage(task, now);
    const found = this.search(task, now);
    const decision = this.decide(task, now, found.candidates, found.agent?.id ?? '', `dry run: ${found.summary}`);
    return { agentId: found.agent?.id ?? '', explanation: this.explanationOf(task, decision, now) };
  }

  /** Sizes, for metrics and benchmarks. */
  stats(): { agents: number; liveTasks: number; waiting: number; pools: number; timers: number } {
    return {
      agents: this.agents.size,
      liveTasks: this.tasks.size,
      waiting: this.waiting.count,
      pools: this.waiting.poolCount,
      timers: this.timers.size,
    };
  }

  // ---------------------------------------------------------------- internals: lifecycle

  /** Runs one operation, then lets every agent whose room changed look for work; returns what happened. */
  private run(body: (now: number) => void): RoutingEffect[] {
    const now = this.begin();
    body(now);
    return this.finish(now);
  }

  private begin(): number {
    this.effects = [];
    return this.clock();
  }

  /** Lets every agent whose room changed look for work, re-indexes it, and hands over the effects. */
  private finish(now: number): RoutingEffect[] {
    while (this.toFill.size > 0) {
      const agent = this.toFill.values().next().value as AgentState;
      this.toFill.delete(agent);
      if (this.agents.get(agent.id) !== agent) continue;
      this.fill(agent, now);
      this.index.refresh(agent);
    }
    const out = this.effects;
    this.effects = [];
    return out;
  }

  private newTask(sub: TaskSubmission, queue: QueueDefinition, now: number): TaskState {
    const task = new TaskState(sub, queue, this.seq++);
    this.prepare(task);
    if (!sub.contextAvailable) task.note(now, 'context unavailable: routed on what the task says');
    this.resolvePreference(task, now, true);
    return task;
  }

  /** Everything derived from the submission, the queue and the policy. */
  private prepare(task: TaskState): void {
    task.treatment = segmentTreatment(this.policy, task.sub.segmentIds, task.channel);
    task.route = this.routeOf(task);
    task.base = basePriority(task.queue, task.sub.priorityHint, task.treatment.priorityBoost);
    const w = this.policy.agingPointsPerPatience / task.queue.patienceMs;
    task.staticKey = task.base - w * (task.sub.submittedAt - this.epoch);
    if (task.preferredAgentId !== '' || task.teamId !== '') this.setWindows(task);
  }

  private routeOf(task: TaskState): RouteProfile {
    const own = task.sub.requiredSkills.length === 0 ? '' : requirementSignature(task.sub.requiredSkills);
    const key = `${task.queue.id}\u0000${task.treatment.firstRingMinProficiency}\u0000${task.treatment.overrideCap}\u0000${own}`;
    let route = this.routes.get(key);
    if (route === undefined) {
      const base = mergeRequirements(task.queue.requiredSkills, task.sub.requiredSkills);
      const rings = [];
      for (let ring = 0; ring <= this.policy.rings.length; ring++) {
        const requirements = ringRequirements(base, this.policy.rings, ring, task.treatment.firstRingMinProficiency);
        rings.push({ requirements, sig: requirementSignature(requirements), note: `ring ${ring} opened: requires ${describe(requirements)}`, pool: undefined });
      }
      route = { base, baseSig: requirementSignature(base), rings };
      this.routes.set(key, route);
    }
    return route;
  }

  /** Case owner, then requested agent, then last agent; unknown or OFFLINE ones are skipped. */
  private resolvePreference(task: TaskState, now: number, noting: boolean): void {
    const sub = task.sub;
    task.teamId = sub.caseTeamId;
    // Case owner, then the agent the submitter asked for, then the last agent.
    if (sub.caseOwnerAgentId !== '' || sub.requestedAgentId !== '' || sub.lastAgentId !== '') {
      if (!this.tryPreferred(task, 'case_owner', sub.caseOwnerAgentId, now, noting)) {
        if (!this.tryPreferred(task, 'requested', sub.requestedAgentId, now, noting)) this.tryPreferred(task, 'last_agent', sub.lastAgentId, now, noting);
      }
    }
    this.setWindows(task);
    if (noting && task.teamId !== '' && this.policy.teamWindowMs > 0 && !this.teamSizes.has(task.teamId)) {
      task.note(now, `team ${task.teamId} has no agents: team stage skipped`);
    }
    if (noting && task.preferredAgentId !== '' && this.policy.preferredAgentWindowMs > 0) {
      task.note(now, `${labelOf(task.preference)} ${task.preferredAgentId} tried alone for ${this.policy.preferredAgentWindowMs / 1000} s`);
    }
  }

  /** Makes `id` the preferred agent unless it is unknown or offline; the first known one gives the team. */
  private tryPreferred(task: TaskState, kind: PreferenceKind, id: string, now: number, noting: boolean): boolean {
    if (id === '') return false;
    const agent = this.agents.get(id);
    if (!agent) {
      if (noting) task.note(now, `${labelOf(kind)} ${id} is not a routing agent: skipped`);
      return false;
    }
    if (task.teamId === '') task.teamId = agent.def.teamId;
    if (agent.presence === 'offline') {
      if (noting) task.note(now, `${labelOf(kind)} ${id} is offline: skipped`);
      return false;
    }
    task.preferredAgentId = id;
    task.preference = kind;
    return true;
  }

  private setWindows(task: TaskState): void {
    task.preferredEndsMs = task.preferredAgentId !== '' ? this.policy.preferredAgentWindowMs : 0;
    const teamStage = task.teamId !== '' && (this.teamSizes.get(task.teamId) ?? 0) > 0;
    task.teamEndsMs = task.preferredEndsMs + (teamStage ? this.policy.teamWindowMs : 0);
  }

  private countTeam(teamId: string, delta: number): void {
    if (teamId === '') return;
    const n = (this.teamSizes.get(teamId) ?? 0) + delta;
    if (n > 0) this.teamSizes.set(teamId, n);
    else this.teamSizes.delete(teamId);
  }

  /** Sets stage, ring, requirements and when they change next, from the time waited. */
  private computeStage(task: TaskState, now: number): void {
    const waited = now - task.sub.submittedAt;
    const start = task.sub.submittedAt;
    if (waited < task.preferredEndsMs) {
      task.stage = 'preferred';
      task.ring = 0;
      task.requirements = [];
      task.reqSig = '';
      task.stageUntil = start + task.preferredEndsMs;
    } else if (waited < task.teamEndsMs) {
      task.stage = 'team';
      task.ring = 0;
      task.requirements = task.route.base;
      task.reqSig = task.route.baseSig;
      task.stageUntil = start + task.teamEndsMs;
    } else {
      const { ring, nextAfterMs } = ringAt(this.policy.rings, waited - task.teamEndsMs);
      const step = task.route.rings[ring] ?? task.route.rings[task.route.rings.length - 1];
      task.stage = 'queue';
      task.ring = ring;
      task.requirements = step?.requirements ?? task.route.base;
      task.reqSig = step?.sig ?? task.route.baseSig;
      task.stageUntil = nextAfterMs === undefined ? undefined : start + task.teamEndsMs + nextAfterMs;
    }
  }

  /** Moves a waiting task to the structure of its current stage and schedules its next review. */
  private restage(task: TaskState, now: number, force: boolean): void {
    const stage = task.stage;
    const ring = task.ring;
    const sig = task.reqSig;
    const wasListed = task.pool !== undefined || task.preferredListed;
    this.computeStage(task, now);
    const changed = stage !== task.stage || ring !== task.ring || sig !== task.reqSig;
    if (changed && wasListed) this.noteStageChange(task, now, stage);
    if (force || changed || !wasListed) {
      this.waiting.remove(task);
      this.waiting.add(task, this.poolOf(task));
    }
    this.scheduleReview(task, now);
  }

  private noteStageChange(task: TaskState, now: number, prev: string): void {
    if (prev === 'preferred' && task.stage !== 'preferred') {
      const next = task.stage === 'team' ? `trying team ${task.teamId}` : 'trying the whole queue';
      task.note(now, `preferred window ended: ${labelOf(task.preference)} ${task.preferredAgentId} not reached; ${next}`);
    } else if (prev === 'team' && task.stage === 'queue') {
      task.note(now, `team window ended: team ${task.teamId} did not take it; trying the whole queue`);
    } else if (task.stage === 'queue') {
      task.note(now, task.route.rings[task.ring]?.note ?? `ring ${task.ring} opened`);
    }
  }

  /** The pool of a waiting task's stage (undefined in the preferred stage). Queue-stage pools are kept on the route. */
  private poolOf(task: TaskState): Pool | undefined {
    if (task.stage === 'preferred') return undefined;
    if (task.stage === 'team') {
      const key = `team|${task.teamId}|${task.queue.id}|${task.overrideCap}|${task.reqSig}`;
      return this.waiting.poolFor(key, task);
    }
    const ring = task.route.rings[task.ring];
    if (ring === undefined) throw new Error(`no ring ${task.ring} on the route of ${task.id}`);
    ring.pool ??= this.waiting.poolFor(`queue||${task.queue.id}|${task.overrideCap}|${task.reqSig}`, task);
    return ring.pool;
  }

  private scheduleReview(task: TaskState, now: number): void {
    let at = task.stageUntil;
    if (task.excluded !== undefined) {
      for (const [agentId, until] of task.excluded) {
        if (until <= now) task.excluded.delete(agentId);
        else if (at === undefined || until < at) at = until;
      }
    }
    if (at === undefined) this.timers.cancel(task);
    else this.timers.schedule(task, at, 'review');
  }

  /** Task looks for an agent; offers when one is found. */
  private tryOffer(task: TaskState, now: number): void {
    if (task.status !== 'waiting') return;
    const head = task.pool?.heap.peek();
    if (head !== undefined && head !== task && !head.hasExclusions(now)) {
      // Same pool, same eligibility: had an agent with room qualified, the head would have had it.
      // So no search (this keeps ring openings of a large backlog cheap); GetTask explains in full.
      task.decision = undefined;
      return;
    }
    const found = this.search(task, now);
    task.decision = this.decide(task, now, found.candidates, found.agent?.id ?? '', found.summary);
    if (found.agent) this.offer(task, found.agent, now, task.decision);
  }

  /**
   * The task as of now. For a waiting task the search is run again (reading only), so that a
   * supervisor sees today's candidates and why each was passed over.
   */
  explainNow(taskId: string): TaskView | undefined {
    const task = this.tasks.get(taskId);
    if (!task) return undefined;
    if (task.status !== 'waiting') return this.viewOf(task);
    const now = this.clock();
    const found = this.search(task, now);
    const ahead = task.pool ? countAhead(task) : 0;
    const queued = ahead > 0 ? ` (${ahead} higher-priority tasks with the same requirements wait ahead of it)` : '';
    const summary = found.agent ? `${found.summary} at the next decision${queued}` : `${found.summary}${queued}`;
    return this.viewOf(task, this.decide(task, now, found.candidates, '', summary));
  }

  private offer(task: TaskState, agent: AgentState, now: number, decision: Decision): void {
    this.waiting.remove(task);
    if (task.reservedBy !== undefined && task.reservedBy !== agent.id) this.clearReservation(task);
    if (agent.drainingFor === task.id) agent.drainingFor = undefined;
    task.reservedBy = undefined;
    task.status = 'offered';
    task.agentId = agent.id;
    task.offerCount++;
    task.offerId = `${task.id}-o${task.offerCount}`;
    task.offeredAt = now;
    task.offerExpiresAt = now + this.offerTimeoutMs;
    agent.hold(task.id, task.channel, task.overrideCap);
    agent.idleSince = now;
    this.index.refresh(agent);
    this.timers.schedule(task, task.offerExpiresAt, 'offer');
    task.note(now, `offered to ${agent.id}`);
    task.decision = decision;
    this.effects.push({ kind: 'offered', task: this.viewOf(task), agentId: agent.id, offerId: task.offerId });
  }

  private timeOut(task: TaskState, now: number): void {
    const agentId = task.agentId;
    const offerId = task.offerId;
    const openMs = now - (task.offeredAt ?? now);
    task.note(now, `offer to ${agentId} timed out after ${(openMs / 1000).toFixed(1)} s; ${agentId} set away`);
    this.releaseAgent(task, false);
    task.exclude(agentId, now + this.policy.rejectCooldownMs);
    this.backToWaiting(task);
    this.effects.push({ kind: 'timed_out', task: this.viewOf(task), agentId, offerId, openMs });
    const agent = this.agents.get(agentId);
    if (agent && agent.presence === 'available') {
      // An agent who does not answer would otherwise swallow every offer until each times out.
      agent.presence = 'away';
      this.stopDraining(agent);
      this.index.refresh(agent);
      this.effects.push({ kind: 'presence_changed', agentId, presence: 'away', reason: 'missed_offer' });
    }
    this.restage(task, now, true);
    this.tryOffer(task, now);
  }

  private backToWaiting(task: TaskState): void {
    task.status = 'waiting';
    task.agentId = '';
    task.offerId = '';
    task.offeredAt = undefined;
    task.offerExpiresAt = undefined;
    this.timers.cancel(task);
  }

  /** Frees the agent's capacity held by the task; `idleAgain` resets its idle clock (it is free by its own doing). */
  private releaseAgent(task: TaskState, idleAgain: boolean): void {
    const agent = this.agents.get(task.agentId);
    if (!agent) return;
    agent.release(task.id);
    if (idleAgain) agent.idleSince = this.clock();
    // Re-indexed after it has looked for work (end of run): an agent that frees a slot usually
    // fills it at once, and the index would have moved it twice for nothing. Until then it is
    // only missing from searches, and its own look for work covers every task submitted meanwhile.
    this.toFill.add(agent);
  }

  private clearReservation(task: TaskState): void {
    if (task.reservedBy === undefined) return;
    const other = this.agents.get(task.reservedBy);
    task.reservedBy = undefined;
    if (other && other.drainingFor === task.id) {
      other.drainingFor = undefined;
      // Back from draining counts as becoming available now (it is re-indexed after it looked for work).
      other.idleSince = this.clock();
      this.toFill.add(other);
    }
  }

  private stopDraining(agent: AgentState): void {
    if (agent.drainingFor === undefined) return;
    const task = this.tasks.get(agent.drainingFor);
    if (task?.reservedBy === agent.id) task.reservedBy = undefined;
    agent.drainingFor = undefined;
  }

  // ---------------------------------------------------------------- internals: agent looks for a task

  /** Offers the agent its best waiting tasks while it has room (or starts it draining). */
  private fill(agent: AgentState, now: number): void {
    for (let guard = 0; guard < 64; guard++) {
      if (agent.presence !== 'available' || !agent.connected) return;
      let drainedFor: string | undefined;
      if (agent.drainingFor !== undefined) {
        const target = this.tasks.get(agent.drainingFor);
        if (target && target.status === 'waiting' && target.reservedBy === agent.id) {
          if (agent.canTake(target.channel, target.overrideCap) !== undefined) return;
          // Free now: it takes its best task, usually the one it drained for (a better one may have come).
          target.reservedBy = undefined;
          drainedFor = target.id;
        }
        agent.drainingFor = undefined;
        this.index.refresh(agent);
      }
      const pick = this.bestTaskFor(agent, now);
      if (!pick) return;
      if (pick.fits) {
        if (pick.task.id === drainedFor) {
          this.offerPicked(pick.task, agent, now, 'DRAINED', `${agent.id} finished its real-time work to take this exclusive task`);
        } else {
          this.offerPicked(pick.task, agent, now, 'FREED_CAPACITY', `${agent.id} had room; this was the highest-priority task it qualifies for`);
        }
        continue;
      }
      // The agent's best task needs its whole real-time budget: it stops taking new work until it has it.
      agent.drainingFor = pick.task.id;
      pick.task.reservedBy = agent.id;
      pick.task.note(now, `${agent.id} stops taking new work to free itself for this task`);
      this.index.refresh(agent);
      return;
    }
  }

  private offerPicked(task: TaskState, agent: AgentState, now: number, reason: string, detail: string): void {
    const note: CandidateNote = {
      agentId: agent.id,
      verdict: 'selected',
      reason,
      detail,
      proficiency: task.requirements[0] ? agent.proficiency(task.requirements[0].skill) : 0,
      idleSince: agent.idleSince,
    };
    const summary = `offered to ${agent.id} when it had room (${task.stage} stage${task.stage === 'queue' ? `, ring ${task.ring}` : ''})`;
    this.offer(task, agent, now, this.decide(task, now, [note], agent.id, summary));
  }

  /**
   * The agent's best waiting task: the preferred-stage tasks naming it, the heads of its team's
   * pools and of the queue pools of its channels and skills. `fits: false` means the best one
   * needs the agent's whole real-time budget and outranks everything that fits: it should drain.
   */
  private bestTaskFor(agent: AgentState, now: number): { task: TaskState; fits: boolean } | undefined {
    const load = agent.realTimeLoad();
    // Draining only means something for an agent with some real-time work and some room left.
    const pick = this.pick;
    pick.agent = agent;
    pick.now = now;
    pick.canDrain = load > 0 && load < 1 - 1e-9;
    pick.fit = undefined;
    pick.fitPriority = -Infinity;
    pick.blocked = undefined;
    pick.blockedPriority = -Infinity;

    const preferred = this.waiting.preferred.get(agent.id);
    if (preferred) {
      for (const task of preferred) {
        if (!task.isExcluded(agent.id, now)) this.consider(task, agent.canTake(task.channel, task.overrideCap));
      }
    }
    if (agent.def.teamId !== '') {
      const pools = this.waiting.teamPools.get(agent.def.teamId);
      if (pools) for (const pool of pools) this.considerPool(pool, agent.canTake(pool.channel, pool.overrideCap));
    }
    for (const channel of agent.channels) {
      const bySkill = this.waiting.queuePools.get(channel);
      if (!bySkill) continue;
      const shared = agent.canTake(channel);
      // No room for an ordinary task means no room for an exclusive one either; skip unless draining is possible.
      if (shared !== undefined && !pick.canDrain) continue;
      const exclusive = agent.canTake(channel, 1);
      const any = bySkill.get(ANY_SKILL);
      if (any) for (const pool of any) this.considerPool(pool, verdictFor(agent, pool, shared, exclusive));
      for (const skill of agent.skillNames) {
        const pools = bySkill.get(skill);
        if (pools) for (const pool of pools) this.considerPool(pool, verdictFor(agent, pool, shared, exclusive));
      }
    }
    const { fit, blocked } = pick;
    pick.agent = undefined;
    if (blocked && (!fit || outranks(blocked, pick.blockedPriority, fit, pick.fitPriority))) return { task: blocked, fits: false };
    return fit ? { task: fit, fits: true } : undefined;
  }

  /** State of the current bestTaskFor call (kept on the engine: no allocation per decision). */
  private readonly pick: {
    agent: AgentState | undefined;
    now: number;
    canDrain: boolean;
    fit: TaskState | undefined;
    fitPriority: number;
    blocked: TaskState | undefined;
    blockedPriority: number;
  } = { agent: undefined, now: 0, canDrain: false, fit: undefined, fitPriority: -Infinity, blocked: undefined, blockedPriority: -Infinity };

  private consider(task: TaskState, verdict: CapacityVerdict): void {
    const pick = this.pick;
    const agent = pick.agent as AgentState;
    const p = this.effective(task, pick.now);
    if (verdict === undefined) {
      if (pick.fit === undefined || outranks(task, p, pick.fit, pick.fitPriority)) {
        pick.fit = task;
        pick.fitPriority = p;
      }
    } else if (
      pick.canDrain &&
      verdict !== 'CHANNEL_NOT_WORKED' &&
      task.reservedBy === undefined &&
      agent.needsWholeBudget(task.channel, task.overrideCap) &&
      (pick.blocked === undefined || outranks(task, p, pick.blocked, pick.blockedPriority))
    ) {
      pick.blocked = task;
      pick.blockedPriority = p;
    }
  }

  private considerPool(pool: Pool, verdict: CapacityVerdict): void {
    if (verdict === 'CHANNEL_NOT_WORKED') return;
    if (verdict !== undefined && !this.pick.canDrain) return;
    const agent = this.pick.agent as AgentState;
    const now = this.pick.now;
    for (const r of pool.requirements) if (agent.proficiency(r.skill) < r.minProficiency) return;
    const head = pool.heap.peek();
    if (!head) return;
    if (!head.isExcluded(agent.id, now)) {
      this.consider(head, verdict);
      return;
    }
    // Rare: the agent declined the head recently. Look a little deeper, then put everything back.
    const popped: TaskState[] = [];
    let found: TaskState | undefined;
    while (popped.length < EXCLUDED_HEAD_DEPTH) {
      const t = pool.heap.pop();
      if (!t) break;
      popped.push(t);
      if (!t.isExcluded(agent.id, now)) {
        found = t;
        break;
      }
    }
    for (const t of popped) pool.heap.set(t, t.staticKey);
    if (found) this.consider(found, verdict);
  }

  private effective(task: TaskState, now: number): number {
    return task.base + (this.policy.agingPointsPerPatience * (now - task.sub.submittedAt)) / task.queue.patienceMs;
  }

  // ---------------------------------------------------------------- internals: task looks for an agent

  private search(task: TaskState, now: number): SearchResult {
    if (task.stage === 'preferred') return this.searchPreferred(task, now);
    if (task.stage === 'team') return this.searchTeam(task, now);
    return this.searchQueue(task, now);
  }

  /** Why the agent cannot take the task now, beyond presence (undefined: it can). */
  private unfit(agent: AgentState, task: TaskState, now: number, skills: readonly SkillRequirement[]): [string, string] | undefined {
    if (task.isExcluded(agent.id, now)) return ['REJECTED_RECENTLY', 'rejected or missed this task recently'];
    for (const r of skills) {
      const p = agent.proficiency(r.skill);
      if (p === 0) return ['SKILL_MISSING', `lacks ${r.skill}`];
      if (p < r.minProficiency) return ['PROFICIENCY_TOO_LOW', `${r.skill} ${p} < ${r.minProficiency}`];
    }
    const verdict = agent.canTake(task.channel, task.overrideCap);
    if (verdict === 'NO_CAPACITY' && task.overrideCap <= 1) {
      return ['EXCLUSIVE_NEEDS_FREE_AGENT', `exclusive ${task.channel} needs an agent with no other ${task.channel}`];
    }
    if (verdict !== undefined) return [verdict, describeCapacity(agent, task.channel)];
    return undefined;
  }

  private searchPreferred(task: TaskState, now: number): SearchResult {
    const id = task.preferredAgentId;
    const label = `${labelOf(task.preference)} ${id}`;
    const agent = this.agents.get(id);
    const reject = (reason: string, detail: string): SearchResult => ({
      agent: undefined,
      candidates: [{ agentId: id, verdict: 'rejected', reason, detail, proficiency: 0, idleSince: agent?.idleSince ?? 0 }],
      summary: `waiting for ${label}: ${detail}`,
    });
    if (!agent) return reject('UNKNOWN_AGENT', 'not a routing agent');
    if (agent.presence !== 'available') return reject('NOT_AVAILABLE', `presence ${agent.presence}`);
    if (!agent.connected) return reject('NOT_CONNECTED', 'no offer stream open');
    if (agent.drainingFor !== undefined) return reject('DRAINING', 'freeing itself for an exclusive task');
    const why = this.unfit(agent, task, now, []);
    if (why) return reject(why[0], why[1]);
    return {
      agent,
      candidates: [{ agentId: id, verdict: 'selected', reason: 'PREFERRED_AGENT', detail: label, proficiency: 0, idleSince: agent.idleSince }],
      summary: `offered to ${label}`,
    };
  }

  private searchTeam(task: TaskState, now: number): SearchResult {
    const tiers = this.index.teamTiers(task.teamId, task.channel);
    const primary = task.requirements[0]?.skill;
    const eligible: AgentState[] = [];
    const notes: CandidateNote[] = [];
    let examined = 0;
    if (tiers) {
      for (const agent of mergedByIdle(tiers, task.overrideCap <= 1)) {
        if (++examined > this.maxScan) break;
        const why = this.unfit(agent, task, now, task.requirements);
        if (why) {
          if (notes.length < MAX_NOTES) notes.push(note(agent, 'rejected', why[0], why[1], primary));
          continue;
        }
        eligible.push(agent);
      }
    }
    // Best proficiency first; the idle order of the walk is kept among equals (stable sort).
    if (primary !== undefined) eligible.sort((a, b) => b.proficiency(primary) - a.proficiency(primary));
    const winner = eligible[0];
    if (!winner) {
      return { agent: undefined, candidates: notes, summary: `waiting for team ${task.teamId}: no member available with ${describe(task.requirements)} and room on ${task.channel}` };
    }
    return {
      agent: winner,
      candidates: [...ranked(eligible.slice(0, 1 + RUNNERS_UP), primary), ...notes],
      summary: `offered to ${winner.id} of team ${task.teamId}`,
    };
  }

  private searchQueue(task: TaskState, now: number): SearchResult {
    const reqs = task.requirements;
    const primary = reqs[0];
    const skill = primary?.skill ?? ANY_SKILL;
    const minLevel = primary ? primary.minProficiency : MAX_LEVEL;
    const secondary = reqs.slice(1);
    const freeOnly = task.overrideCap <= 1;
    const picked: AgentState[] = [];
    const notes: CandidateNote[] = [];
    let examined = 0;
    let limited = false;
    outer: for (let level = MAX_LEVEL; level >= minLevel; level--) {
      const tiers = this.index.tiers(task.channel, skill, level);
      if (!tiers) continue;
      for (const agent of mergedByIdle(tiers, freeOnly)) {
        if (++examined > this.maxScan) {
          limited = true;
          break outer;
        }
        const why = this.unfit(agent, task, now, secondary);
        if (why) {
          if (notes.length < MAX_NOTES) notes.push(note(agent, 'rejected', why[0], why[1], primary?.skill));
          continue;
        }
        picked.push(agent);
        if (picked.length > RUNNERS_UP) break outer;
      }
    }
    const winner = picked[0];
    if (!winner) {
      const why = limited ? ` (search stopped after ${this.maxScan} agents)` : '';
      return {
        agent: undefined,
        candidates: notes,
        summary: `waiting: no available agent with ${describe(reqs)} and room on ${task.channel}${freeOnly ? ' for an exclusive task' : ''}${why}`,
      };
    }
    return {
      agent: winner,
      candidates: [...ranked(picked, primary?.skill), ...notes],
      summary: `offered to ${winner.id} (queue stage, ring ${task.ring})`,
    };
  }

  // ---------------------------------------------------------------- internals: views and explanations

  private decide(task: TaskState, now: number, candidates: readonly CandidateNote[], selectedAgentId: string, summary: string): Decision {
    return { at: now, stage: task.stage, ring: task.ring, requirements: task.requirements, candidates, selectedAgentId, summary };
  }

  private explanationOf(task: TaskState, decision: Decision | undefined, now: number): Explanation {
    const d = decision ?? this.decide(task, now, NO_CANDIDATES, '', WAITING_BEHIND);
    return {
      decidedAt: d.at,
      stage: d.stage,
      preferredAgentId: task.preferredAgentId,
      preference: task.preference,
      teamId: task.teamId,
      ring: d.ring,
      requirements: d.requirements,
      priority: this.breakdown(task, task.status === 'waiting' ? now : d.at),
      contextAvailable: task.sub.contextAvailable,
      candidates: d.candidates,
      selectedAgentId: d.selectedAgentId,
      summary: d.summary,
      trail: task.trailLines(),
      nextReviewAt: task.status === 'waiting' ? this.nextReviewOf(task, now) : undefined,
      policyVersion: this.policy.version,
      segmentIds: task.treatment.appliedSegmentIds,
    };
  }

  private nextReviewOf(task: TaskState, now: number): number | undefined {
    let at = task.stageUntil;
    if (task.excluded !== undefined) {
      for (const until of task.excluded.values()) if (until > now && (at === undefined || until < at)) at = until;
    }
    return at;
  }

  private breakdown(task: TaskState, now: number): PriorityBreakdown {
    const aging = this.effective(task, now) - task.base;
    return {
      queuePriority: task.queue.priority,
      priorityHint: task.sub.priorityHint,
      segmentBoost: task.treatment.priorityBoost,
      aging,
      effective: task.base + aging,
    };
  }

  private viewOf(t: TaskState, decision: Decision | undefined = t.decision): TaskView {
    return new LazyTaskView(t, decision, this.clock(), (task, d, now) => this.explanationOf(task, d, now));
  }

  private requireTask(id: string): TaskState {
    const t = this.tasks.get(id);
    if (!t) throw new TaskNotFoundError(id);
    return t;
  }

  private requireAgent(id: string): AgentState {
    const a = this.agents.get(id);
    if (!a) throw new AgentNotFoundError(id);
    return a;
  }

  private requireOpenOffer(task: TaskState, agentId: string, offerId: string): void {
    if (task.status !== 'offered' || task.agentId !== agentId || (offerId !== '' && offerId !== task.offerId)) {
      throw new OfferNotOpenError(task.id, agentId);
    }
  }
}

/** Checks a submission's channel against its queue's (used by the server's DryRun). */
export function checkChannel(queue: QueueDefinition, channel: ChannelId | undefined, field: string): void {
  if (channel !== undefined && channel !== queue.channel) throw new ChannelMismatchError(field, queue.channel);
}

/**
 * A task as of one moment. The explanation (trail formatted, priority computed) is built only
 * when read: most effects are persisted from the plain fields, and the engine's hot path stays
 * free of formatting.
 */
class LazyTaskView implements TaskView {
  readonly submission: TaskSubmission;
  readonly channel: ChannelId;
  readonly status: TaskView['status'];
  readonly agentId: string;
  readonly offerId: string;
  readonly offerCount: number;
  readonly offeredAt: number | undefined;
  readonly offerExpiresAt: number | undefined;
  readonly acceptedAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly outcome: TaskOutcome | undefined;
  readonly wrapUpCode: string;
  readonly basePriority: number;
  readonly preferredAgentId: string;
  readonly preference: PreferenceKind | undefined;
  private built: Explanation | undefined;

  constructor(
    private readonly task: TaskState,
    private readonly decision: Decision | undefined,
    private readonly at: number,
    private readonly build: (task: TaskState, d: Decision | undefined, now: number) => Explanation,
  ) {
    this.submission = task.sub;
    this.channel = task.channel;
    this.status = task.status;
    this.agentId = task.agentId;
    this.offerId = task.offerId;
    this.offerCount = task.offerCount;
    this.offeredAt = task.offeredAt;
    this.offerExpiresAt = task.offerExpiresAt;
    this.acceptedAt = task.acceptedAt;
    this.endedAt = task.endedAt;
    this.outcome = task.outcome;
    this.wrapUpCode = task.wrapUpCode;
    this.basePriority = task.base;
    this.preferredAgentId = task.preferredAgentId;
    this.preference = task.preference;
  }

  get explanation(): Explanation {
    // Built on first read. The trail is the task's as of that read (it only grows).
    return (this.built ??= this.build(this.task, this.decision, this.at));
  }
}

/** The capacity verdict for a pool's tasks, from the two computed per channel (override none or 1). */
function verdictFor(agent: AgentState, pool: Pool, shared: CapacityVerdict, exclusive: CapacityVerdict): CapacityVerdict {
  if (pool.overrideCap === Infinity) return shared;
  if (pool.overrideCap === 1) return exclusive;
  return agent.canTake(pool.channel, pool.overrideCap);
}

/** How many tasks of the task's pool come before it (for explanations only: walks the pool). */
function countAhead(task: TaskState): number {
  let n = 0;
  for (const other of task.pool?.heap.values() ?? []) if (other !== task && other.staticKey > task.staticKey) n++;
  return n;
}

function labelOf(kind: PreferenceKind | undefined): string {
  return kind === 'case_owner' ? 'case owner' : kind === 'last_agent' ? 'last agent' : kind === 'requested' ? 'requested agent' : 'preferred agent';
}

function outranks(a: TaskState, pa: number, b: TaskState, pb: number): boolean {
  return pa > pb || (pa === pb && (a.sub.submittedAt < b.sub.submittedAt || (a.sub.submittedAt === b.sub.submittedAt && a.seq < b.seq)));
}

function note(agent: AgentState, verdict: CandidateNote['verdict'], reason: string, detail: string, skill: string | undefined): CandidateNote {
  return { agentId: agent.id, verdict, reason, detail, proficiency: skill ? agent.proficiency(skill) : 0, idleSince: agent.idleSince };
}

/** The winner and runners-up with why the winner won over the first runner-up. */
function ranked(agents: readonly AgentState[], skill: string | undefined): CandidateNote[] {
  const [winner, ...rest] = agents;
  if (!winner) return [];
  const prof = (a: AgentState): number => (skill ? a.proficiency(skill) : 0);
  const first = rest[0];
  const byProficiency = first !== undefined && prof(first) < prof(winner);
  const out: CandidateNote[] = [
    note(
      winner,
      'selected',
      first === undefined ? 'ONLY_CANDIDATE' : byProficiency ? 'HIGHEST_PROFICIENCY' : 'LONGEST_IDLE',
      first === undefined
        ? 'the only eligible agent found'
        : byProficiency
          ? `proficiency ${prof(winner)} beats ${prof(first)}`
          : 'same proficiency; idle longest',
      skill,
    ),
  ];
  for (const r of rest) {
    const lower = prof(r) < prof(winner);
    out.push(note(r, 'ranked_lower', lower ? 'LOWER_PROFICIENCY' : 'IDLE_SHORTER', lower ? `proficiency ${prof(r)} < ${prof(winner)}` : 'idle for less time', skill));
  }
  return out;
}

function describe(reqs: readonly SkillRequirement[]): string {
  return reqs.length === 0 ? 'no particular skill' : reqs.map((r) => `${r.skill} >= ${r.minProficiency}`).join(', ');
}

function describeCapacity(agent: AgentState, channel: ChannelId): string {
  return `${channel} ${agent.active(channel)}/${agent.effectiveCapacity(channel)}, real-time load ${agent.realTimeLoad().toFixed(2)}`;
}
