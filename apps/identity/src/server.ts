/**
 * The gRPC handlers of continuum.identity.v1.IdentityService: validate every field, call the
 * application, map results and errors. Permission (scope, tenant) is checked by the kit before a
 * handler runs, so it always comes before existence.
 */
import { createHash } from 'node:crypto';
import { identityV1 } from '@continuum/contracts';
import {
  AbortedError,
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  Violations,
  type CallContext,
  type ServiceRegistration,
} from '@continuum/kit';
import { InvalidPageTokenError } from '@continuum/store';
import type { IdentityApplication, Idempotency, Output } from './application';
import { LinkRefusedError, MergeRefusedError, SEGMENT_ID, TraitsTooLargeError, UnmergeRefusedError, type ResolveResult } from './domain';
import { ConcurrentChangeError, RequestIdReusedError, ResourceNotFoundError, SegmentExistsError, VersionMismatchError } from './errors';
import {
  conflictToProto,
  identifierToProto,
  matchTypeToProto,
  mergeToProto,
  outcomeToProto,
  assuranceToProto,
  policyToProto,
  profileToProto,
  segmentToProto,
} from './mapping';
import {
  LIMITS,
  MERGE_ID,
  checkChannel,
  checkCondition,
  checkExpectedVersion,
  checkIdentifierQuery,
  checkObservedIdentifiers,
  checkPage,
  checkPolicy,
  checkProfileId,
  checkRequestId,
  checkSegment,
  checkSegmentId,
  checkTraitUpdate,
} from './validation';

/** ErrorInfo domain of identity's errors. */
export const IDENTITY_ERROR_DOMAIN = 'identity.continuum.dev';
/** Scopes of the identity service. */
export const IDENTITY_SCOPES = { read: 'identity.read', write: 'identity.write', admin: 'identity.admin' } as const;

type Definition = typeof identityV1.IdentityServiceService;

/** A ts-proto message codec (what idempotency needs to store and replay an answer). */
interface Codec<M> {
  encode(message: M): { finish(): Uint8Array };
  decode(input: Uint8Array): M;
}

/** The idempotency settings of one call, or none when it carries no request id. */
function idempotent<Req extends { requestId: string }, Res>(
  method: string,
  request: Req,
  requestCodec: Codec<Req>,
  responseCodec: Codec<Res>,
  profileIds: (response: Res) => string[],
): Idempotency<Res> | undefined {
  if (request.requestId === '') return undefined;
  const fingerprint = createHash('sha256').update(requestCodec.encode({ ...request, requestId: '' }).finish()).digest('base64url');
  return {
    key: `${method}:${request.requestId}`,
    fingerprint,
    encode: (response) => responseCodec.encode(response).finish(),
    decode: (bytes) => responseCodec.decode(bytes),
    profileIds,
  };
}

function output<D, R>(present: (d: D) => R, idempotency: Idempotency<R> | undefined): Output<D, R> {
  return idempotency ? { present, idempotency } : { present };
}

/** Maps the application's and the domain's errors to the kit's, so the interceptor answers with the right status and reason. */
function mapError(error: unknown): never {
  if (error instanceof ResourceNotFoundError) {
    // The same answer for an id that exists in another tenant and one that exists nowhere.
    throw new NotFoundError(`${error.resource.toUpperCase()}_NOT_FOUND`, `${error.resource} not found`, { field: error.field });
  }
  if (error instanceof MergeRefusedError || error instanceof UnmergeRefusedError) throw new FailedPreconditionError(error.reason, error.message);
  if (error instanceof LinkRefusedError) throw new FailedPreconditionError(error.reason, error.message, { field: `identifiers[${error.index}]` });
  if (error instanceof SegmentExistsError) throw new AlreadyExistsError('SEGMENT_ALREADY_EXISTS', error.message);
  if (error instanceof VersionMismatchError) throw new AbortedError('VERSION_MISMATCH', error.message, { current_version: String(error.currentVersion) });
  if (error instanceof ConcurrentChangeError) throw new AbortedError('CONCURRENT_CHANGE', error.message);
  if (error instanceof RequestIdReusedError) {
    throw new InvalidArgumentError([{ field: 'request_id', description: error.message, reason: 'REUSED' }], 'REQUEST_ID_REUSED');
  }
  if (error instanceof InvalidPageTokenError) {
    throw new InvalidArgumentError([{ field: 'page_token', description: 'is not a token of this query', reason: 'INVALID_FORMAT' }]);
  }
  if (error instanceof TraitsTooLargeError) {
    throw new InvalidArgumentError([{ field: 'set', description: error.message, reason: 'TOO_LARGE' }], 'TRAITS_TOO_LARGE');
  }
  throw error;
}

/** Throws the collected violations; otherwise returns the validated value (which exists when nothing was violated). */
function validated<T>(v: Violations, value: T | undefined): T {
  v.throwIfAny();
  if (value === undefined) throw new Error('validation produced no value and no violation'); // a bug in validation.ts
  return value;
}

/** Runs a handler body, mapping its errors. */
async function guarded<R>(body: () => Promise<R>): Promise<R> {
  try {
    return await body();
  } catch (error) {
    return mapError(error);
  }
}

function resolveResponse(r: ResolveResult): identityV1.ResolveResponse {
  return {
    profile: r.profile ? profileToProto(r.profile) : undefined,
    matchType: matchTypeToProto(r.matchType),
    assurance: assuranceToProto(r.assurance),
    created: r.created,
    merges: r.merges.map(mergeToProto),
    linkedIdentifiers: r.linked.map(identifierToProto),
    conflicts: r.conflicts.map(conflictToProto),
    identifierOutcomes: r.outcomes.map(outcomeToProto),
  };
}

const profileOf = (p: identityV1.Profile | undefined): string[] => (p ? [p.profileId] : []);

/** The IdentityService registration for the kit's gRPC server. */
export function identityRegistration(app: IdentityApplication): ServiceRegistration<Definition> {
  const region = async (tenantId: string) => (await app.settings(tenantId)).policy.policy.defaultPhoneRegion;

  return {
    definition: identityV1.IdentityServiceService,
    scopes: {
      resolve: IDENTITY_SCOPES.write,
      getProfile: IDENTITY_SCOPES.read,
      batchGetProfiles: IDENTITY_SCOPES.read,
      searchProfiles: IDENTITY_SCOPES.read,
      updateTraits: IDENTITY_SCOPES.write,
      linkIdentifiers: IDENTITY_SCOPES.write,
      mergeProfiles: IDENTITY_SCOPES.write,
      unmergeProfiles: IDENTITY_SCOPES.write,
      listMergeHistory: IDENTITY_SCOPES.read,
      getMergePolicy: IDENTITY_SCOPES.read,
      updateMergePolicy: IDENTITY_SCOPES.admin,
      createSegment: IDENTITY_SCOPES.admin,
      getSegment: IDENTITY_SCOPES.read,
      listSegments: IDENTITY_SCOPES.read,
      updateSegment: IDENTITY_SCOPES.admin,
      deleteSegment: IDENTITY_SCOPES.admin,
      eraseProfile: IDENTITY_SCOPES.admin,
    },
    handlers: {
      resolve: (req: identityV1.ResolveRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          const observed = checkObservedIdentifiers(v, req.identifiers, await region(ctx.tenantId));
          checkChannel(v, req.channel);
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('Resolve', req, identityV1.ResolveRequest, identityV1.ResolveResponse, (r) => [
            ...profileOf(r.profile),
            ...r.merges.map((m) => m.mergedProfileId),
          ]);
          return app.resolve(ctx.tenantId, ctx.subject, observed, output(resolveResponse, idem));
        }),

      getProfile: (req: identityV1.GetProfileRequest, ctx: CallContext) =>
        guarded(async (): Promise<identityV1.GetProfileResponse> => {
          const v = new Violations();
          checkProfileId(v, 'profile_id', req.profileId);
          v.throwIfAny();
          const found = await app.getProfile(ctx.tenantId, req.profileId);
          return { profile: profileToProto(found.profile), redirected: found.redirected };
        }),

      batchGetProfiles: (req: identityV1.BatchGetProfilesRequest, ctx: CallContext) =>
        guarded(async (): Promise<identityV1.BatchGetProfilesResponse> => {
          const v = new Violations();
          if (req.profileIds.length === 0) v.add('profile_ids', 'at least one profile id is required', 'REQUIRED');
          if (v.maxItems('profile_ids', req.profileIds, LIMITS.batchGet)) req.profileIds.forEach((id, i) => checkProfileId(v, `profile_ids[${i}]`, id));
          v.throwIfAny();
          const found = await app.batchGetProfiles(ctx.tenantId, req.profileIds, req.allowMissing);
          return { profiles: found.profiles.map(profileToProto), missingProfileIds: found.missing };
        }),

      searchProfiles: (req: identityV1.SearchProfilesRequest, ctx: CallContext) =>
        guarded(async (): Promise<identityV1.SearchProfilesResponse> => {
          const v = new Violations();
          const set = [req.identifier, req.traitCondition, req.segmentId].filter((q) => q !== undefined).length;
          if (set !== 1) v.add('query', 'exactly one of identifier, trait_condition and segment_id must be set', set === 0 ? 'REQUIRED' : 'CONFLICTING');
          const page = checkPage(v, req);
          if (set === 1 && req.identifier) {
            const id = checkIdentifierQuery(v, req.identifier, await region(ctx.tenantId));
            if (req.pageToken !== '') v.add('page_token', 'an identifier search has a single page', 'INVALID_FORMAT');
            const holder = await app.findByKey(ctx.tenantId, validated(v, id).key);
            return { profiles: holder ? [profileToProto(holder)] : [], nextPageToken: '' };
          }
          if (set === 1 && req.traitCondition) {
            const condition = checkCondition(v, 'trait_condition', req.traitCondition);
            const found = await app.searchProfiles(ctx.tenantId, { condition: validated(v, condition) }, page);
            return { profiles: found.items.map(profileToProto), nextPageToken: found.nextPageToken };
          }
          if (set === 1) v.pattern('segment_id', req.segmentId, SEGMENT_ID, 'a segment id (lower-kebab)');
          const found = await app.searchProfiles(ctx.tenantId, { segmentId: validated(v, req.segmentId) }, page);
          return { profiles: found.items.map(profileToProto), nextPageToken: found.nextPageToken };
        }),

      updateTraits: (req: identityV1.UpdateTraitsRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          checkProfileId(v, 'profile_id', req.profileId);
          const traits = checkTraitUpdate(v, req.set, req.remove);
          checkExpectedVersion(v, req.expectedVersion);
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('UpdateTraits', req, identityV1.UpdateTraitsRequest, identityV1.UpdateTraitsResponse, (r) => profileOf(r.profile));
          return app.updateTraits(
            ctx.tenantId,
            ctx.subject,
            { profileId: req.profileId, set: traits.set, remove: traits.remove, expectedVersion: req.expectedVersion },
            output((r): identityV1.UpdateTraitsResponse => ({ profile: profileToProto(r.profile), enteredSegmentIds: r.entered, leftSegmentIds: r.left }), idem),
          );
        }),

      linkIdentifiers: (req: identityV1.LinkIdentifiersRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          checkProfileId(v, 'profile_id', req.profileId);
          const observed = checkObservedIdentifiers(v, req.identifiers, await region(ctx.tenantId));
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('LinkIdentifiers', req, identityV1.LinkIdentifiersRequest, identityV1.LinkIdentifiersResponse, (r) => profileOf(r.profile));
          return app.linkIdentifiers(
            ctx.tenantId,
            ctx.subject,
            { profileId: req.profileId, observed },
            output((r): identityV1.LinkIdentifiersResponse => ({ profile: profileToProto(r.profile), linkedIdentifiers: r.linked.map(identifierToProto) }), idem),
          );
        }),

      mergeProfiles: (req: identityV1.MergeProfilesRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          checkProfileId(v, 'surviving_profile_id', req.survivingProfileId);
          checkProfileId(v, 'merged_profile_id', req.mergedProfileId);
          if (!v.any && req.survivingProfileId === req.mergedProfileId) v.add('merged_profile_id', 'must differ from surviving_profile_id', 'SAME_PROFILE');
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('MergeProfiles', req, identityV1.MergeProfilesRequest, identityV1.MergeProfilesResponse, (r) => [
            ...profileOf(r.survivingProfile),
            req.mergedProfileId,
          ]);
          return app.mergeProfiles(
            ctx.tenantId,
            ctx.subject,
            { survivorId: req.survivingProfileId, mergedId: req.mergedProfileId },
            output((r): identityV1.MergeProfilesResponse => ({ merge: mergeToProto(r.record), survivingProfile: profileToProto(r.survivor) }), idem),
          );
        }),

      unmergeProfiles: (req: identityV1.UnmergeProfilesRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          if (v.required('merge_id', req.mergeId)) v.pattern('merge_id', req.mergeId, MERGE_ID, 'a merge id (mrg_...)');
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('UnmergeProfiles', req, identityV1.UnmergeProfilesRequest, identityV1.UnmergeProfilesResponse, (r) => [
            ...profileOf(r.survivingProfile),
            ...profileOf(r.restoredProfile),
          ]);
          return app.unmergeProfiles(
            ctx.tenantId,
            ctx.subject,
            req.mergeId,
            output(
              (r): identityV1.UnmergeProfilesResponse => ({ merge: mergeToProto(r.record), survivingProfile: profileToProto(r.survivor), restoredProfile: profileToProto(r.restored) }),
              idem,
            ),
          );
        }),

      listMergeHistory: (req: identityV1.ListMergeHistoryRequest, ctx: CallContext) =>
        guarded(async (): Promise<identityV1.ListMergeHistoryResponse> => {
          const v = new Violations();
          checkProfileId(v, 'profile_id', req.profileId);
          const asked = checkPage(v, req);
          v.throwIfAny();
          const page = await app.listMergeHistory(ctx.tenantId, req.profileId, asked);
          return { merges: page.items.map(mergeToProto), nextPageToken: page.nextPageToken };
        }),

      getMergePolicy: (_req: identityV1.GetMergePolicyRequest, ctx: CallContext) =>
        guarded(async (): Promise<identityV1.GetMergePolicyResponse> => ({ policy: policyToProto(await app.getPolicy(ctx.tenantId)) })),

      updateMergePolicy: (req: identityV1.UpdateMergePolicyRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          const policy = checkPolicy(v, req.policy);
          checkExpectedVersion(v, req.expectedVersion);
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('UpdateMergePolicy', req, identityV1.UpdateMergePolicyRequest, identityV1.UpdateMergePolicyResponse, () => []);
          return app.updatePolicy(
            ctx.tenantId,
            ctx.subject,
            { policy: validated(v, policy), expectedVersion: req.expectedVersion },
            output((p): identityV1.UpdateMergePolicyResponse => ({ policy: policyToProto(p) }), idem),
          );
        }),

      createSegment: (req: identityV1.CreateSegmentRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          const segment = checkSegment(v, req.segment);
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('CreateSegment', req, identityV1.CreateSegmentRequest, identityV1.CreateSegmentResponse, () => []);
          return app.changeSegment(
            ctx.tenantId,
            { kind: 'create', segment: validated(v, segment) },
            output((r): identityV1.CreateSegmentResponse => ({ segment: r.segment ? segmentToProto(r.segment) : undefined, memberCount: r.memberCount }), idem),
          );
        }),

      getSegment: (req: identityV1.GetSegmentRequest, ctx: CallContext) =>
        guarded(async (): Promise<identityV1.GetSegmentResponse> => {
          const v = new Violations();
          checkSegmentId(v, req.segmentId);
          v.throwIfAny();
          return { segment: segmentToProto(await app.getSegment(ctx.tenantId, req.segmentId)) };
        }),

      listSegments: (req: identityV1.ListSegmentsRequest, ctx: CallContext) =>
        guarded(async (): Promise<identityV1.ListSegmentsResponse> => {
          const v = new Violations();
          const asked = checkPage(v, req);
          v.throwIfAny();
          const page = await app.listSegments(ctx.tenantId, asked);
          return { segments: page.items.map(segmentToProto), nextPageToken: page.nextPageToken };
        }),

      updateSegment: (req: identityV1.UpdateSegmentRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          const segment = checkSegment(v, req.segment);
          checkExpectedVersion(v, req.expectedVersion);
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('UpdateSegment', req, identityV1.UpdateSegmentRequest, identityV1.UpdateSegmentResponse, () => []);
          return app.changeSegment(
            ctx.tenantId,
            { kind: 'update', segment: validated(v, segment), expectedVersion: req.expectedVersion },
            output((r): identityV1.UpdateSegmentResponse => ({ segment: r.segment ? segmentToProto(r.segment) : undefined, memberCount: r.memberCount }), idem),
          );
        }),

      deleteSegment: (req: identityV1.DeleteSegmentRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          checkSegmentId(v, req.segmentId);
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('DeleteSegment', req, identityV1.DeleteSegmentRequest, identityV1.DeleteSegmentResponse, () => []);
          return app.changeSegment(
            ctx.tenantId,
            { kind: 'delete', segmentId: req.segmentId },
            output((r): identityV1.DeleteSegmentResponse => ({ formerMemberCount: r.memberCount }), idem),
          );
        }),

      eraseProfile: (req: identityV1.EraseProfileRequest, ctx: CallContext) =>
        guarded(async () => {
          const v = new Violations();
          checkProfileId(v, 'profile_id', req.profileId);
          v.maxLength('privacy_request_id', req.privacyRequestId, LIMITS.privacyRequestId);
          checkRequestId(v, req.requestId);
          v.throwIfAny();
          const idem = idempotent('EraseProfile', req, identityV1.EraseProfileRequest, identityV1.EraseProfileResponse, () => []);
          return app.eraseProfile(
            ctx.tenantId,
            { profileId: req.profileId, privacyRequestId: req.privacyRequestId },
            output((r): identityV1.EraseProfileResponse => r, idem),
          );
        }),
    },
  };
}
