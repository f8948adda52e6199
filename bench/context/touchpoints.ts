import { commonV1, contextV1 } from '@continuum/contracts';

/**
 * The `i`-th new touchpoint of a benchmark run `run` for one of the seeded customers (`prf_<n>`):
 * a mix of channels, an intent for one in five, an agent for one in four, a fact for every other
 * one. `profileOf` picks the customer (default: round robin).
 */
export function benchTouchpoint(run: string, i: number, customers: number, profileOf: (i: number) => number = (n) => n): contextV1.Touchpoint {
  return contextV1.Touchpoint.fromPartial({
    touchpointId: `${run}-${i}`,
    profileId: `prf_${profileOf(i) % customers}`,
    channel: 1 + (i % 7),
    direction: commonV1.Direction.DIRECTION_INBOUND,
    occurredAt: new Date(),
    intent: i % 5 === 0 ? 'billing_question' : '',
    agentId: i % 4 === 0 ? `agent-${i % 50}` : '',
    summary: 'viewed a page',
    attributes: { page: `/help/${i % 30}` },
    facts: i % 2 === 0 ? [{ key: 'contact_reason', value: 'billing_question', sensitivity: 1 }] : [],
  });
}
