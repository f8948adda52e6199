import type { CapturedFact, JourneyDefinition, Touchpoint } from './types';

/** A fixed point in time for domain tests. */
export const T0 = new Date('2026-03-02T10:00:00.000Z');
export const MIN = 60_000;
export const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MIN);

export function touchpoint(id: string, minutes: number, over: Partial<Touchpoint> = {}): Touchpoint {
  return {
    touchpointId: id,
    profileId: 'prf_a',
    originProfileId: 'prf_a',
    channel: 'web',
    direction: 'inbound',
    occurredAt: at(minutes),
    recordedAt: at(minutes),
    facts: [],
    attributes: {},
    ...over,
  };
}

export function fact(key: string, value: string, minutes: number, over: Partial<CapturedFact> = {}): CapturedFact {
  return { key, value, sensitivity: 'normal', sourceChannel: 'web', capturedAt: at(minutes), touchpointId: `tp-${key}-${minutes}`, ...over };
}

export const returnItem: JourneyDefinition = {
  journeyDefinitionId: 'return-item',
  displayName: 'Return an item',
  steps: [
    { stepId: 'start', displayName: 'Started', action: '', actionDescription: '' },
    { stepId: 'label-printed', displayName: 'Label printed', action: 'offer_prepaid_label', actionDescription: 'Send the prepaid return label' },
    { stepId: 'parcel-dropped', displayName: 'Parcel dropped', action: 'share_drop_off_points', actionDescription: 'Show the nearest drop-off points' },
    { stepId: 'refunded', displayName: 'Refunded', action: 'issue_refund', actionDescription: 'Issue the refund' },
  ],
  completionStepId: 'refunded',
  abandonAfterMs: 60 * MIN,
  intent: 'return_item',
  version: 1,
  createTime: T0,
  updateTime: T0,
};
