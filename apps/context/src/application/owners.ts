import type { SessionOption } from '@continuum/store';
import type { ProfileDoc } from '../store/collections';
import type { TenantRepositories } from '../store/repositories';

/** Where a profile's records live now: itself, or the end of its merge chain. */
export interface Owner {
  /** The profile records are kept under. */
  readonly profileId: string;
  /** The read-model document of that profile, if any. */
  readonly doc: ProfileDoc | undefined;
  /** The profile was erased (itself or the profile it was merged into). */
  readonly erased: boolean;
}

const MAX_CHAIN = 16;

/** Follows merges from `profileId` to the profile that holds its records now. */
export async function resolveOwner(repos: TenantRepositories, profileId: string, options?: SessionOption): Promise<Owner> {
  let doc = await repos.profiles.get(profileId, options);
  let current = profileId;
  for (let hops = 0; doc?.mergedIntoProfileId && hops < MAX_CHAIN; hops++) {
    current = doc.mergedIntoProfileId;
    doc = await repos.profiles.get(current, options);
  }
  return { profileId: current, doc, erased: doc?.erased === true };
}

/** `resolveOwner` for many profiles at once: one read per merge hop instead of one per profile. */
export async function resolveOwners(repos: TenantRepositories, profileIds: readonly string[], options?: SessionOption): Promise<Map<string, Owner>> {
  const docs = new Map<string, ProfileDoc>();
  let wanted = [...new Set(profileIds)];
  for (let hops = 0; wanted.length > 0 && hops <= MAX_CHAIN; hops++) {
    for (const doc of await repos.profiles.getMany(wanted, options)) docs.set(doc.profileId, doc);
    // The next hop reads the merge targets not read yet.
    wanted = [...new Set(wanted.flatMap((id) => docs.get(id)?.mergedIntoProfileId ?? []))].filter((id) => !docs.has(id));
  }
  const owners = new Map<string, Owner>();
  for (const profileId of new Set(profileIds)) {
    let current = profileId;
    let doc = docs.get(current);
    for (let hops = 0; doc?.mergedIntoProfileId && hops < MAX_CHAIN; hops++) {
      current = doc.mergedIntoProfileId;
      doc = docs.get(current);
    }
    owners.set(profileId, { profileId: current, doc, erased: doc?.erased === true });
  }
  return owners;
}
