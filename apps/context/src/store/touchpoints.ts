import type { Filter, Page, SessionOption, StoreSession, TenantScope } from '@continuum/store';
import type { Assurance, Channel, Touchpoint } from '../domain';
import { TOUCHPOINTS, byUniqueField, strip, type TouchpointDoc } from './collections';

/** Filters of a timeline listing. */
export interface TimelineFilter {
  readonly profileId: string;
  readonly channels?: readonly Channel[];
  readonly journeyDefinitionId?: string;
  readonly journeyId?: string;
  readonly caseId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

/** The cross-channel timeline of every customer of one tenant. */
export class TouchpointRepository {
  private readonly col;

  constructor(scope: TenantScope) {
    this.col = scope.collection<TouchpointDoc>(TOUCHPOINTS);
  }

  async findById(touchpointId: string, options?: SessionOption): Promise<Touchpoint | undefined> {
    const doc = await this.col.findOne({ touchpointId }, options);
    return doc ? strip(doc) : undefined;
  }

  /** Inserts a new touchpoint; DuplicateKeyError when its id was recorded before. */
  async insert(touchpoint: Touchpoint, id: string, session: StoreSession): Promise<void> {
    await this.col.insertOne({ _id: id, ...touchpoint }, { session });
  }

  /** Inserts new touchpoints at once; DuplicateKeyError when one of the ids was recorded before. */
  async insertMany(items: readonly { tp: Touchpoint; id: string }[], session: StoreSession): Promise<void> {
    if (items.length === 0) return;
    await this.col.insertMany(items.map(({ tp, id }) => ({ _id: id, ...tp })), { session });
  }

  async list(filter: TimelineFilter, newestFirst: boolean, page: { pageSize: number; pageToken: string }): Promise<Page<Touchpoint>> {
    const q: Filter = { profileId: filter.profileId };
    if (filter.channels && filter.channels.length > 0) q['channel'] = { $in: [...filter.channels] };
    if (filter.journeyDefinitionId) q['journeyDefinitionId'] = filter.journeyDefinitionId;
    if (filter.journeyId) q['journeyId'] = filter.journeyId;
    if (filter.caseId) q['caseId'] = filter.caseId;
    if (filter.from || filter.to) {
      const range: Record<string, Date> = {};
      if (filter.from) range['$gte'] = filter.from;
      if (filter.to) range['$lt'] = filter.to;
      q['occurredAt'] = range;
    }
    const dir = newestFirst ? -1 : 1;
    const result = await this.col.findPage(q, { occurredAt: dir, touchpointId: dir }, { pageSize: page.pageSize, pageToken: page.pageToken, maxPageSize: 500 });
    return { items: result.items.map(strip), nextPageToken: result.nextPageToken };
  }

  /** The newest `limit` touchpoints of a profile, newest first: a walk of the timeline index from its end. */
  async recent(profileId: string, limit: number, options?: SessionOption): Promise<Touchpoint[]> {
    if (limit <= 0) return [];
    const docs = await this.col.find({ profileId }, { ...options, sort: { occurredAt: -1, touchpointId: -1 }, limit });
    return docs.map(strip);
  }

  /** The stored touchpoints among these ids, by id. */
  async byIds(touchpointIds: readonly string[]): Promise<Map<string, Touchpoint>> {
    return byUniqueField(this.col, 'touchpointId', touchpointIds);
  }

  async latestWithAgent(profileId: string, options?: SessionOption): Promise<Touchpoint | undefined> {
    const [doc] = await this.col.find({ profileId, agentId: { $exists: true, $ne: '' } }, { ...options, sort: { occurredAt: -1, touchpointId: -1 }, limit: 1 });
    return doc ? strip(doc) : undefined;
  }

  async count(profileId: string, options?: SessionOption): Promise<number> {
    return this.col.countDocuments({ profileId }, options);
  }

  /** The assurance levels recorded on the profile's touchpoints (to rebuild its summary after a move). */
  async assurances(profileId: string, options?: SessionOption): Promise<Assurance[]> {
    const docs = await this.col.find({ profileId, assurance: { $exists: true } }, { ...options, projection: { assurance: 1 } });
    return docs.flatMap((d) => (d.assurance ? [d.assurance] : []));
  }

  /** Moves touchpoints under `from` whose origin is one of `origins` to `to`. */
  async move(from: string, origins: readonly string[], to: string, session: StoreSession): Promise<number> {
    const r = await this.col.updateMany({ profileId: from, originProfileId: { $in: [...origins] } }, { $set: { profileId: to } }, { session });
    return r.modifiedCount;
  }

  /** Deletes every touchpoint of these profiles, wherever they sit now. */
  async deleteForProfiles(profileIds: readonly string[], session: StoreSession): Promise<number> {
    const ids = [...profileIds];
    const r = await this.col.deleteMany({ $or: [{ profileId: { $in: ids } }, { originProfileId: { $in: ids } }] }, { session });
    return r.deletedCount;
  }
}
