import type { Filter, Page, SessionOption, StoreSession, TenantScope } from '@continuum/store';
import { abandonTime, type JourneyDefinition, type JourneyInstance, type JourneyStatus } from '../domain';
import { JOURNEYS, JOURNEY_DEFINITIONS, byUniqueField, strip, type JourneyDefinitionDoc, type JourneyDoc } from './collections';

/** Journey definitions of one tenant. */
export class JourneyDefinitionRepository {
  private readonly col;

  constructor(scope: TenantScope) {
    this.col = scope.collection<JourneyDefinitionDoc>(JOURNEY_DEFINITIONS);
  }

  async get(journeyDefinitionId: string, options?: SessionOption): Promise<JourneyDefinition | undefined> {
    const doc = await this.col.findOne({ journeyDefinitionId }, options);
    return doc ? strip(doc) : undefined;
  }

  getMany(ids: readonly string[]): Promise<Map<string, JourneyDefinition>> {
    return byUniqueField(this.col, 'journeyDefinitionId', ids);
  }

  /** DuplicateKeyError when the id is taken. */
  async insert(definition: JourneyDefinition, id: string, session: StoreSession): Promise<void> {
    await this.col.insertOne({ _id: id, ...definition }, { session });
  }

  /** Replaces the stored definition if it is still at `version - 1`; false when it moved on. */
  async replace(definition: JourneyDefinition, session: StoreSession): Promise<boolean> {
    const r = await this.col.updateOne(
      { journeyDefinitionId: definition.journeyDefinitionId, version: definition.version - 1 },
      { $set: { ...definition } },
      { session },
    );
    return r.matchedCount === 1;
  }

  async list(page: { pageSize: number; pageToken: string }): Promise<Page<JourneyDefinition>> {
    const r = await this.col.findPage({}, { journeyDefinitionId: 1 }, { pageSize: page.pageSize, pageToken: page.pageToken, maxPageSize: 500 });
    return { items: r.items.map(strip), nextPageToken: r.nextPageToken };
  }
}

function toDoc(instance: JourneyInstance, definition: JourneyDefinition): Omit<JourneyDoc, '_id' | 'tenantId'> {
  return instance.status === 'active' ? { ...instance, abandonAt: abandonTime(instance, definition) } : { ...instance };
}

/** Journey instances of one tenant. */
export class JourneyRepository {
  private readonly col;

  constructor(scope: TenantScope) {
    this.col = scope.collection<JourneyDoc>(JOURNEYS);
  }

  async get(journeyId: string, options?: SessionOption): Promise<JourneyInstance | undefined> {
    const doc = await this.col.findOne({ journeyId }, options);
    return doc ? fromDoc(doc) : undefined;
  }

  async forProfileAndDefinition(profileId: string, journeyDefinitionId: string, options?: SessionOption): Promise<JourneyInstance[]> {
    return (await this.col.find({ profileId, journeyDefinitionId }, options)).map(fromDoc);
  }

  async activeForProfile(profileId: string): Promise<JourneyInstance[]> {
    return (await this.col.find({ profileId, status: 'active' })).map(fromDoc);
  }

  /** Inserts a new instance or replaces a stored one (the whole instance, as the domain computed it). */
  async save(instance: JourneyInstance, definition: JourneyDefinition, isNew: boolean, id: string, session: StoreSession): Promise<void> {
    const doc = toDoc(instance, definition);
    if (isNew) await this.col.insertOne({ _id: id, ...doc }, { session });
    else await this.col.updateOne({ journeyId: instance.journeyId }, doc.abandonAt ? { $set: doc } : { $set: doc, $unset: { abandonAt: '' } }, { session });
  }

  async list(filter: { profileId: string; status?: JourneyStatus; journeyDefinitionId?: string }, page: { pageSize: number; pageToken: string }): Promise<Page<JourneyInstance>> {
    const q: Filter = { profileId: filter.profileId };
    if (filter.status) q['status'] = filter.status;
    if (filter.journeyDefinitionId) q['journeyDefinitionId'] = filter.journeyDefinitionId;
    const r = await this.col.findPage(q, { lastActivityTime: -1, journeyId: -1 }, { pageSize: page.pageSize, pageToken: page.pageToken, maxPageSize: 500 });
    return { items: r.items.map(fromDoc), nextPageToken: r.nextPageToken };
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

function fromDoc(doc: JourneyDoc): JourneyInstance {
  const { abandonAt: _abandonAt, ...rest } = strip(doc);
  return rest;
}
