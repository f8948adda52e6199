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
 */
import type { IdleNode, IdleRanked } from './idle-list';
import { REAL_TIME_CHANNELS, type AgentDefinition, type ChannelId, type Presence } from './model';

const EPSILON = 1e-9;

/** Why an agent cannot take one more task of a channel (undefined: it can). */
export type CapacityVerdict = undefined | 'CHANNEL_NOT_WORKED' | 'NO_CAPACITY' | 'REAL_TIME_BUDGET_FULL';

interface HeldTask {
  readonly channel: ChannelId;
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
  /** What the index holds it under now (`refresh` skips unchanged agents). */
  indexedSignature = '';
  private readonly held = new Map<string, HeldTask>();
  private readonly activeByChannel = new Map<ChannelId, number>();

  constructor(
    public def: AgentDefinition,
    readonly seq: number,
    now: number,
  ) {
    this.idleSince = now;
  }

  get id(): string {
    return this.def.id;
  }

  /** Offers go only to agents who are available, hold an offer stream, and are not draining. */
  get routable(): boolean {
    return this.presence === 'available' && this.connected && this.drainingFor === undefined;
  }

  proficiency(skill: string): number {
    return this.def.skills.get(skill) ?? 0;
  }

  get heldTaskIds(): IterableIterator<string> {
    return this.held.keys();
  }

  get heldCount(): number {
    return this.held.size;
  }

  active(channel: ChannelId): number {
    return this.activeByChannel.get(channel) ?? 0;
  }

  hold(taskId: string, channel: ChannelId, overrideCap: number): void {
    if (this.held.has(taskId)) return;
    this.held.set(taskId, { channel, overrideCap });
    this.activeByChannel.set(channel, this.active(channel) + 1);
  }

  release(taskId: string): boolean {
    const t = this.held.get(taskId);
    if (t === undefined) return false;
    this.held.delete(taskId);
    const left = this.active(t.channel) - 1;
    if (left > 0) this.activeByChannel.set(t.channel, left);
    else this.activeByChannel.delete(t.channel);
    return true;
  }

  /** The capacity of a channel that applies now: the definition's, lowered by held overrides. */
  effectiveCapacity(channel: ChannelId, extraOverride = Infinity): number {
    let cap = Math.min(this.def.capacity.get(channel) ?? 0, extraOverride);
    if (this.active(channel) > 0) {
      for (const t of this.held.values()) if (t.channel === channel && t.overrideCap < cap) cap = t.overrideCap;
    }
    return cap;
  }

  /** The share of the real-time budget in use, 0..1. */
  realTimeLoad(): number {
    let load = 0;
    for (const [channel, n] of this.activeByChannel) {
      if (REAL_TIME_CHANNELS.has(channel)) load += n / Math.max(1, this.effectiveCapacity(channel));
    }
    return load;
  }

  /**
   * Whether one more task of `channel` fits, with the task's own capacity override
   * (Infinity: none). Presence is not considered here.
   */
  canTake(channel: ChannelId, overrideCap = Infinity): CapacityVerdict {
    const defined = this.def.capacity.get(channel) ?? 0;
    if (defined <= 0) return 'CHANNEL_NOT_WORKED';
    const cap = this.effectiveCapacity(channel, overrideCap);
    const n = this.active(channel);
    if (n + 1 > cap) return 'NO_CAPACITY';
    if (REAL_TIME_CHANNELS.has(channel)) {
      let load = (n + 1) / cap;
      for (const [other, m] of this.activeByChannel) {
        if (other !== channel && REAL_TIME_CHANNELS.has(other)) load += m / Math.max(1, this.effectiveCapacity(other));
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
    if (!REAL_TIME_CHANNELS.has(channel)) return false;
    return Math.min(this.def.capacity.get(channel) ?? 0, overrideCap) === 1;
  }

  /** Per channel worked: active tasks and the capacity that applies now. */
  load(): { channel: ChannelId; active: number; effectiveMax: number }[] {
    return [...this.def.capacity.keys()].map((channel) => ({
      channel,
      active: this.active(channel),
      effectiveMax: this.effectiveCapacity(channel),
    }));
  }
}
