import { latestPerKey } from './facts';
import type { Case, CapturedFact, JourneyDefinition, JourneyInstance, Touchpoint } from './types';

/** The customer's likely reason for contact. */
export interface LikelyIntent {
  readonly intent: string;
  /** 0..1. */
  readonly confidence: number;
  readonly source: 'active_journey' | 'recent_touchpoint' | 'fact' | 'open_case';
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * Infers why the customer is likely getting in touch, strongest evidence first:
 * 1. an active journey whose definition names an intent (fresher activity = more confidence);
 * 2. the intent of a recent touchpoint (within 7 days);
 * 3. a `contact_reason` / `intent` fact (the customer said why);
 * 4. an open case (the customer is probably chasing it).
 */
export function inferIntent(input: {
  activeJourneys: readonly JourneyInstance[];
  definitions: ReadonlyMap<string, JourneyDefinition>;
  recentTouchpointsNewestFirst: readonly Touchpoint[];
  facts: readonly CapturedFact[];
  openCases: readonly Case[];
  now: Date;
}): LikelyIntent | undefined {
  const now = input.now.getTime();
  const journeys = [...input.activeJourneys].sort((a, b) => b.lastActivityTime.getTime() - a.lastActivityTime.getTime());
  for (const journey of journeys) {
    const intent = input.definitions.get(journey.journeyDefinitionId)?.intent;
    if (!intent) continue;
    const age = now - journey.lastActivityTime.getTime();
    return { intent, confidence: age <= HOUR ? 0.9 : age <= DAY ? 0.75 : 0.6, source: 'active_journey' };
  }
  for (const t of input.recentTouchpointsNewestFirst) {
    if (!t.intent) continue;
    const age = now - t.occurredAt.getTime();
    if (age > 7 * DAY) break;
    return { intent: t.intent, confidence: age <= DAY ? 0.7 : 0.5, source: 'recent_touchpoint' };
  }
  const latest = latestPerKey(input.facts);
  const said = latest.get('contact_reason') ?? latest.get('intent');
  if (said && /^[a-z][a-z0-9_]*$/.test(said.value)) return { intent: said.value, confidence: 0.5, source: 'fact' };
  if (input.openCases.some((c) => c.status !== 'closed')) return { intent: 'case_follow_up', confidence: 0.4, source: 'open_case' };
  return undefined;
}
