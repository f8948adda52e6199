import { factsForPurpose, purposeAllows } from './facts';
import { inferIntent, type LikelyIntent } from './intent';
import { abandonTime, evaluateAbandonment, nextStep, stepIndex } from './journey';
import { nextBestAction, type NextBestAction } from './next-best-action';
import { lastAgent } from './timeline';
import {
  strongerAssurance,
  type Assurance,
  type CapturedFact,
  type Case,
  type Channel,
  type JourneyDefinition,
  type JourneyInstance,
  type ProfileView,
  type Purpose,
  type Touchpoint,
} from './types';

/** An active journey as channels need it. */
export interface ActiveJourneyView {
  readonly journeyId: string;
  readonly journeyDefinitionId: string;
  readonly displayName: string;
  readonly currentStepId: string;
  readonly currentStepDisplayName: string;
  readonly channelsUsed: readonly Channel[];
  readonly lastActivityTime: Date;
  readonly intent: string;
  readonly nextStepId: string;
  readonly abandonTime: Date;
}

/** Everything GetContext answers, in domain terms. */
export interface ContextView {
  readonly profile: {
    readonly profileId: string;
    readonly anonymous: boolean;
    readonly segmentIds: readonly string[];
    readonly bestAssurance: Assurance | undefined;
    readonly knownToIdentity: boolean;
    readonly mergedProfileIds: readonly string[];
  };
  readonly activeJourneys: readonly ActiveJourneyView[];
  readonly openCases: readonly Case[];
  readonly recentTouchpoints: readonly Touchpoint[];
  readonly facts: readonly CapturedFact[];
  readonly withheldFactCount: number;
  readonly likelyIntent: LikelyIntent | undefined;
  readonly lastAgent: { agentId: string; at: Date } | undefined;
  readonly nextBestAction: NextBestAction | undefined;
  readonly touchpointCount: number;
  readonly asOf: Date;
}

export interface ContextInput {
  readonly profileId: string;
  readonly profile: ProfileView | undefined;
  /** Journeys stored as active (some may have crossed their abandon time since). */
  readonly journeys: readonly JourneyInstance[];
  readonly definitions: ReadonlyMap<string, JourneyDefinition>;
  /** Open and pending cases. */
  readonly cases: readonly Case[];
  readonly recentTouchpointsNewestFirst: readonly Touchpoint[];
  /** Candidate facts (any number per key; the latest wins). */
  readonly facts: readonly CapturedFact[];
  /** The agent of the latest touchpoint a person handled, if the caller keeps it (else found among the recent touchpoints). */
  readonly lastAgent?: { readonly agentId: string; readonly at: Date };
  /** Best assurance seen on any touchpoint. */
  readonly bestTouchpointAssurance?: Assurance;
  readonly touchpointCount: number;
  readonly purpose: Purpose;
  readonly factLimit: number;
  readonly now: Date;
}

/** Touchpoint facts a purpose may not see are removed from the touchpoints returned. */
function redactTouchpoint(t: Touchpoint, purpose: Purpose): Touchpoint {
  if (t.facts.every((f) => purposeAllows(purpose, f.sensitivity))) return t;
  return { ...t, facts: t.facts.filter((f) => purposeAllows(purpose, f.sensitivity)) };
}

/** Assembles a customer's context from what the repositories loaded. Pure: `now` is given. */
export function assembleContext(input: ContextInput): ContextView {
  const active = input.journeys
    .filter((j) => {
      const definition = input.definitions.get(j.journeyDefinitionId);
      return definition !== undefined && evaluateAbandonment(j, definition, input.now).instance.status === 'active';
    })
    .sort((a, b) => b.lastActivityTime.getTime() - a.lastActivityTime.getTime());
  const activeJourneys = active.flatMap((j): ActiveJourneyView[] => {
    const definition = input.definitions.get(j.journeyDefinitionId);
    if (!definition) return [];
    const current = definition.steps[stepIndex(definition, j.currentStepId)];
    return [{
      journeyId: j.journeyId,
      journeyDefinitionId: j.journeyDefinitionId,
      displayName: definition.displayName,
      currentStepId: j.currentStepId,
      currentStepDisplayName: current?.displayName ?? '',
      channelsUsed: j.channelsUsed,
      lastActivityTime: j.lastActivityTime,
      intent: definition.intent,
      nextStepId: nextStep(definition, j.currentStepId)?.stepId ?? '',
      abandonTime: abandonTime(j, definition),
    }];
  });
  const openCases = input.cases.filter((c) => c.status !== 'closed').sort((a, b) => b.updateTime.getTime() - a.updateTime.getTime());
  const { facts, withheldCount } = factsForPurpose(input.facts, input.purpose, { limit: input.factLimit });
  const agent = input.lastAgent ?? lastAgent(input.recentTouchpointsNewestFirst);
  const touchpointAssurance = input.recentTouchpointsNewestFirst.reduce<Assurance | undefined>((best, t) => strongerAssurance(best, t.assurance), input.bestTouchpointAssurance);
  return {
    profile: {
      profileId: input.profileId,
      anonymous: input.profile?.anonymous ?? true,
      segmentIds: input.profile?.segmentIds ?? [],
      bestAssurance: strongerAssurance(input.profile?.knownToIdentity ? input.profile.bestAssurance : undefined, touchpointAssurance),
      knownToIdentity: input.profile?.knownToIdentity ?? false,
      mergedProfileIds: input.profile?.mergedProfileIds ?? [],
    },
    activeJourneys,
    openCases,
    recentTouchpoints: input.recentTouchpointsNewestFirst.map((t) => redactTouchpoint(t, input.purpose)),
    facts,
    withheldFactCount: withheldCount,
    likelyIntent: inferIntent({
      activeJourneys: active,
      definitions: input.definitions,
      recentTouchpointsNewestFirst: input.recentTouchpointsNewestFirst,
      facts: input.facts,
      openCases,
      now: input.now,
    }),
    lastAgent: agent,
    nextBestAction: nextBestAction(active, input.definitions, openCases, input.now),
    touchpointCount: input.touchpointCount,
    asOf: input.now,
  };
}
