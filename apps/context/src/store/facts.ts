import { DuplicateKeyError, newId, type SessionOption, type StoreSession, type TenantScope } from '@continuum/store';
import { isNewerFact, type CapturedFact } from '../domain';
import { FACTS, strip, type FactDoc } from './collections';

/**
 * The facts view: the latest value per key for each origin profile. Reads combine every origin
 * under a profile (latest wins); merges move whole origins, so an unmerge splits them exactly.
 */
export class FactRepository {
  private readonly col;
  private readonly tenantId: string;

  constructor(scope: TenantScope) {
    this.col = scope.collection<FactDoc>(FACTS);
    this.tenantId = scope.tenantId;
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
   * in the same transaction (undefined: nothing stored). Returns the fact as now stored, or
   * `existing` when it stays.
   */
  async keepLatest(fact: CapturedFact, profileId: string, originProfileId: string, existing: FactDoc | undefined, session: StoreSession): Promise<FactDoc> {
    if (existing && !isNewerFact(fact, existing)) return existing;
    const fields = { ...fact, profileId, originProfileId };
    if (existing) {
      // Found by its id: no query on the (origin, key) index.
      await this.col.updateOne({ _id: existing._id }, { $set: fields }, { session });
      return { ...existing, ...fields };
    }
    // The caller read the facts under the owner it resolved; one of this origin may be stored under
    // another profile (a merge committed since). Look it up by the unique (origin, key) before
    // inserting: on MongoDB a duplicate-key insert aborts the transaction, and its retries would
    // fail the same way.
    const elsewhere = await this.col.findOne({ originProfileId, key: fact.key }, { session });
    if (elsewhere) return this.keepLatest(fact, profileId, originProfileId, elsewhere, session);
    const doc: FactDoc = { _id: newId(), tenantId: this.tenantId, ...fields };
    try {
      await this.col.insertOne(doc, { session });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      // Stored since the lookup by a concurrent transaction (MongoDB: the failed insert aborted
      // the transaction, this read fails and the transaction is retried, finding it then): compare
      // with that one and keep the newer, and return the stored document.
      const stored = await this.col.findOne({ originProfileId, key: fact.key }, { session });
      if (!stored) throw err;
      return this.keepLatest(fact, profileId, originProfileId, stored, session);
    }
    return doc;
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
