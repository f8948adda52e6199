import type { Touchpoint } from './types';

// The timeline is ordered by when things happened on the channel, not by when they reached us:
// a late arrival (an offline store visit synced hours later, a delayed email event) lands in place.

/** Sort order of a timeline: occurred_at, then touchpoint id so equal times have a stable order. */
export function compareTimeline(a: Pick<Touchpoint, 'occurredAt' | 'touchpointId'>, b: Pick<Touchpoint, 'occurredAt' | 'touchpointId'>): number {
  const dt = a.occurredAt.getTime() - b.occurredAt.getTime();
  if (dt !== 0) return dt;
  return a.touchpointId < b.touchpointId ? -1 : a.touchpointId > b.touchpointId ? 1 : 0;
}

/** Inserts a touchpoint into an ordered timeline (a copy), wherever its time puts it. */
export function insertInTimeline<T extends Pick<Touchpoint, 'occurredAt' | 'touchpointId'>>(timeline: readonly T[], t: T): T[] {
  let lo = 0;
  let hi = timeline.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const item = timeline[mid];
    if (item !== undefined && compareTimeline(item, t) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return [...timeline.slice(0, lo), t, ...timeline.slice(lo)];
}

/** The agent of the latest touchpoint a person handled, if any. */
export function lastAgent(timelineNewestFirst: readonly Touchpoint[]): { agentId: string; at: Date } | undefined {
  for (const t of timelineNewestFirst) {
    if (t.agentId) return { agentId: t.agentId, at: t.occurredAt };
  }
  return undefined;
}

/** Channels in the order of their first use along a timeline. */
export function channelsInOrder<C>(items: readonly { channel: C }[]): C[] {
  const seen: C[] = [];
  for (const item of items) if (!seen.includes(item.channel)) seen.push(item.channel);
  return seen;
}
