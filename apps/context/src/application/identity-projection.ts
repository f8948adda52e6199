import { identityV1 } from '@continuum/contracts';
import type { EventEnvelope } from '@continuum/events';
import type { StoreSession } from '@continuum/store';
import { assuranceRank, planMerge, planUnmerge, strongerAssurance, type Assurance, type MergeEdges } from '../domain';
import { ProfileDataErased } from '../events/context-events';
import {
  IdentifiersLinked,
  ProfileCreated,
  ProfileErased,
  ProfilesMerged,
  ProfilesUnmerged,
  SegmentMembershipChanged,
  TraitsChanged,
} from '../events/identity-events';
import { payloadIf as payload } from '../events/payload';
import { assurances } from '../mapping';
import type { ProfileDoc } from '../store/collections';
import { repositoriesFor, type TenantRepositories } from '../store/repositories';
import type { CoreDeps } from './deps';
import type { ContextChangeNotice } from './watch-hub';

/** Who to tell once the projection's transaction has committed. */
export interface ProjectionNotice {
  readonly tenantId: string;
  readonly profileIds: readonly string[];
  readonly notice: ContextChangeNotice;
}

/** Identifier types that make a profile known (not anonymous) as soon as they are linked. */
const KNOWN_TYPES = new Set<number>([
  identityV1.IdentifierType.IDENTIFIER_TYPE_LOGIN,
  identityV1.IdentifierType.IDENTIFIER_TYPE_ACCOUNT,
  identityV1.IdentifierType.IDENTIFIER_TYPE_CRM,
  identityV1.IdentifierType.IDENTIFIER_TYPE_EMAIL,
  identityV1.IdentifierType.IDENTIFIER_TYPE_PHONE,
]);

function bestVerified(identifiers: readonly identityV1.Identifier[]): Assurance {
  let best: Assurance = 'none';
  for (const id of identifiers) best = strongerAssurance(best, assurances.domain(id.verifiedLevel)) ?? best;
  return best;
}

function makesKnown(identifiers: readonly identityV1.Identifier[]): boolean {
  return identifiers.some((i) => KNOWN_TYPES.has(i.type) || assuranceRank(assurances.domain(i.verifiedLevel)) >= assuranceRank('verified'));
}

/** The read-model fields a full identity profile gives. */
function fromProfile(p: identityV1.Profile): Partial<ProfileDoc> {
  return {
    knownToIdentity: true,
    anonymous: p.anonymous,
    segmentIds: [...p.segmentIds],
    bestAssurance: bestVerified(p.identifiers),
    identityVersion: p.version,
  };
}

/**
 * Keeps this service's picture of identity: the profile read model (anonymous flag, segments,
 * best assurance, merges) and the ownership of every record. Runs inside the inbox transaction
 * that records the event as applied, so each event has its effect exactly once.
 */
export class IdentityProjection {
  constructor(private readonly deps: CoreDeps) {}

  /** Applies one identity event; returns the watchers to notify after commit. */
  async apply(envelope: EventEnvelope, session: StoreSession): Promise<ProjectionNotice[]> {
    const repos = repositoriesFor(this.deps.store, envelope.tenantId);
    const tenantId = envelope.tenantId;
    const profileNotice = (ids: readonly string[]): ProjectionNotice[] => [{ tenantId, profileIds: ids, notice: { kind: 'profile', id: '' } }];

    const created = payload(ProfileCreated, envelope);
    if (created?.profile) {
      // One write, no read: events of one profile arrive in order, so nothing newer can be there.
      const p = created.profile;
      const { identityVersion: _v, ...fields } = fromProfile(p);
      await repos.profiles.upsert(p.profileId, fields, session, { $max: { identityVersion: p.version } });
      return profileNotice([p.profileId]);
    }
    const linked = payload(IdentifiersLinked, envelope);
    if (linked) {
      const current = await repos.profiles.get(linked.profileId, { session });
      await repos.profiles.upsert(
        linked.profileId,
        {
          knownToIdentity: true,
          anonymous: (current?.anonymous ?? true) && !makesKnown(linked.identifiers),
          bestAssurance: strongerAssurance(current?.bestAssurance, bestVerified(linked.identifiers)) ?? 'none',
          identityVersion: Math.max(current?.identityVersion ?? 0, linked.version),
        },
        session,
      );
      return profileNotice([linked.profileId]);
    }
    const segments = payload(SegmentMembershipChanged, envelope);
    if (segments) {
      await repos.profiles.upsert(segments.profileId, { knownToIdentity: true, segmentIds: [...segments.segmentIds] }, session);
      return profileNotice([segments.profileId]);
    }
    const traits = payload(TraitsChanged, envelope);
    if (traits) {
      // Traits themselves stay in identity; segments (their consequence) arrive separately.
      await repos.profiles.upsert(traits.profileId, { knownToIdentity: true }, session);
      return [];
    }
    const merged = payload(ProfilesMerged, envelope);
    if (merged?.merge) return this.merge(repos, merged, session);
    const unmerged = payload(ProfilesUnmerged, envelope);
    if (unmerged?.merge) return this.unmerge(repos, unmerged, session);
    const erased = payload(ProfileErased, envelope);
    if (erased) return this.erase(repos, erased, envelope.eventId, session);
    return [];
  }

  /** The merge edges below `rootProfileIds` (profiles merged into them, transitively). */
  private async edgesBelow(repos: TenantRepositories, rootProfileIds: readonly string[], session: StoreSession): Promise<Map<string, string>> {
    const edges = new Map<string, string>();
    let frontier = [...rootProfileIds];
    while (frontier.length > 0) {
      const children = await repos.profiles.mergedInto(frontier, { session });
      frontier = [];
      for (const child of children) {
        if (child.mergedIntoProfileId && !edges.has(child.profileId)) {
          edges.set(child.profileId, child.mergedIntoProfileId);
          frontier.push(child.profileId);
        }
      }
    }
    return edges;
  }

  /** The merge edges above `profileId` (what it is merged into, transitively). */
  private async edgesAbove(repos: TenantRepositories, profileId: string, session: StoreSession): Promise<Map<string, string>> {
    const edges = new Map<string, string>();
    let current = await repos.profiles.get(profileId, { session });
    while (current?.mergedIntoProfileId && !edges.has(current.profileId)) {
      edges.set(current.profileId, current.mergedIntoProfileId);
      current = await repos.profiles.get(current.mergedIntoProfileId, { session });
    }
    return edges;
  }

  private async moveRecords(repos: TenantRepositories, from: string, origins: readonly string[], to: string, session: StoreSession): Promise<void> {
    await repos.touchpoints.move(from, origins, to, session);
    await repos.facts.move(from, origins, to, session);
    await repos.journeys.move(from, origins, to, session);
    await repos.cases.move(from, origins, to, session);
  }

  /** Rebuilds the timeline summary (count, last agent, best assurance) of a profile after a move. */
  private async refreshSummary(repos: TenantRepositories, profileId: string, session: StoreSession): Promise<void> {
    const [count, lastAgent, levels] = await Promise.all([
      repos.touchpoints.count(profileId, { session }),
      repos.touchpoints.latestWithAgent(profileId, { session }),
      repos.touchpoints.assurances(profileId, { session }),
    ]);
    const best = levels.reduce<Assurance | undefined>((b, l) => strongerAssurance(b, l), undefined);
    const set: Partial<ProfileDoc> = { touchpointCount: count };
    // `recent`: the newest-keys array earlier versions kept (GetContext now walks the timeline index).
    const unset: Record<string, ''> = { recent: '' };
    if (lastAgent?.agentId) {
      set.lastAgentId = lastAgent.agentId;
      set.lastAgentAt = lastAgent.occurredAt;
    } else {
      unset['lastAgentId'] = '';
      unset['lastAgentAt'] = '';
    }
    if (best) set.bestTouchpointAssurance = best;
    else unset['bestTouchpointAssurance'] = '';
    await repos.profiles.upsert(profileId, set, session, { $inc: { summaryVersion: 1 }, $unset: unset });
  }

  private async merge(repos: TenantRepositories, event: identityV1.ProfilesMergedEvent, session: StoreSession): Promise<ProjectionNotice[]> {
    const merge = event.merge;
    if (!merge) return [];
    const mergedId = merge.mergedProfileId;
    const survivorId = merge.survivingProfileId;
    const edges: MergeEdges = await this.edgesBelow(repos, [mergedId], session);
    const move = planMerge(edges, mergedId, survivorId);
    await this.moveRecords(repos, move.fromProfileId, move.originProfileIds, move.toProfileId, session);
    await repos.profiles.upsert(mergedId, { mergedIntoProfileId: survivorId }, session);
    await repos.profiles.upsert(survivorId, event.survivingProfile ? fromProfile(event.survivingProfile) : { knownToIdentity: true }, session, {
      $addToSet: { mergedProfileIds: mergedId },
    });
    await this.refreshSummary(repos, survivorId, session);
    await this.refreshSummary(repos, mergedId, session);
    return [{ tenantId: repos.tenantId, profileIds: [survivorId, mergedId, ...edges.keys()], notice: { kind: 'profile', id: '' } }];
  }

  private async unmerge(repos: TenantRepositories, event: identityV1.ProfilesUnmergedEvent, session: StoreSession): Promise<ProjectionNotice[]> {
    const merge = event.merge;
    if (!merge) return [];
    const restoredId = merge.mergedProfileId;
    const survivorId = merge.survivingProfileId;
    const edges = new Map([...(await this.edgesBelow(repos, [restoredId], session)), ...(await this.edgesAbove(repos, survivorId, session))]);
    edges.set(restoredId, survivorId);
    const move = planUnmerge(edges, restoredId, survivorId);
    await this.moveRecords(repos, move.fromProfileId, move.originProfileIds, move.toProfileId, session);
    await repos.profiles.upsert(restoredId, event.restoredProfile ? fromProfile(event.restoredProfile) : {}, session, { $unset: { mergedIntoProfileId: '' } });
    await repos.profiles.upsert(survivorId, event.survivingProfile ? fromProfile(event.survivingProfile) : {}, session, { $pull: { mergedProfileIds: restoredId } });
    await this.refreshSummary(repos, move.fromProfileId, session);
    await this.refreshSummary(repos, restoredId, session);
    return [{ tenantId: repos.tenantId, profileIds: [restoredId, survivorId, move.fromProfileId, ...move.originProfileIds], notice: { kind: 'profile', id: '' } }];
  }

  private async erase(repos: TenantRepositories, event: identityV1.ProfileErasedEvent, eventId: string, session: StoreSession): Promise<ProjectionNotice[]> {
    const below = await this.edgesBelow(repos, [event.profileId, ...event.mergedProfileIds], session);
    const ids = [...new Set([event.profileId, ...event.mergedProfileIds, ...below.keys()])];
    const caseIds = await repos.cases.idsOf(ids, { session });
    const touchpoints = await repos.touchpoints.deleteForProfiles(ids, session);
    const journeys = await repos.journeys.deleteForProfiles(ids, session);
    const cases = await repos.cases.deleteForProfiles(ids, session);
    const facts = await repos.facts.deleteForProfiles(ids, session);
    await repos.requests.deleteForResources(caseIds, session);
    // A profile these were merged into no longer lists them.
    const parent = (await repos.profiles.get(event.profileId, { session }))?.mergedIntoProfileId;
    await repos.profiles.delete(ids, session);
    if (parent) await repos.profiles.upsert(parent, {}, session, { $pull: { mergedProfileIds: event.profileId } });
    // Tombstones (the id only) keep late touchpoints of an erased profile from bringing it back.
    for (const id of ids) {
      await repos.profiles.upsert(id, { erased: true, knownToIdentity: false, anonymous: true, segmentIds: [], mergedProfileIds: [], touchpointCount: 0, summaryVersion: 0 }, session);
    }
    if (parent) await this.refreshSummary(repos, parent, session);
    await this.deps.outbox.append(session, ProfileDataErased, {
      tenantId: repos.tenantId,
      subjectProfileId: event.profileId,
      causationId: eventId,
      payload: {
        profileId: event.profileId,
        mergedProfileIds: ids.filter((id) => id !== event.profileId),
        privacyRequestId: event.privacyRequestId,
        touchpointsDeleted: touchpoints,
        journeysDeleted: journeys,
        casesDeleted: cases,
        factsDeleted: facts,
      },
    });
    return [{ tenantId: repos.tenantId, profileIds: ids, notice: { kind: 'erased', id: '' } }];
  }
}
