/**
 * The index of agents who can take work now, so that a decision looks only at the best-ranked
 * agents and never at every agent.
 *
 * An agent who is routable (available, connected, not draining) sits, for every channel it has
 * room on and every skill it has, in the list (channel, skill, proficiency level, tier), ordered
 * by longest idle. Tier `free` holds agents who could take an exclusive task of the channel (its
 * real-time budget is empty); tier `partial` those with room for an ordinary task only. A search
 * walks the levels from 10 down to the minimum and, within a level, merges the two tiers by idle
 * time: the first agent that passes the remaining checks is the best one (highest proficiency in
 * the primary skill, then longest idle). Tasks without skills use the pseudo skill `*`.
 * The same agents are also listed per (team, channel) for the team stage.
 */
import type { AgentState } from './agent-state';
import { IdleList } from './idle-list';
import type { ChannelId } from './model';

/** The pseudo skill every agent has at level 10: the index of tasks that require no skill. */
export const ANY_SKILL = '*';
export const MAX_LEVEL = 10;

export interface Tiers {
  readonly free: IdleList<AgentState>;
  readonly partial: IdleList<AgentState>;
}

const newTiers = (): Tiers => ({ free: new IdleList(), partial: new IdleList() });

export class AgentIndex {
  private readonly bySkill = new Map<ChannelId, Map<string, (Tiers | undefined)[]>>();
  private readonly byTeam = new Map<string, Map<ChannelId, Tiers>>();

  /** Agents listed under the given channel, skill and exact level (undefined: none ever). */
  tiers(channel: ChannelId, skill: string, level: number): Tiers | undefined {
    return this.bySkill.get(channel)?.get(skill)?.[level];
  }

  teamTiers(teamId: string, channel: ChannelId): Tiers | undefined {
    return this.byTeam.get(teamId)?.get(channel);
  }

  /**
   * Puts the agent where it belongs now. Cheap when nothing changed (same idle time, same room):
   * call it after every change of presence, connection, held tasks or definition (`force`).
   */
  refresh(agent: AgentState, force = false): void {
    // Per channel worked, 2 bits: 0 no room, 1 partial, 2 free. Not routable: -1.
    const channels = agent.channels;
    let tiers = 0;
    if (agent.routable) {
      for (let i = 0; i < channels.length; i++) {
        const tier = this.tierOf(agent, channels[i] as ChannelId);
        tiers |= (tier === undefined ? 0 : tier === 'partial' ? 1 : 2) << (2 * i);
      }
    } else {
      tiers = -1;
    }
    if (!force && tiers === agent.indexedTiers && (agent.idleSince === agent.indexedIdleSince || tiers <= 0)) return;
    this.removeAll(agent);
    agent.indexedTiers = tiers;
    agent.indexedIdleSince = agent.idleSince;
    if (tiers === -1) return;
    const names = agent.skillNames;
    const levels = agent.skillLevels;
    for (let i = 0; i < channels.length; i++) {
      const code = (tiers >> (2 * i)) & 3;
      if (code === 0) continue;
      const channel = channels[i] as ChannelId;
      const tier: keyof Tiers = code === 1 ? 'partial' : 'free';
      const skills = this.skillMap(channel);
      for (let k = 0; k < names.length; k++) this.add(agent, skills, names[k] as string, levels[k] as number, tier);
      this.add(agent, skills, ANY_SKILL, MAX_LEVEL, tier);
      if (agent.def.teamId !== '') {
        let teams = this.byTeam.get(agent.def.teamId);
        if (!teams) this.byTeam.set(agent.def.teamId, (teams = new Map()));
        let t = teams.get(channel);
        if (!t) teams.set(channel, (t = newTiers()));
        agent.nodes.push(t[tier].insert(agent));
      }
    }
  }

  /** Takes the agent out of every list (it left, or was deleted). */
  removeAll(agent: AgentState): void {
    for (const node of agent.nodes) node.list.remove(node);
    agent.nodes = [];
    agent.indexedTiers = -1;
    agent.indexedIdleSince = NaN;
  }

  private tierOf(agent: AgentState, channel: ChannelId): keyof Tiers | undefined {
    if (agent.canTake(channel) !== undefined) return undefined;
    return agent.canTake(channel, 1) === undefined ? 'free' : 'partial';
  }

  private skillMap(channel: ChannelId): Map<string, (Tiers | undefined)[]> {
    let m = this.bySkill.get(channel);
    if (!m) this.bySkill.set(channel, (m = new Map()));
    return m;
  }

  private add(
    agent: AgentState,
    skills: Map<string, (Tiers | undefined)[]>,
    skill: string,
    level: number,
    tier: keyof Tiers,
  ): void {
    let levels = skills.get(skill);
    if (!levels) skills.set(skill, (levels = new Array<Tiers | undefined>(MAX_LEVEL + 1).fill(undefined)));
    let t = levels[level];
    if (!t) levels[level] = t = newTiers();
    agent.nodes.push(t[tier].insert(agent));
  }
}

/**
 * Walks two idle-ordered lists as one (longest idle first). `freeOnly` skips the partial tier
 * (exclusive tasks need an agent whose real-time budget is empty).
 */
export function* mergedByIdle(tiers: Tiers, freeOnly: boolean): Generator<AgentState> {
  let a = tiers.free.head;
  let b = freeOnly ? undefined : tiers.partial.head;
  while (a || b) {
    if (a && (!b || a.agent.idleSince < b.agent.idleSince || (a.agent.idleSince === b.agent.idleSince && a.agent.seq < b.agent.seq))) {
      yield a.agent;
      a = a.next;
    } else if (b) {
      yield b.agent;
      b = b.next;
    }
  }
}
