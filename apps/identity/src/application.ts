import { randomUUID } from 'node:crypto';
import type { Outbox } from '@continuum/events';
import { DuplicateKeyError, TransactionConflictError, type DocumentStore, type Page, type StoreSession } from '@continuum/store';
import {
  CompiledPolicy,
  defaultPolicy,
  planExplicitMerge,
  planLinkIdentifiers,
  planResolve,
  planSegmentRefresh,
  planUnmerge,
  planUpdateTraits,
  type ChangeSet,
  type DomainContext,
  type DomainEvent,
  type IdentifierState,
  type MergePolicy,
  type MergeRecordState,
  type ObservedIdentifier,
  type ProfileState,
  type ResolveResult,
  type SegmentCondition,
  type SegmentDefinition,
  type Traits,
} from './domain';
import { ConcurrentChangeError, RequestIdReusedError, ResourceNotFoundError, SegmentExistsError, VersionMismatchError } from './errors';
import { appendEvents } from './events/identity-events';
import { COLLECTIONS } from './store/documents';
import { IdentityRepository, StaleProfileError, defineIdentityCollections, type TenantRepository } from './store/identity-repository';

/** How a write's answer is stored for retries with the same request id. */
export interface Idempotency<R> {
  /** `<method>:<request_id>`. */
  readonly key: string;
  /** Hash of the request without its request id. */
  readonly fingerprint: string;
  readonly encode: (response: R) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => R;
  /** Profiles the answer mentions (erasing one of them erases the stored answer). */
  readonly profileIds: (response: R) => string[];
}

/** How the caller wants a domain result answered, and whether it is idempotent. */
export interface Output<D, R> {
  readonly present: (result: D) => R;
  readonly idempotency?: Idempotency<R>;
}

export interface IdentityApplicationOptions {
  readonly store: DocumentStore;
  readonly outbox: Outbox;
  /** Phone region of tenants that never set their own policy. */
  readonly defaultPhoneRegion: string;
  /** `lastSeenAt` is rewritten only when older than this (ms), so recognizing a known customer stays a read. */
  readonly lastSeenGranularityMs: number;
  /** How long a tenant's policy and segments are reused by reads before being read again (ms). */
  readonly settingsCacheMs: number;
  /** Profiles per transaction when segments are re-evaluated over a whole tenant. */
  readonly segmentBatchSize?: number;
  readonly clock?: () => Date;
  /** Where failures of background work go (no personal data: error names only). */
  readonly log?: { warn(obj: Record<string, unknown>, msg: string): void };
}

/** A tenant's policy and segments, as one Resolve uses them. */
export interface TenantSettings {
  readonly policy: CompiledPolicy;
  readonly segments: readonly SegmentDefinition[];
}

/** A pending re-evaluation of a tenant's segments (survives a crash: resumed at start). */
interface SegmentJobDocument {
  _id: string;
  tenantId: string;
  /** The segment whose definition changed, or was deleted. */
  segmentId: string;
  deleted: boolean;
  createdAt: Date;
}
const SEGMENT_JOBS = 'identity_segment_jobs';
const MAX_ATTEMPTS = 8;

type Tx = { readonly session: StoreSession; readonly repo: TenantRepository };

/**
 * The identity use cases: each reads what it needs, asks the domain what to do, and applies the
 * answer and its events in one transaction (retried whole when a concurrent writer got there
 * first). Handlers in server.ts validate and map; this layer decides nothing on its own.
 */
export class IdentityApplication {
  readonly repository: IdentityRepository;
  private readonly settingsCache = new Map<string, { at: number; settings: TenantSettings }>();
  private readonly clock: () => Date;
  private readonly jobs = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: IdentityApplicationOptions) {
    this.repository = new IdentityRepository(options.store);
    this.clock = options.clock ?? (() => new Date());
  }

  /** Declares collections and resumes segment re-evaluations left unfinished by a crash. */
  async start(): Promise<void> {
    await defineIdentityCollections(this.options.store);
    await this.options.store.defineCollection(SEGMENT_JOBS, [{ key: { createdAt: 1 }, name: 'created_at' }]);
    const pending = await this.options.store.unscoped<SegmentJobDocument>(SEGMENT_JOBS).find({}, { sort: { createdAt: 1 } });
    for (const job of pending) {
      // Resumed in the background: a job that fails again stays stored and is resumed at the next start.
      this.track(this.runSegmentJob(job)).catch((error: unknown) =>
        this.options.log?.warn({ err: error instanceof Error ? error.name : 'unknown', tenant_id: job.tenantId }, 'segment re-evaluation failed; it resumes at the next start'),
      );
    }
  }

  /** Waits for background segment re-evaluations to finish (they stop between batches). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.jobs]);
  }

  // ---- context ----------------------------------------------------------------------------------

  private readonly newId = (prefix: 'prf' | 'mrg'): string => `${prefix}_${randomUUID().replace(/-/g, '')}`;

  private context(actor: string): DomainContext {
    return { now: this.clock(), actor, newId: this.newId };
  }

  /** The tenant's policy and segments: fresh inside a transaction, briefly cached for reads. */
  async settings(tenantId: string, session?: StoreSession): Promise<TenantSettings> {
    const cached = this.settingsCache.get(tenantId);
    const now = Date.now();
    if (!session && cached && now - cached.at < this.options.settingsCacheMs) return cached.settings;
    const repo = this.repository.forTenant(tenantId);
    const stored = await repo.getPolicy(session);
    const settings = {
      policy: new CompiledPolicy(stored ?? defaultPolicy(this.options.defaultPhoneRegion)),
      segments: await repo.listAllSegments(session),
    };
    if (!session) this.settingsCache.set(tenantId, { at: now, settings });
    return settings;
  }

  private forget(tenantId: string): void {
    this.settingsCache.delete(tenantId);
  }

  // ---- the write path ---------------------------------------------------------------------------

  /**
   * Runs a change in a transaction: the body reads, decides and writes; with a request id the
   * answer is stored in the same transaction, and a retry (or a concurrent twin) gets it back.
   * Concurrency losses (a version or unique key taken meanwhile) rerun the whole body.
   */
  private async write<D, R>(tenantId: string, output: Output<D, R>, body: (tx: Tx) => Promise<D>): Promise<R> {
    const repo = this.repository.forTenant(tenantId);
    const idem = output.idempotency;
    if (idem) {
      const replay = await this.replay(repo, idem);
      if (replay) return replay.response;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.store.withTransaction(async (session) => {
          const response = output.present(await body({ session, repo }));
          if (idem) {
            await repo.putRequest(
              {
                _id: randomUUID(),
                requestKey: idem.key,
                fingerprint: idem.fingerprint,
                response: idem.encode(response),
                profileIds: [...new Set(idem.profileIds(response))],
                createdAt: this.clock(),
              },
              session,
            );
          }
          return response;
        });
      } catch (error) {
        if (idem && error instanceof DuplicateKeyError && error.collection === COLLECTIONS.requests) {
          const replay = await this.replay(repo, idem);
          if (replay) return replay.response;
        }
        const retryable =
          error instanceof StaleProfileError ||
          error instanceof TransactionConflictError ||
          (error instanceof DuplicateKeyError && error.collection === COLLECTIONS.profiles);
        if (!retryable) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new ConcurrentChangeError();
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  private async replay<R>(repo: TenantRepository, idem: Idempotency<R>): Promise<{ response: R } | undefined> {
    const prior = await repo.getRequest(idem.key);
    if (!prior) return undefined;
    if (prior.fingerprint !== idem.fingerprint) throw new RequestIdReusedError();
    return { response: idem.decode(Buffer.from(prior.response, 'base64')) };
  }

  private async commit(tx: Tx, tenantId: string, changes: ChangeSet): Promise<void> {
    await tx.repo.apply(changes, tx.session);
    await appendEvents(this.options.outbox, tx.session, tenantId, changes.events);
  }

  // ---- Resolve ----------------------------------------------------------------------------------

  /**
   * Recognizes the customer behind `observed`. Without a request id, a recognition that changes
   * nothing (the common case: a known customer, seen recently) is answered from a plain read,
   * without a transaction.
   */
  async resolve<R>(tenantId: string, actor: string, observed: readonly ObservedIdentifier[], output: Output<ResolveResult, R>): Promise<R> {
    if (!output.idempotency) {
      const readOnly = await this.planResolve(tenantId, actor, observed, this.repository.forTenant(tenantId));
      if (isEmpty(readOnly.changes)) return output.present(readOnly.result);
    }
    return this.write(tenantId, output, async (tx) => {
      const decided = await this.planResolve(tenantId, actor, observed, tx.repo, tx.session);
      await this.commit(tx, tenantId, decided.changes);
      return decided.result;
    });
  }

  private async planResolve(tenantId: string, actor: string, observed: readonly ObservedIdentifier[], repo: TenantRepository, session?: StoreSession) {
    const { policy, segments } = await this.settings(tenantId, session);
    const only = observed.length === 1 ? observed[0] : undefined;
    const keys = only ? [only.id.key] : [...new Set(observed.map((o) => o.id.key))];
    const holders = await repo.findHolders(keys, session);
    return planResolve({ observed, holders, policy, segments, ctx: this.context(actor), lastSeenGranularityMs: this.options.lastSeenGranularityMs });
  }

  // ---- profiles ---------------------------------------------------------------------------------

  async getProfile(tenantId: string, profileId: string, field = 'profile_id'): Promise<{ profile: ProfileState; redirected: boolean }> {
    const found = await this.repository.forTenant(tenantId).getLiveProfile(profileId);
    if (!found) throw new ResourceNotFoundError('profile', field);
    return found;
  }

  async batchGetProfiles(tenantId: string, ids: readonly string[], allowMissing: boolean): Promise<{ profiles: ProfileState[]; missing: string[] }> {
    const live = await this.repository.forTenant(tenantId).getLiveProfiles(ids);
    const profiles: ProfileState[] = [];
    const missing: string[] = [];
    for (const [i, id] of ids.entries()) {
      const found = live.get(id);
      if (found) profiles.push(found);
      else if (allowMissing) missing.push(id);
      else throw new ResourceNotFoundError('profile', `profile_ids[${i}]`);
    }
    return { profiles, missing };
  }

  /** The live profile holding an identifier key, if any. */
  async findByKey(tenantId: string, key: string): Promise<ProfileState | undefined> {
    return (await this.repository.forTenant(tenantId).findHolders([key])).get(key);
  }

  async searchProfiles(tenantId: string, query: { condition: SegmentCondition } | { segmentId: string }, page: { pageSize: number; pageToken: string }): Promise<Page<ProfileState>> {
    return this.repository.forTenant(tenantId).searchProfiles(query, page);
  }

  async updateTraits<R>(
    tenantId: string,
    actor: string,
    input: { profileId: string; set: Traits; remove: readonly string[]; expectedVersion: number },
    output: Output<{ profile: ProfileState; entered: string[]; left: string[] }, R>,
  ): Promise<R> {
    return this.write(tenantId, output, async (tx) => {
      const profile = await this.live(tx, input.profileId, 'profile_id');
      if (input.expectedVersion !== 0 && profile.version !== input.expectedVersion) throw new VersionMismatchError('profile', profile.version);
      const { segments } = await this.settings(tenantId, tx.session);
      const plan = planUpdateTraits(profile, input.set, input.remove, segments, this.context(actor));
      await this.commit(tx, tenantId, plan.changes);
      return { profile: plan.profile, entered: plan.entered, left: plan.left };
    });
  }

  async linkIdentifiers<R>(
    tenantId: string,
    actor: string,
    input: { profileId: string; observed: readonly ObservedIdentifier[] },
    output: Output<{ profile: ProfileState; linked: IdentifierState[] }, R>,
  ): Promise<R> {
    return this.write(tenantId, output, async (tx) => {
      const profile = await this.live(tx, input.profileId, 'profile_id');
      const { policy, segments } = await this.settings(tenantId, tx.session);
      const holders = await tx.repo.findHolders(input.observed.map((o) => o.id.key), tx.session);
      const plan = planLinkIdentifiers(profile, input.observed, holders, policy, segments, this.context(actor));
      await this.commit(tx, tenantId, plan.changes);
      return { profile: plan.profile, linked: plan.linked };
    });
  }

  private async live(tx: Tx, profileId: string, field: string): Promise<ProfileState> {
    const found = await tx.repo.getLiveProfile(profileId, tx.session);
    if (!found) throw new ResourceNotFoundError('profile', field);
    return found.profile;
  }

  // ---- merges -----------------------------------------------------------------------------------

  async mergeProfiles<R>(
    tenantId: string,
    actor: string,
    input: { survivorId: string; mergedId: string },
    output: Output<{ record: MergeRecordState; survivor: ProfileState }, R>,
  ): Promise<R> {
    return this.write(tenantId, output, async (tx) => {
      // No redirect here: merging a merged id is refused by the domain (PROFILE_ALREADY_MERGED).
      const survivor = await tx.repo.getProfile(input.survivorId, tx.session);
      if (!survivor) throw new ResourceNotFoundError('profile', 'surviving_profile_id');
      const merged = await tx.repo.getProfile(input.mergedId, tx.session);
      if (!merged) throw new ResourceNotFoundError('profile', 'merged_profile_id');
      const { policy, segments } = await this.settings(tenantId, tx.session);
      const plan = planExplicitMerge(survivor, merged, policy, segments, this.context(actor));
      await this.commit(tx, tenantId, plan.changes);
      return { record: plan.record, survivor: plan.survivor };
    });
  }

  async unmergeProfiles<R>(
    tenantId: string,
    actor: string,
    mergeId: string,
    output: Output<{ record: MergeRecordState; survivor: ProfileState; restored: ProfileState }, R>,
  ): Promise<R> {
    return this.write(tenantId, output, async (tx) => {
      const record = await tx.repo.getMerge(mergeId, tx.session);
      if (!record) throw new ResourceNotFoundError('merge', 'merge_id');
      const survivor = await tx.repo.getProfile(record.survivorId, tx.session);
      const tombstone = await tx.repo.getProfile(record.mergedId, tx.session);
      if (!survivor || !tombstone) throw new ResourceNotFoundError('merge', 'merge_id');
      const { segments } = await this.settings(tenantId, tx.session);
      const plan = planUnmerge(record, survivor, tombstone, segments, this.context(actor));
      await this.commit(tx, tenantId, plan.changes);
      return { record: plan.record, survivor: plan.survivor, restored: plan.restored };
    });
  }

  async listMergeHistory(tenantId: string, profileId: string, page: { pageSize: number; pageToken: string }): Promise<Page<MergeRecordState>> {
    const repo = this.repository.forTenant(tenantId);
    if (!(await repo.getProfile(profileId))) throw new ResourceNotFoundError('profile', 'profile_id');
    return repo.listMerges(profileId, page);
  }

  // ---- policy -----------------------------------------------------------------------------------

  async getPolicy(tenantId: string): Promise<MergePolicy> {
    return (await this.settings(tenantId)).policy.effective();
  }

  async updatePolicy<R>(
    tenantId: string,
    actor: string,
    input: { policy: Omit<MergePolicy, 'version' | 'updateTime' | 'updateActor'>; expectedVersion: number },
    output: Output<MergePolicy, R>,
  ): Promise<R> {
    try {
      return await this.write(tenantId, output, async (tx) => {
        const current = await tx.repo.getPolicy(tx.session);
        const version = current?.version ?? 0;
        if (input.expectedVersion !== 0 && input.expectedVersion !== version) throw new VersionMismatchError('policy', version);
        const next: MergePolicy = { ...input.policy, version: version + 1, updateTime: this.clock(), updateActor: actor };
        if (!(await tx.repo.putPolicy(next, version, randomUUID(), tx.session))) throw new StaleProfileError('policy');
        return new CompiledPolicy(next).effective();
      });
    } finally {
      this.forget(tenantId);
    }
  }

  // ---- segments ---------------------------------------------------------------------------------

  async getSegment(tenantId: string, segmentId: string): Promise<SegmentDefinition> {
    const segment = await this.repository.forTenant(tenantId).getSegment(segmentId);
    if (!segment) throw new ResourceNotFoundError('segment', 'segment_id');
    return segment;
  }

  async listSegments(tenantId: string, page: { pageSize: number; pageToken: string }): Promise<Page<SegmentDefinition>> {
    return this.repository.forTenant(tenantId).listSegments(page);
  }

  /**
   * Defines, replaces or deletes a segment, then re-evaluates the tenant's profiles before
   * answering (a job document makes a crash resume it at the next start).
   */
  async changeSegment<R>(
    tenantId: string,
    change:
      | { kind: 'create'; segment: Omit<SegmentDefinition, 'version' | 'updateTime'> }
      | { kind: 'update'; segment: Omit<SegmentDefinition, 'version' | 'updateTime'>; expectedVersion: number }
      | { kind: 'delete'; segmentId: string },
    output: Output<{ segment?: SegmentDefinition; memberCount: number }, R>,
  ): Promise<R> {
    const segmentId = change.kind === 'delete' ? change.segmentId : change.segment.id;
    let job: SegmentJobDocument | undefined;
    let formerMembers = 0;
    const answer = await this.write(tenantId, output, async (tx) => {
      let stored: SegmentDefinition | undefined;
      if (change.kind === 'create') {
        if (await tx.repo.getSegment(segmentId, tx.session)) throw new SegmentExistsError();
        stored = { ...change.segment, version: 1, updateTime: this.clock() };
        await tx.repo.insertSegment(stored, randomUUID(), tx.session);
      } else {
        const current = await tx.repo.getSegment(segmentId, tx.session);
        if (!current) throw new ResourceNotFoundError('segment', change.kind === 'update' ? 'segment.segment_id' : 'segment_id');
        if (change.kind === 'update') {
          if (change.expectedVersion !== 0 && change.expectedVersion !== current.version) throw new VersionMismatchError('segment', current.version);
          stored = { ...change.segment, version: current.version + 1, updateTime: this.clock() };
          if (!(await tx.repo.replaceSegment(stored, current.version, tx.session))) throw new StaleProfileError('segment');
        } else {
          formerMembers = await tx.repo.countMembers(segmentId, tx.session);
          await tx.repo.deleteSegment(segmentId, tx.session);
        }
      }
      job = { _id: randomUUID(), tenantId, segmentId, deleted: change.kind === 'delete', createdAt: this.clock() };
      await this.options.store.forTenant(tenantId).collection<SegmentJobDocument>(SEGMENT_JOBS).insertOne(job, { session: tx.session });
      return { segment: stored, memberCount: formerMembers };
    });
    this.forget(tenantId);
    if (!job) return answer; // a replay of an earlier call
    await this.track(this.runSegmentJob(job));
    if (change.kind === 'delete') return answer;
    // The answer carries the membership after the evaluation; a retry must get that one too.
    const repo = this.repository.forTenant(tenantId);
    const final = output.present({ segment: (await repo.getSegment(segmentId)) ?? undefined, memberCount: await repo.countMembers(segmentId) });
    if (output.idempotency) await repo.replaceRequestResponse(output.idempotency.key, output.idempotency.encode(final));
    return final;
  }

  private track(work: Promise<void>): Promise<void> {
    this.jobs.add(work);
    void work.finally(() => this.jobs.delete(work));
    return work;
  }

  /** Re-evaluates the profiles a segment change affects, a batch per transaction, then drops the job. */
  private async runSegmentJob(job: SegmentJobDocument): Promise<void> {
    const batch = this.options.segmentBatchSize ?? 200;
    let after = '';
    for (;;) {
      if (this.stopped) return;
      const done = await this.write(job.tenantId, { present: (d: boolean) => d }, async (tx) => {
        const { segments } = await this.settings(job.tenantId, tx.session);
        const profiles = job.deleted
          ? await tx.repo.membersOf(job.segmentId, batch, tx.session)
          : await tx.repo.profilesAfter(after, batch, tx.session);
        const ctx = this.context('system');
        for (const profile of profiles) await this.commit(tx, job.tenantId, planSegmentRefresh(profile, segments, ctx));
        const last = profiles[profiles.length - 1];
        if (last) after = last.id;
        return profiles.length < batch;
      });
      if (done) break;
    }
    await this.options.store.forTenant(job.tenantId).collection<SegmentJobDocument>(SEGMENT_JOBS).deleteOne({ _id: job._id });
  }

  // ---- erasure ----------------------------------------------------------------------------------

  async eraseProfile<R>(
    tenantId: string,
    input: { profileId: string; privacyRequestId: string },
    output: Output<{ profileId: string; mergedProfileIds: string[]; erasedIdentifierCount: number }, R>,
  ): Promise<R> {
    return this.write(tenantId, output, async (tx) => {
      const profile = await this.live(tx, input.profileId, 'profile_id');
      const merged = await tx.repo.mergedInto(profile.id, tx.session);
      await tx.repo.deleteProfiles([profile.id, ...merged], tx.session);
      const event: DomainEvent = { type: 'profile_erased', profileId: profile.id, mergedProfileIds: merged, privacyRequestId: input.privacyRequestId };
      await appendEvents(this.options.outbox, tx.session, tenantId, [event]);
      return { profileId: profile.id, mergedProfileIds: merged, erasedIdentifierCount: profile.identifiers.length };
    });
  }
}

function isEmpty(changes: ChangeSet): boolean {
  return changes.created.length === 0 && changes.updated.length === 0 && changes.events.length === 0 && changes.mergesCreated.length === 0;
}
