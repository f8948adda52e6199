import { identityV1 } from '@continuum/contracts';
import { defineEvent, outgoing, type EventType, type Outbox } from '@continuum/events';
import type { StoreSession } from '@continuum/store';
import type { DomainEvent } from '../domain';
import { identifierToProto, mergeToProto, profileToProto } from '../mapping';

/** The event types identity publishes (domain `identity`); consumers declare the same ones. */
export const IdentityEvents = {
  profileCreated: defineEvent({
    domain: 'identity',
    type: 'profile_created',
    payloadType: 'continuum.identity.v1.ProfileCreatedEvent',
    codec: identityV1.ProfileCreatedEvent,
  }),
  identifiersLinked: defineEvent({
    domain: 'identity',
    type: 'identifiers_linked',
    payloadType: 'continuum.identity.v1.IdentifiersLinkedEvent',
    codec: identityV1.IdentifiersLinkedEvent,
  }),
  traitsChanged: defineEvent({
    domain: 'identity',
    type: 'traits_changed',
    payloadType: 'continuum.identity.v1.TraitsChangedEvent',
    codec: identityV1.TraitsChangedEvent,
  }),
  profilesMerged: defineEvent({
    domain: 'identity',
    type: 'profiles_merged',
    payloadType: 'continuum.identity.v1.ProfilesMergedEvent',
    codec: identityV1.ProfilesMergedEvent,
  }),
  profilesUnmerged: defineEvent({
    domain: 'identity',
    type: 'profiles_unmerged',
    payloadType: 'continuum.identity.v1.ProfilesUnmergedEvent',
    codec: identityV1.ProfilesUnmergedEvent,
  }),
  segmentMembershipChanged: defineEvent({
    domain: 'identity',
    type: 'segment_membership_changed',
    payloadType: 'continuum.identity.v1.SegmentMembershipChangedEvent',
    codec: identityV1.SegmentMembershipChangedEvent,
  }),
  profileErased: defineEvent({
    domain: 'identity',
    type: 'profile_erased',
    payloadType: 'continuum.identity.v1.ProfileErasedEvent',
    codec: identityV1.ProfileErasedEvent,
  }),
} as const;

/** The stream domain identity publishes to. */
export const IDENTITY_DOMAIN = 'identity';

type Appended = { type: EventType<unknown>; subject: string; payload: unknown };

/** The wire form of one domain event: its type, the profile it is about and its payload. */
function toOutgoing(event: DomainEvent): Appended {
  switch (event.type) {
    case 'profile_created':
      return { type: IdentityEvents.profileCreated as EventType<unknown>, subject: event.profile.id, payload: { profile: profileToProto(event.profile) } };
    case 'identifiers_linked':
      return {
        type: IdentityEvents.identifiersLinked as EventType<unknown>,
        subject: event.profileId,
        payload: { profileId: event.profileId, identifiers: event.identifiers.map(identifierToProto), version: event.version },
      };
    case 'traits_changed':
      return {
        type: IdentityEvents.traitsChanged as EventType<unknown>,
        subject: event.profileId,
        payload: { profileId: event.profileId, traits: event.traits, changedTraits: [...event.changed], version: event.version },
      };
    case 'profiles_merged':
      return {
        type: IdentityEvents.profilesMerged as EventType<unknown>,
        subject: event.record.survivorId,
        payload: { merge: mergeToProto(event.record), survivingProfile: profileToProto(event.survivor) },
      };
    case 'profiles_unmerged':
      return {
        type: IdentityEvents.profilesUnmerged as EventType<unknown>,
        subject: event.record.survivorId,
        payload: { merge: mergeToProto(event.record), survivingProfile: profileToProto(event.survivor), restoredProfile: profileToProto(event.restored) },
      };
    case 'segment_membership_changed':
      return {
        type: IdentityEvents.segmentMembershipChanged as EventType<unknown>,
        subject: event.profileId,
        payload: { profileId: event.profileId, enteredSegmentIds: [...event.entered], leftSegmentIds: [...event.left], segmentIds: [...event.segmentIds] },
      };
    case 'profile_erased':
      return {
        type: IdentityEvents.profileErased as EventType<unknown>,
        subject: event.profileId,
        payload: { profileId: event.profileId, mergedProfileIds: [...event.mergedProfileIds], privacyRequestId: event.privacyRequestId },
      };
  }
}

/**
 * Appends the events of a change to the outbox, in the transaction of the change, in the order
 * the domain produced them (events of one profile are delivered in that order).
 */
export async function appendEvents(outbox: Outbox, session: StoreSession, tenantId: string, events: readonly DomainEvent[]): Promise<void> {
  await outbox.appendAll(
    session,
    events.map((event) => {
      const out = toOutgoing(event);
      return outgoing(out.type, { tenantId, subjectProfileId: out.subject, payload: out.type.codec.fromPartial(out.payload) });
    }),
  );
}
