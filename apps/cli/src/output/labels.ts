import { commonV1, contextV1, identityV1, routingV1 } from '@continuum/contracts';

/**
 * Words for people instead of proto enum names: `CHANNEL_WEB` → `web`. Unknown numbers (a newer
 * server) still render, as `#7`, instead of breaking the output.
 */
export function enumWord(values: Record<string | number, string | number>, value: number, prefix: string): string {
  const name = values[value];
  if (typeof name !== 'string') return `#${value}`;
  return name.startsWith(prefix) ? name.slice(prefix.length).toLowerCase().replaceAll('_', ' ') : name.toLowerCase();
}

export const channelWord = (c: commonV1.Channel): string => enumWord(commonV1.Channel, c, 'CHANNEL_');
export const assuranceWord = (a: commonV1.AssuranceLevel): string => enumWord(commonV1.AssuranceLevel, a, 'ASSURANCE_LEVEL_').toUpperCase();
export const directionWord = (d: commonV1.Direction): string => enumWord(commonV1.Direction, d, 'DIRECTION_');
export const matchWord = (m: identityV1.MatchType): string => enumWord(identityV1.MatchType, m, 'MATCH_TYPE_');
export const identifierTypeWord = (t: identityV1.IdentifierType): string => enumWord(identityV1.IdentifierType, t, 'IDENTIFIER_TYPE_').toUpperCase();
export const taskStatusWord = (s: routingV1.TaskStatus): string => enumWord(routingV1.TaskStatus, s, 'TASK_STATUS_');
export const stageWord = (s: routingV1.RoutingStage): string => enumWord(routingV1.RoutingStage, s, 'ROUTING_STAGE_');
export const preferenceWord = (p: routingV1.PreferenceKind): string => enumWord(routingV1.PreferenceKind, p, 'PREFERENCE_KIND_');
export const verdictWord = (v: routingV1.CandidateVerdict): string => enumWord(routingV1.CandidateVerdict, v, 'CANDIDATE_VERDICT_');
export const presenceWord = (p: routingV1.Presence): string => enumWord(routingV1.Presence, p, 'PRESENCE_');
export const journeyStatusWord = (s: contextV1.JourneyStatus): string => enumWord(contextV1.JourneyStatus, s, 'JOURNEY_STATUS_');
export const caseStatusWord = (s: contextV1.CaseStatus): string => enumWord(contextV1.CaseStatus, s, 'CASE_STATUS_');
