import { identityV1 } from '@continuum/contracts';
import { defineEvent } from '@continuum/events';

// The identity events this service consumes, declared here from the shared protos (apps never
// import each other; the proto is the contract).

export const IDENTITY_DOMAIN = 'identity';

const event = <P>(type: string, name: string, codec: Parameters<typeof defineEvent<P>>[0]['codec']) =>
  defineEvent<P>({ domain: IDENTITY_DOMAIN, type, payloadType: `continuum.identity.v1.${name}`, codec });

export const ProfileCreated = event<identityV1.ProfileCreatedEvent>('profile_created', 'ProfileCreatedEvent', identityV1.ProfileCreatedEvent);
export const IdentifiersLinked = event<identityV1.IdentifiersLinkedEvent>('identifiers_linked', 'IdentifiersLinkedEvent', identityV1.IdentifiersLinkedEvent);
export const TraitsChanged = event<identityV1.TraitsChangedEvent>('traits_changed', 'TraitsChangedEvent', identityV1.TraitsChangedEvent);
export const ProfilesMerged = event<identityV1.ProfilesMergedEvent>('profiles_merged', 'ProfilesMergedEvent', identityV1.ProfilesMergedEvent);
export const ProfilesUnmerged = event<identityV1.ProfilesUnmergedEvent>('profiles_unmerged', 'ProfilesUnmergedEvent', identityV1.ProfilesUnmergedEvent);
export const SegmentMembershipChanged = event<identityV1.SegmentMembershipChangedEvent>('segment_membership_changed', 'SegmentMembershipChangedEvent', identityV1.SegmentMembershipChangedEvent);
export const ProfileErased = event<identityV1.ProfileErasedEvent>('profile_erased', 'ProfileErasedEvent', identityV1.ProfileErasedEvent);

/** Every identity event type the projection applies. */
export const IDENTITY_EVENT_TYPES = [ProfileCreated, IdentifiersLinked, TraitsChanged, ProfilesMerged, ProfilesUnmerged, SegmentMembershipChanged, ProfileErased] as const;
