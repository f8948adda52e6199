import type { IdentifierState, MergeRecordState, ProfileState, Traits } from './types';

/**
 * The facts the identity domain reports about a change. The events layer turns each into its
 * proto payload and appends it to the outbox in the transaction of the change.
 */
export type DomainEvent =
  | { readonly type: 'profile_created'; readonly profile: ProfileState }
  | { readonly type: 'identifiers_linked'; readonly profileId: string; readonly identifiers: readonly IdentifierState[]; readonly version: number }
  | { readonly type: 'traits_changed'; readonly profileId: string; readonly traits: Traits; readonly changed: readonly string[]; readonly version: number }
  | { readonly type: 'profiles_merged'; readonly record: MergeRecordState; readonly survivor: ProfileState }
  | { readonly type: 'profiles_unmerged'; readonly record: MergeRecordState; readonly survivor: ProfileState; readonly restored: ProfileState }
  | {
      readonly type: 'segment_membership_changed';
      readonly profileId: string;
      readonly entered: readonly string[];
      readonly left: readonly string[];
      readonly segmentIds: readonly string[];
    }
  | { readonly type: 'profile_erased'; readonly profileId: string; readonly mergedProfileIds: readonly string[]; readonly privacyRequestId: string };
