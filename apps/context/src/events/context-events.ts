import { contextV1 } from '@continuum/contracts';
import { defineEvent, type Outbox } from '@continuum/events';
import type { StoreSession } from '@continuum/store';
import { channelSwitches, type Case, type JourneyChange, type JourneyInstance, type Touchpoint } from '../domain';
import { caseToWire, channels, journeyToWire, touchpointToEventWire } from '../mapping';

// The events the context service publishes (domain `context`), always through the outbox.

export const CONTEXT_DOMAIN = 'context';

const event = <P>(type: string, name: string, codec: Parameters<typeof defineEvent<P>>[0]['codec']) =>
  defineEvent<P>({ domain: CONTEXT_DOMAIN, type, payloadType: `continuum.context.v1.${name}`, codec });

export const TouchpointRecorded = event<contextV1.TouchpointRecordedEvent>('touchpoint_recorded', 'TouchpointRecordedEvent', contextV1.TouchpointRecordedEvent);
export const JourneyStepReached = event<contextV1.JourneyStepReachedEvent>('journey_step_reached', 'JourneyStepReachedEvent', contextV1.JourneyStepReachedEvent);
export const JourneyCompleted = event<contextV1.JourneyCompletedEvent>('journey_completed', 'JourneyCompletedEvent', contextV1.JourneyCompletedEvent);
export const JourneyAbandoned = event<contextV1.JourneyAbandonedEvent>('journey_abandoned', 'JourneyAbandonedEvent', contextV1.JourneyAbandonedEvent);
export const CaseOpened = event<contextV1.CaseOpenedEvent>('case_opened', 'CaseOpenedEvent', contextV1.CaseOpenedEvent);
export const CaseReassigned = event<contextV1.CaseReassignedEvent>('case_reassigned', 'CaseReassignedEvent', contextV1.CaseReassignedEvent);
export const CaseClosed = event<contextV1.CaseClosedEvent>('case_closed', 'CaseClosedEvent', contextV1.CaseClosedEvent);
export const ProfileDataErased = event<contextV1.ProfileDataErasedEvent>('profile_data_erased', 'ProfileDataErasedEvent', contextV1.ProfileDataErasedEvent);
export const ProfileContextChanged = event<contextV1.ProfileContextChangedEvent>('profile_context_changed', 'ProfileContextChangedEvent', contextV1.ProfileContextChangedEvent);

/**
 * The TouchpointRecorded event of a touchpoint. Fact values stay in this service (events carry keys
 * and sensitivity only), and so do summaries and attributes: free text typed by channels.
 */
export function touchpointRecordedPayload(t: Touchpoint, repeatedFactKeys: readonly string[]): contextV1.TouchpointRecordedEvent {
  return { touchpoint: touchpointToEventWire(t), repeatedFactKeys: [...repeatedFactKeys] };
}

/** Appends the event of one journey change to the outbox, in the caller's transaction. */
export async function appendJourneyEvent(outbox: Outbox, session: StoreSession, tenantId: string, change: JourneyChange, instance: JourneyInstance): Promise<void> {
  const journey = journeyToWire(instance);
  const base = { tenantId, subjectProfileId: instance.profileId };
  switch (change.kind) {
    case 'step_reached':
      await outbox.append(session, JourneyStepReached, {
        ...base,
        payload: { journey, stepId: change.stepId, previousStepId: change.previousStepId, channel: channels.wire(change.channel), touchpointId: change.touchpointId },
      });
      return;
    case 'completed':
      await outbox.append(session, JourneyCompleted, { ...base, payload: { journey, channelSwitches: channelSwitches(instance) } });
      return;
    case 'abandoned':
      await outbox.append(session, JourneyAbandoned, { ...base, payload: { journey, lastStepId: change.lastStepId } });
      return;
  }
}

export function casePayload(c: Case): contextV1.Case {
  return caseToWire(c);
}

