import type { SessionOption, StoreSession, TenantScope } from '@continuum/store';
import { isNewerFact, type CapturedFact } from '../domain';
import { FACTS, strip, type FactDoc } from './collections';

/**
 * The facts view: the latest value per key for each origin profile. Reads combine every origin
 * under a profile (latest wins); merges move whole origins, so an unmerge splits them exactly.
 */
export class FactRepository {
  private readonly col;

  constructor(scope: TenantScope) {
    this.col = scope.collection<FactDoc>(FACTS);
  }

  async forProfile(profileId: string, options?: SessionOption): Promise<FactDoc[]> {
    return this.col.find({ profileId }, options);
  }

  /** The stored facts of these keys for a profile (every origin under it). */
  async forKeys(profileId: string, keys: readonly string[], options?: SessionOption): Promise<FactDoc[]> {
    return this.col.find({ profileId, key: keys.length === 1 ? keys[0] : { $in: [...keys] } }, options);
  }

  /** The stored facts of these keys for several profiles (every origin under each), in one read. */
  async forProfilesAndKeys(profileIds: readonly string[], keys: readonly string[], options?: SessionOption): Promise<FactDoc[]> {
    if (profileIds.length === 0 || keys.length === 0) return [];
    const one = <T>(values: readonly T[]): T | { $in: T[] } => (values.length === 1 ? (values[0] as T) : { $in: [...values] });
    return this.col.find({ profileId: one(profileIds), key: one(keys) }, options);
  }

  /**
   * Keeps `fact` as the latest of its key for `originProfileId` unless a newer capture is already
   * stored (a late arrival must not overwrite newer knowledge). `existing` is what the caller read
   * in the same transaction.
   */
  async keepLatest(fact: CapturedFact, profileId: string, originProfileId: string, existing: FactDoc | undefined, session: StoreSession): Promise<void> {
    if (existing && !isNewerFact(fact, existing)) return;
    await this.col.updateOne(
      { originProfileId, key: fact.key },
      { $set: { ...fact, profileId, originProfileId } },
      { upsert: true, session },
    );
  }

  async move(from: string, origins: readonly string[], to: string, session: StoreSession): Promise<void> {
    await this.col.updateMany({ profileId: from, originProfileId: { $in: [...origins] } }, { $set: { profileId: to } }, { session });
  }

  async deleteForProfiles(profileIds: readonly string[], session: StoreSession): Promise<number> {
    const ids = [...profileIds];
    const r = await this.col.deleteMany({ $or: [{ profileId: { $in: ids } }, { originProfileId: { $in: ids } }] }, { session });
    return r.deletedCount;
  }
}

export type { FactDoc };
export const factFromDoc = (doc: FactDoc): CapturedFact => {
  const { profileId: _p, originProfileId: _o, ...fact } = strip(doc);
  return fact;
};
