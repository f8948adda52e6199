import type { SessionOption, StoreSession, TenantScope, Update } from '@continuum/store';
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

  /** Sets read-model fields, creating the profile document when it is the first word about it. */
  async upsert(profileId: string, set: Partial<Omit<ProfileDoc, '_id' | 'tenantId' | 'profileId'>>, session: StoreSession, extra: Update = {}): Promise<void> {
    const setOnInsert: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(NEW_PROFILE)) if (!(k in set) && !hasPath(extra, k)) setOnInsert[k] = v;
    await this.col.updateOne({ profileId }, { ...extra, $set: { ...set, profileId }, $setOnInsert: setOnInsert }, { upsert: true, session });
  }

  /** Records a touchpoint in the profile's summary (count, last agent, best assurance). */
  async countTouchpoint(
    current: ProfileDoc | undefined,
    profileId: string,
    touchpoint: { agentId?: string; occurredAt: Date; assurance?: Assurance },
    session: StoreSession,
  ): Promise<void> {
    const set: Partial<ProfileDoc> = {};
    if (touchpoint.agentId && (!current?.lastAgentAt || current.lastAgentAt.getTime() <= touchpoint.occurredAt.getTime())) {
      set.lastAgentId = touchpoint.agentId;
      set.lastAgentAt = touchpoint.occurredAt;
    }
    if (touchpoint.assurance && assuranceRank(touchpoint.assurance) > assuranceRank(current?.bestTouchpointAssurance)) set.bestTouchpointAssurance = touchpoint.assurance;
    await this.upsert(profileId, set, session, { $inc: { touchpointCount: 1 } });
  }

  /** Profiles directly merged into `profileId` (merges still in force). */
  async mergedInto(profileIds: readonly string[], options?: SessionOption): Promise<ProfileDoc[]> {
    return this.col.find({ mergedIntoProfileId: { $in: [...profileIds] } }, options);
  }

  async delete(profileIds: readonly string[], session: StoreSession): Promise<void> {
    await this.col.deleteMany({ profileId: { $in: [...profileIds] } }, { session });
  }
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
