import { DuplicateKeyError, TransactionConflictError, type SessionOption, type StoreSession, type TenantScope, type Update } from '@continuum/store';
import { assuranceRank, type Assurance, type ProfileView } from '../domain';
import { PROFILES, type ProfileDoc } from './collections';

const NEW_PROFILE = {
  knownToIdentity: false,
  anonymous: true,
  segmentIds: [] as string[],
  bestAssurance: 'none' as Assurance,
  mergedProfileIds: [] as string[],
  identityVersion: 0,
  touchpointCount: 0,
};

/** What this service knows of each profile: identity's read model plus the timeline summary. */
export class ProfileRepository {
  private readonly col;

  constructor(scope: TenantScope) {
    this.col = scope.collection<ProfileDoc>(PROFILES);
  }

  async get(profileId: string, options?: SessionOption): Promise<ProfileDoc | undefined> {
    return (await this.col.findOne({ profileId }, options)) ?? undefined;
  }

  async getMany(profileIds: readonly string[], options?: SessionOption): Promise<ProfileDoc[]> {
    if (profileIds.length === 0) return [];
    return this.col.find({ profileId: profileIds.length === 1 ? profileIds[0] : { $in: [...profileIds] } }, options);
  }

  /** Sets read-model fields, creating the profile document when it is the first word about it. */
  async upsert(profileId: string, set: Partial<Omit<ProfileDoc, '_id' | 'tenantId' | 'profileId'>>, session: StoreSession, extra: Update = {}): Promise<void> {
    const setOnInsert: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(NEW_PROFILE)) if (!(k in set) && !hasPath(extra, k)) setOnInsert[k] = v;
    await this.col.updateOne({ profileId }, { ...extra, $set: { ...set, profileId }, $setOnInsert: setOnInsert }, { upsert: true, session });
  }

  /**
   * Adds touchpoints to a profile's timeline summary (count, last agent, best assurance) in one
   * write of scalars. `known` is the document as read before the transaction: the write is
   * conditional on its summary version, so a concurrent recording is never lost (the document is
   * then re-read in the transaction and the summary recomputed). The newest touchpoints are not
   * kept here: GetContext walks the timeline index for them.
   */
  async addToSummary(profileId: string, touchpoints: readonly SummaryInput[], known: ProfileDoc | undefined, session: StoreSession): Promise<void> {
    // Unknown to the caller's read (made before the transaction): look in the transaction before
    // inserting — on MongoDB a duplicate-key insert aborts the transaction, and its retries, with
    // the same stale read, would fail the same way.
    let current = known ?? (await this.get(profileId, { session }));
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!current) {
        try {
          await this.col.insertOne({ ...NEW_PROFILE, profileId, ...summaryAfter(undefined, touchpoints), summaryVersion: 1 } as never, { session });
          return;
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err;
        }
      } else {
        const version = current.summaryVersion;
        const update: Update = { $set: { ...summaryAfter(current, touchpoints), summaryVersion: (version ?? 0) + 1 } };
        // The newest-keys array earlier versions kept: gone with the first write that meets it.
        if (current.recent !== undefined) update['$unset'] = { recent: '' };
        // By its id (no query on the profile_id index), still conditional on the version read.
        const r = await this.col.updateOne({ _id: current._id, summaryVersion: version === undefined ? { $exists: false } : version }, update, { session });
        if (r.matchedCount === 1) return;
      }
      current = await this.get(profileId, { session });
    }
    throw new TransactionConflictError('the profile summary kept changing concurrently');
  }

  /** Profiles directly merged into `profileId` (merges still in force). */
  async mergedInto(profileIds: readonly string[], options?: SessionOption): Promise<ProfileDoc[]> {
    return this.col.find({ mergedIntoProfileId: { $in: [...profileIds] } }, options);
  }

  async delete(profileIds: readonly string[], session: StoreSession): Promise<void> {
    await this.col.deleteMany({ profileId: { $in: [...profileIds] } }, { session });
  }
}

/** What the summary needs of a touchpoint. */
export interface SummaryInput {
  readonly touchpointId: string;
  readonly occurredAt: Date;
  readonly agentId?: string;
  readonly assurance?: Assurance;
}

/** The summary fields after adding touchpoints: scalars only, those that change. */
function summaryAfter(doc: ProfileDoc | undefined, touchpoints: readonly SummaryInput[]): Partial<ProfileDoc> {
  let lastAgentId = doc?.lastAgentId;
  let lastAgentAt = doc?.lastAgentAt;
  let best = doc?.bestTouchpointAssurance;
  for (const t of touchpoints) {
    if (t.agentId && (!lastAgentAt || lastAgentAt.getTime() <= t.occurredAt.getTime())) {
      lastAgentId = t.agentId;
      lastAgentAt = t.occurredAt;
    }
    if (t.assurance && assuranceRank(t.assurance) > assuranceRank(best)) best = t.assurance;
  }
  const out: Partial<ProfileDoc> = { touchpointCount: (doc?.touchpointCount ?? 0) + touchpoints.length };
  // Only what changed (a touchpoint's Date is a new object, the stored one is not).
  if (lastAgentAt !== doc?.lastAgentAt && lastAgentId && lastAgentAt) {
    out.lastAgentId = lastAgentId;
    out.lastAgentAt = lastAgentAt;
  }
  if (best !== doc?.bestTouchpointAssurance && best) out.bestTouchpointAssurance = best;
  return out;
}

function hasPath(update: Update, key: string): boolean {
  return Object.values(update).some((ops) => typeof ops === 'object' && ops !== null && key in ops);
}

/** The profile as the domain sees it. */
export function profileView(doc: ProfileDoc | undefined): ProfileView | undefined {
  if (!doc) return undefined;
  return {
    profileId: doc.profileId,
    anonymous: doc.anonymous,
    segmentIds: doc.segmentIds,
    bestAssurance: doc.bestAssurance,
    mergedIntoProfileId: doc.mergedIntoProfileId,
    mergedProfileIds: doc.mergedProfileIds,
    knownToIdentity: doc.knownToIdentity,
  };
}
