/**
 * One agent as the engine sees it: definition, presence, connection, the tasks it holds, and the
 * capacity rule for blended agents.
 *
 * Capacity across channels:
 * - Per channel: at most `capacity[channel]` tasks, lowered while a task with a segment capacity
 *   override is active (a VIP chat with override 1 leaves room for no other chat).
 * - Real-time channels (voice, video, chat, store) share one budget of 1: each task takes
 *   1/effective-capacity of it. A call (1/1) excludes chats; two of three chats (2/3) leave room
 *   for a third chat but not for a call.
 * - Asynchronous channels (email, SMS, messaging, social, web, app) fill the gaps: they are offered
 *   while the real-time budget is not full, and never count against it.
 *
 * Counts are kept in small arrays indexed by channel: these checks run for every candidate of
 * every decision.
 */
import type { IdleNode, IdleRanked } from './idle-list';
import { CHANNEL_INDEX, CHANNELS, REAL_TIME_CHANNELS, type AgentDefinition, type ChannelId, type Presence } from './model';

const EPSILON = 1e-9;
const REAL_TIME = CHANNELS.map((c) => REAL_TIME_CHANNELS.has(c));
const REAL_TIME_INDEXES = CHANNELS.flatMap((c, i) => (REAL_TIME_CHANNELS.has(c) ? [i] : []));

/** Why an agent cannot take one more task of a channel (undefined: it can). */
export type CapacityVerdict = undefined | 'CHANNEL_NOT_WORKED' | 'NO_CAPACITY' | 'REAL_TIME_BUDGET_FULL';

interface HeldTask {
  readonly channel: number;
  /** The segment capacity override that applies while it is held (Infinity: none). */
  readonly overrideCap: number;
}

export class AgentState implements IdleRanked {
  presence: Presence = 'offline';
  connected = false;
  /** Since when the agent counts as idle for the longest-idle tie-break: last offer, or last became free. */
  idleSince: number;
  /** The waiting task this agent stopped taking other work for (draining towards a free budget). */
  drainingFor: string | undefined = undefined;
  /** Index membership, so that a refresh can remove it in O(1) per node. */
  nodes: IdleNode<AgentState>[] = [];
  /** What the index holds it under now (`refresh` skips unchanged agents): room per channel, idle time. */
  indexedTiers = -1;
  indexedIdleSince = NaN;

  /** From the definition: channels worked (capacity > 0) and their capacities; skills and levels. */
  channels: ChannelId[] = [];
  skillNames: string[] = [];
  skillLevels: number[] = [];
  private readonly capacity = new Float64Array(CHANNELS.length);
  private readonly activeCount = new Int32Array(CHANNELS.length);
  private readonly held = new Map<string, HeldTask>();
  /** Held tasks with a capacity override (the only case where effective capacity needs a scan). */
  private overridesHeld = 0;
  private definition!: AgentDefinition;

  constructor(
    def: AgentDefinition,
    readonly seq: number,
    now: number,
  ) {
    this.def = def;
    this.idleSince = now;
  }

  get def(): AgentDefinition {
    return this.definition;
  }

  set def(def: AgentDefinition) {
    this.definition = def;
    this.capacity.fill(0);
    this.channels = [];
    for (const [channel, cap] of def.capacity) {
      if (cap <= 0) continue;
      this.capacity[CHANNEL_INDEX[channel]] = cap;
      this.channels.push(channel);
    }
    this.skillNames = [...def.skills.keys()];
    this.skillLevels = [...def.skills.values()];
  }

  get id(): string {
    return this.definition.id;
  }

  /** Offers go only to agents who are available, hold an offer stream, and are not draining. */
  get routable(): boolean {
    return this.presence === 'available' && this.connected && this.drainingFor === undefined;
  }

  proficiency(skill: string): number {
    return this.definition.skills.get(skill) ?? 0;
  }

  get heldTaskIds(): IterableIterator<string> {
    return this.held.keys();
  }

  get heldCount(): number {
    return this.held.size;
  }

  active(channel: ChannelId): number {
    return this.activeCount[CHANNEL_INDEX[channel]] as number;
  }

  hold(taskId: string, channel: ChannelId, overrideCap: number): void {
    if (this.held.has(taskId)) return;
    const c = CHANNEL_INDEX[channel];
    this.held.set(taskId, { channel: c, overrideCap });
    (this.activeCount[c] as number)++;
    if (overrideCap !== Infinity) this.overridesHeld++;
  }

  release(taskId: string): boolean {
    const t = this.held.get(taskId);
    if (t === undefined) return false;
    this.held.delete(taskId);
    (this.activeCount[t.channel] as number)--;
    if (t.overrideCap !== Infinity) this.overridesHeld--;
    return true;
  }

  /** The capacity of a channel that applies now: the definition's, lowered by held overrides. */
  effectiveCapacity(channel: ChannelId, extraOverride = Infinity): number {
    return this.capacityAt(CHANNEL_INDEX[channel], extraOverride);
  }

  private capacityAt(c: number, extraOverride: number): number {
    let cap = Math.min(this.capacity[c] as number, extraOverride);
    if (this.overridesHeld > 0 && (this.activeCount[c] as number) > 0) {
      for (const t of this.held.values()) if (t.channel === c && t.overrideCap < cap) cap = t.overrideCap;
    }
    return cap;
  }

  /** The share of the real-time budget in use, 0..1. */
  realTimeLoad(): number {
    let load = 0;
    for (const c of REAL_TIME_INDEXES) {
      const n = this.activeCount[c] as number;
      if (n > 0) load += n / Math.max(1, this.capacityAt(c, Infinity));
    }
    return load;
  }

  /**
   * Whether one more task of `channel` fits, with the task's own capacity override
   * (Infinity: none). Presence is not considered here.
   */
  canTake(channel: ChannelId, overrideCap = Infinity): CapacityVerdict {
    const c = CHANNEL_INDEX[channel];
    if ((this.capacity[c] as number) <= 0) return 'CHANNEL_NOT_WORKED';
    const cap = this.capacityAt(c, overrideCap);
    const n = this.activeCount[c] as number;
    if (n + 1 > cap) return 'NO_CAPACITY';
    if (REAL_TIME[c]) {
      let load = (n + 1) / cap;
      for (const o of REAL_TIME_INDEXES) {
        const m = this.activeCount[o] as number;
        if (o !== c && m > 0) load += m / Math.max(1, this.capacityAt(o, Infinity));
      }
      return load <= 1 + EPSILON ? undefined : 'REAL_TIME_BUDGET_FULL';
    }
    return this.realTimeLoad() < 1 - EPSILON ? undefined : 'REAL_TIME_BUDGET_FULL';
  }

  /**
   * Whether a task of this channel takes the agent's whole real-time budget (a call, an
   * exclusive VIP chat) and could be taken once the agent is free of real-time work: the case
   * for draining, where the agent stops taking new work so that the task is not held off forever
   * by a steady stream of smaller tasks.
   */
  needsWholeBudget(channel: ChannelId, overrideCap = Infinity): boolean {
    const c = CHANNEL_INDEX[channel];
    return REAL_TIME[c] === true && Math.min(this.capacity[c] as number, overrideCap) === 1;
  }

  /** Per channel worked: active tasks and the capacity that applies now. */
  load(): { channel: ChannelId; active: number; effectiveMax: number }[] {
    return this.channels.map((channel) => ({
      channel,
      active: this.active(channel),
      effectiveMax: this.effectiveCapacity(channel),
    }));
  }
}
