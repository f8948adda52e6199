import type { Filter, Page, SessionOption, StoreSession, TenantScope } from '@continuum/store';
import type { Case, CaseStatus, Channel } from '../domain';
import { CASES, byUniqueField, strip, type CaseDoc } from './collections';

/** Cases of one tenant. */
export class CaseRepository {
  private readonly col;

  constructor(scope: TenantScope) {
    this.col = scope.collection<CaseDoc>(CASES);
  }

  async get(caseId: string, options?: SessionOption): Promise<Case | undefined> {
    const doc = await this.col.findOne({ caseId }, options);
    return doc ? strip(doc) : undefined;
  }

  /** Cases by id, in one read (those not found are missing from the map). */
  getMany(caseIds: readonly string[]): Promise<Map<string, Case>> {
    return byUniqueField(this.col, 'caseId', caseIds);
  }

  async insert(c: Case, id: string, session: StoreSession): Promise<void> {
    await this.col.insertOne({ _id: id, ...c }, { session });
  }

  /** Replaces the case if it is still at `version - 1`; false when it moved on. */
  async replace(c: Case, session: StoreSession): Promise<boolean> {
    const r = await this.col.updateOne({ caseId: c.caseId, version: c.version - 1 }, { $set: { ...c } }, { session });
    return r.matchedCount === 1;
  }

  /** Counts a touchpoint attached to the case. */
  async attach(caseId: string, channel: Channel, at: Date, session: StoreSession): Promise<void> {
    await this.col.updateOne({ caseId }, { $inc: { touchpointCount: 1 }, $addToSet: { channels: channel }, $max: { updateTime: at } }, { session });
  }

  async openForProfile(profileId: string): Promise<Case[]> {
    return (await this.col.find({ profileId, status: { $in: ['open', 'pending'] } })).map(strip);
  }

  async list(filter: { profileId?: string; ownerAgentId?: string; status?: CaseStatus }, page: { pageSize: number; pageToken: string }): Promise<Page<Case>> {
    const q: Filter = {};
    if (filter.profileId) q['profileId'] = filter.profileId;
    if (filter.ownerAgentId) q['ownerAgentId'] = filter.ownerAgentId;
    if (filter.status) q['status'] = filter.status;
    const r = await this.col.findPage(q, { openTime: -1, caseId: -1 }, { pageSize: page.pageSize, pageToken: page.pageToken, maxPageSize: 500 });
    return { items: r.items.map(strip), nextPageToken: r.nextPageToken };
  }

  async move(from: string, origins: readonly string[], to: string, session: StoreSession): Promise<void> {
    await this.col.updateMany({ profileId: from, originProfileId: { $in: [...origins] } }, { $set: { profileId: to } }, { session });
  }

  /** Ids of the cases of these profiles (wherever they sit now). */
  async idsOf(profileIds: readonly string[], options?: SessionOption): Promise<string[]> {
    const ids = [...profileIds];
    const docs = await this.col.find({ $or: [{ profileId: { $in: ids } }, { originProfileId: { $in: ids } }] }, { ...options, projection: { caseId: 1 } });
    return docs.map((d) => d.caseId);
  }

  async deleteForProfiles(profileIds: readonly string[], session: StoreSession): Promise<number> {
    const ids = [...profileIds];
    const r = await this.col.deleteMany({ $or: [{ profileId: { $in: ids } }, { originProfileId: { $in: ids } }] }, { session });
    return r.deletedCount;
  }
}
