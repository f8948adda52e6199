import { assembleContext, factsForPurpose, type CapturedFact, type ContextView, type Purpose } from '../domain';
import { factFromDoc } from '../store/facts';
import { profileView } from '../store/profiles';
import { repositoriesFor } from '../store/repositories';
import type { CoreDeps } from './deps';
import { resolveOwner } from './owners';

export interface ContextRequest {
  readonly profileId: string;
  readonly purpose: Purpose;
  readonly touchpointLimit: number;
  readonly factLimit: number;
}

/**
 * Assembles a customer's context from this service's own collections and its read model of
 * identity: the owner's profile, then four indexed reads in parallel (and the definitions of its
 * active journeys), no call to any other service.
 */
export async function getContext(deps: CoreDeps, tenantId: string, request: ContextRequest): Promise<ContextView> {
  const repos = repositoriesFor(deps.store, tenantId);
  const owner = await resolveOwner(repos, request.profileId);
  const now = deps.clock();
  if (owner.erased) {
    return assembleContext({
      profileId: owner.profileId, profile: undefined, journeys: [], definitions: new Map(), cases: [], recentTouchpointsNewestFirst: [], facts: [],
      touchpointCount: 0, purpose: request.purpose, factLimit: request.factLimit, now,
    });
  }
  const profileId = owner.profileId;
  const [journeys, cases, recent, factDocs] = await Promise.all([
    repos.journeys.activeForProfile(profileId),
    repos.cases.openForProfile(profileId),
    repos.touchpoints.recent(profileId, request.touchpointLimit),
    repos.facts.forProfile(profileId),
  ]);
  const definitions = await repos.definitions.getMany([...new Set(journeys.map((j) => j.journeyDefinitionId))]);
  const doc = owner.doc;
  return assembleContext({
    profileId,
    profile: profileView(doc),
    journeys,
    definitions,
    cases,
    recentTouchpointsNewestFirst: recent,
    facts: factDocs.map(factFromDoc),
    lastAgent: doc?.lastAgentId && doc.lastAgentAt ? { agentId: doc.lastAgentId, at: doc.lastAgentAt } : undefined,
    bestTouchpointAssurance: doc?.bestTouchpointAssurance,
    touchpointCount: doc?.touchpointCount ?? recent.length,
    purpose: request.purpose,
    factLimit: request.factLimit,
    now,
  });
}

/** The facts a purpose allows: latest per key, ordered by key. */
export async function getFacts(deps: CoreDeps, tenantId: string, profileId: string, purpose: Purpose, keys: readonly string[]): Promise<{ facts: CapturedFact[]; withheldCount: number }> {
  const repos = repositoriesFor(deps.store, tenantId);
  const owner = await resolveOwner(repos, profileId);
  if (owner.erased) return { facts: [], withheldCount: 0 };
  // Only the keys asked for are read (factsForPurpose would drop the others).
  const docs = keys.length > 0 ? await repos.facts.forKeys(owner.profileId, keys) : await repos.facts.forProfile(owner.profileId);
  const result = factsForPurpose(docs.map(factFromDoc), purpose, { keys });
  return { facts: result.facts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), withheldCount: result.withheldCount };
}
