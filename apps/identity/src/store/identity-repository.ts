import { IDEMPOTENCY_WINDOW_SEC } from '@continuum/kit';
import type { DocumentStore, Filter, Page, StoreSession, TenantCollection, TenantScope } from '@continuum/store';
import {
  conditionFilter,
  type ChangeSet,
  type MergePolicy,
  type MergeRecordState,
  type ProfileState,
  type SegmentCondition,
  type SegmentDefinition,
} from '../domain';
import {
  COLLECTIONS,
  mergeFromDocument,
  mergeToDocument,
  policyFromDocument,
  profileFromDocument,
  profileToDocument,
  segmentFromDocument,
  type MergeDocument,
  type PolicyDocument,
  type ProfileDocument,
  type RequestDocument,
  type SegmentDocument,
} from './documents';


/** Thrown when a profile changed between the read a decision was based on and the write: the caller retries the whole operation. */
export class StaleProfileError extends Error {
  constructor(readonly profileId: string) {
    super('the profile changed concurrently');
    this.name = 'StaleProfileError';
  }
}

/** How many merges a read follows to find the survivor (chains are short; this only stops a corrupt loop). */
const MAX_REDIRECTS = 32;

/** Declares the identity collections and their indexes (tenant first, added by the store). Idempotent. */
export async function defineIdentityCollections(store: DocumentStore): Promise<void> {
  await store.defineCollection(COLLECTIONS.profiles, [
    // One identifier on one profile per tenant, also against concurrent writers.
    { key: { 'identifiers.key': 1 }, name: 'identifier_key_unique', unique: true, sparse: true },
    // Sparse: the many profiles in no segment stay out of the index.
    { key: { segmentIds: 1 }, name: 'segment_ids', sparse: true },
    { key: { mergedInto: 1 }, name: 'merged_into', sparse: true },
  ]);
  await store.defineCollection(COLLECTIONS.merges, [{ key: { profileIds: 1, mergeTime: -1 }, name: 'profile_ids_time' }]);
  await store.defineCollection(COLLECTIONS.segments, [{ key: { segmentId: 1 }, name: 'segment_id_unique', unique: true }]);
  await store.defineCollection(COLLECTIONS.policies, [{ key: { name: 1 }, name: 'name_unique', unique: true }]);
  await store.defineCollection(
    COLLECTIONS.requests,
    [
      { key: { requestKey: 1 }, name: 'request_key_unique', unique: true },
      { key: { profileIds: 1 }, name: 'profile_ids' },
    ],
    // A retry is answered from the stored first answer for a day; then the record is gone.
    { expireAfter: { field: 'createdAt', seconds: IDEMPOTENCY_WINDOW_SEC } },
  );
}

/** A stored answer's bytes as the request document keeps them (without copying them first). */
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

const opts = (session: StoreSession | undefined) => (session ? { session } : {});

/** The identity data of one tenant. Every read and write is scoped to that tenant by the store. */
export class TenantRepository {
  private readonly profiles: TenantCollection<ProfileDocument>;
  private readonly merges: TenantCollection<MergeDocument>;
  private readonly segments: TenantCollection<SegmentDocument>;
  private readonly policies: TenantCollection<PolicyDocument>;
  private readonly requests: TenantCollection<RequestDocument>;

  constructor(readonly scope: TenantScope) {
    this.profiles = scope.collection(COLLECTIONS.profiles);
    this.merges = scope.collection(COLLECTIONS.merges);
    this.segments = scope.collection(COLLECTIONS.segments);
    this.policies = scope.collection(COLLECTIONS.policies);
    this.requests = scope.collection(COLLECTIONS.requests);
  }

  // ---- profiles ---------------------------------------------------------------------------------

  /** The profile holding each of `keys` (keys nobody holds are absent). */
  async findHolders(keys: readonly string[], session?: StoreSession): Promise<Map<string, ProfileState>> {
    const holders = new Map<string, ProfileState>();
    if (keys.length === 0) return holders;
    const docs = await this.profiles.find({ 'identifiers.key': keys.length === 1 ? keys[0] : { $in: keys } }, opts(session));
    const wanted = new Set(keys);
    for (const doc of docs) {
      const profile = profileFromDocument(doc);
      for (const identifier of doc.identifiers) if (wanted.has(identifier.key)) holders.set(identifier.key, profile);
    }
    return holders;
  }

  async getProfile(id: string, session?: StoreSession): Promise<ProfileState | null> {
    const doc = await this.profiles.findOne({ _id: id }, opts(session));
    return doc ? profileFromDocument(doc) : null;
  }

  /** The live profile an id stands for: itself, or the survivor it was merged into. */
  async getLiveProfile(id: string, session?: StoreSession): Promise<{ profile: ProfileState; redirected: boolean } | null> {
    let current = await this.getProfile(id, session);
    for (let hops = 0; current?.mergedInto !== undefined && hops < MAX_REDIRECTS; hops++) {
      current = await this.getProfile(current.mergedInto, session);
    }
    if (!current || current.mergedInto !== undefined) return null;
    return { profile: current, redirected: current.id !== id };
  }

  /** The live profile each of `ids` stands for (as `getLiveProfile`), the ids read in one query; null when not found. */
  async getLiveProfiles(ids: readonly string[]): Promise<Map<string, ProfileState | null>> {
    const docs = await this.profiles.find({ _id: { $in: [...new Set(ids)] } });
    const byId = new Map(docs.map((d) => [d._id, profileFromDocument(d)]));
    const live = new Map<string, ProfileState | null>();
    for (const id of ids) {
      const profile = byId.get(id);
      if (profile?.mergedInto === undefined) live.set(id, profile ?? null);
      else live.set(id, (await this.getLiveProfile(profile.mergedInto))?.profile ?? null);
    }
    return live;
  }

  /** Ids of the profiles merged into `id`, directly or through others, that are still merged. */
  async mergedInto(id: string, session?: StoreSession): Promise<string[]> {
    const found = new Set<string>();
    let frontier = [id];
    while (frontier.length > 0 && found.size < 10_000) {
      const docs = await this.profiles.find({ mergedInto: frontier.length === 1 ? frontier[0] : { $in: frontier } }, { ...opts(session), projection: { _id: 1 } });
      frontier = docs.map((d) => d._id).filter((d) => !found.has(d));
      for (const d of frontier) found.add(d);
    }
    return [...found];
  }

  /** Live profiles matching a trait condition or in a segment, ordered by id. */
  async searchProfiles(query: { condition: SegmentCondition } | { segmentId: string }, page: { pageSize: number; pageToken: string }): Promise<Page<ProfileState>> {
    const filter: Filter = 'condition' in query ? { ...conditionFilter(query.condition, 'traits'), mergedInto: { $exists: false } } : { segmentIds: query.segmentId };
    const result = await this.profiles.findPage(filter, { _id: 1 }, { pageSize: page.pageSize, pageToken: page.pageToken, maxPageSize: 500 });
    return { items: result.items.map(profileFromDocument), nextPageToken: result.nextPageToken };
  }

  /** Live profiles after `afterId`, by id: for re-evaluating segments over the whole tenant. */
  async profilesAfter(afterId: string, limit: number, session?: StoreSession): Promise<ProfileState[]> {
    const docs = await this.profiles.find(
      { ...(afterId === '' ? {} : { _id: { $gt: afterId } }), mergedInto: { $exists: false } },
      { ...opts(session), sort: { _id: 1 }, limit },
    );
    return docs.map(profileFromDocument);
  }

  /** Up to `limit` live members of a segment (for removing a deleted segment from them). */
  async membersOf(segmentId: string, limit: number, session?: StoreSession): Promise<ProfileState[]> {
    const docs = await this.profiles.find({ segmentIds: segmentId }, { ...opts(session), limit });
    return docs.map(profileFromDocument);
  }

  async countMembers(segmentId: string, session?: StoreSession): Promise<number> {
    return this.profiles.countDocuments({ segmentIds: segmentId }, opts(session));
  }

  /**
   * Applies a change set in the caller's transaction. Profiles are written with a version check
   * (StaleProfileError when another writer got there first), those giving up identifiers before
   * those taking them (the unique key index checks every single write).
   */
  async apply(changes: ChangeSet, session: StoreSession): Promise<void> {
    const gains = (u: { before: ProfileState; after: ProfileState }) => {
      const had = new Set(u.before.identifiers.map((i) => i.key));
      return u.after.identifiers.some((i) => !had.has(i.key)) ? 1 : 0;
    };
    for (const u of [...changes.updated].sort((a, b) => gains(a) - gains(b))) {
      const { _id, ...doc } = profileToDocument(u.after);
      const update: Record<string, unknown> = { $set: doc };
      const unset: Record<string, ''> = {};
      if (doc.segmentIds === undefined) unset['segmentIds'] = '';
      if (doc.mergedInto === undefined) unset['mergedInto'] = '';
      if (Object.keys(unset).length > 0) update['$unset'] = unset;
      const result = await this.profiles.updateOne({ _id, version: u.before.version }, update, { session });
      if (result.matchedCount === 0) throw new StaleProfileError(_id);
    }
    if (changes.created.length > 0) await this.profiles.insertMany(changes.created.map(profileToDocument), { session });
    for (const m of changes.mergesCreated) await this.merges.insertOne(mergeToDocument(m), { session });
    for (const m of changes.mergesUpdated) {
      const { _id, ...doc } = mergeToDocument(m);
      await this.merges.replaceOne({ _id }, { _id, ...doc }, { session });
    }
  }

  /** Deletes profiles, their merge records and the stored answers that mention them. */
  async deleteProfiles(ids: readonly string[], session: StoreSession): Promise<void> {
    await this.profiles.deleteMany({ _id: { $in: ids } }, { session });
    await this.merges.deleteMany({ profileIds: { $in: ids } }, { session });
    await this.requests.deleteMany({ profileIds: { $in: ids } }, { session });
  }

  // ---- merges -----------------------------------------------------------------------------------

  async getMerge(id: string, session?: StoreSession): Promise<MergeRecordState | null> {
    const doc = await this.merges.findOne({ _id: id }, opts(session));
    return doc ? mergeFromDocument(doc) : null;
  }

  async listMerges(profileId: string, page: { pageSize: number; pageToken: string }): Promise<Page<MergeRecordState>> {
    const result = await this.merges.findPage({ profileIds: profileId }, { mergeTime: -1, _id: -1 }, { pageSize: page.pageSize, pageToken: page.pageToken, maxPageSize: 500 });
    return { items: result.items.map(mergeFromDocument), nextPageToken: result.nextPageToken };
  }

  // ---- segments ---------------------------------------------------------------------------------

  async listAllSegments(session?: StoreSession): Promise<SegmentDefinition[]> {
    const docs = await this.segments.find({}, { ...opts(session), sort: { segmentId: 1 } });
    return docs.map(segmentFromDocument);
  }

  async getSegment(segmentId: string, session?: StoreSession): Promise<SegmentDefinition | null> {
    const doc = await this.segments.findOne({ segmentId }, opts(session));
    return doc ? segmentFromDocument(doc) : null;
  }

  async listSegments(page: { pageSize: number; pageToken: string }): Promise<Page<SegmentDefinition>> {
    const result = await this.segments.findPage({}, { segmentId: 1 }, { pageSize: page.pageSize, pageToken: page.pageToken, maxPageSize: 500 });
    return { items: result.items.map(segmentFromDocument), nextPageToken: result.nextPageToken };
  }

  async insertSegment(segment: SegmentDefinition, id: string, session: StoreSession): Promise<void> {
    await this.segments.insertOne(
      { _id: id, segmentId: segment.id, displayName: segment.displayName, conditions: [...segment.conditions], version: segment.version, updateTime: segment.updateTime },
      { session },
    );
  }

  /** Replaces a segment's definition if its version is still `expectedVersion`; false otherwise. */
  async replaceSegment(segment: SegmentDefinition, expectedVersion: number, session: StoreSession): Promise<boolean> {
    const result = await this.segments.updateOne(
      { segmentId: segment.id, version: expectedVersion },
      { $set: { displayName: segment.displayName, conditions: [...segment.conditions], version: segment.version, updateTime: segment.updateTime } },
      { session },
    );
    return result.matchedCount === 1;
  }

  async deleteSegment(segmentId: string, session: StoreSession): Promise<boolean> {
    return (await this.segments.deleteOne({ segmentId }, { session })).deletedCount === 1;
  }

  // ---- policy -----------------------------------------------------------------------------------

  async getPolicy(session?: StoreSession): Promise<MergePolicy | null> {
    const doc = await this.policies.findOne({ name: 'policy' }, opts(session));
    return doc ? policyFromDocument(doc) : null;
  }

  /** Stores the policy if the current version is still `expectedVersion` (0: none stored yet); false otherwise. */
  async putPolicy(policy: MergePolicy, expectedVersion: number, id: string, session: StoreSession): Promise<boolean> {
    const fields = {
      defaultPhoneRegion: policy.defaultPhoneRegion,
      autoMergeMode: policy.autoMergeMode,
      minStitchAssurance: policy.minStitchAssurance,
      rules: policy.rules.map((r) => ({ ...r, blockedValues: [...r.blockedValues] })),
      version: policy.version,
      updateTime: policy.updateTime ?? new Date(),
      updateActor: policy.updateActor ?? '',
    };
    if (expectedVersion === 0) {
      await this.policies.insertOne({ _id: id, name: 'policy', ...fields }, { session });
      return true;
    }
    const result = await this.policies.updateOne({ name: 'policy', version: expectedVersion }, { $set: fields }, { session });
    return result.matchedCount === 1;
  }

  // ---- idempotency ------------------------------------------------------------------------------

  async getRequest(requestKey: string, session?: StoreSession): Promise<RequestDocument | null> {
    return this.requests.findOne({ requestKey }, opts(session));
  }

  /** Replaces a stored answer (a segment change stores its final member count once evaluated). */
  async replaceRequestResponse(requestKey: string, response: Uint8Array): Promise<void> {
    await this.requests.updateOne({ requestKey }, { $set: { response: base64(response) } });
  }

  async putRequest(doc: Omit<RequestDocument, 'tenantId' | 'response'> & { response: Uint8Array }, session: StoreSession): Promise<void> {
    await this.requests.insertOne({ ...doc, response: base64(doc.response) }, { session });
  }
}

/** The repositories of the identity service over one document store. */
export class IdentityRepository {
  constructor(readonly store: DocumentStore) {}

  forTenant(tenantId: string): TenantRepository {
    return new TenantRepository(this.store.forTenant(tenantId));
  }
}
