import { channelsInOrder, compareTimeline, insertInTimeline, lastAgent } from './timeline';
import { touchpoint } from './test-data.test-util';

describe('timeline', () => {
  it('places a late arrival by when it happened, not when it arrived', () => {
    let timeline = [touchpoint('a', 0), touchpoint('c', 10)];
    timeline = insertInTimeline(timeline, touchpoint('late', 5, { recordedAt: new Date('2030-01-01') }));
    timeline = insertInTimeline(timeline, touchpoint('earliest', -3));
    expect(timeline.map((t) => t.touchpointId)).toEqual(['earliest', 'a', 'late', 'c']);
  });

  it('orders equal times by touchpoint id so the order is stable', () => {
    const sorted = [touchpoint('b', 1), touchpoint('a', 1)].sort(compareTimeline);
    expect(sorted.map((t) => t.touchpointId)).toEqual(['a', 'b']);
  });

  it('finds the last agent among newest-first touchpoints', () => {
    const newestFirst = [touchpoint('3', 3), touchpoint('2', 2, { agentId: 'agent-chen' }), touchpoint('1', 1, { agentId: 'agent-old' })];
    expect(lastAgent(newestFirst)).toEqual({ agentId: 'agent-chen', at: newestFirst[1]?.occurredAt });
    expect(lastAgent([touchpoint('1', 1)])).toBeUndefined();
  });

  it('lists channels in order of first use', () => {
    expect(channelsInOrder([{ channel: 'web' }, { channel: 'voice' }, { channel: 'web' }, { channel: 'chat' }])).toEqual(['web', 'voice', 'chat']);
  });
});
