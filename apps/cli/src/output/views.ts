import { routingV1, type contextV1, type identityV1 } from '@continuum/contracts';
import {
  assuranceWord,
  caseStatusWord,
  channelWord,
  directionWord,
  identifierTypeWord,
  journeyStatusWord,
  preferenceWord,
  presenceWord,
  stageWord,
  taskStatusWord,
  verdictWord,
} from './labels';
import { arrow, relativeTime, shortNumber, type Fields } from './render';

/**
 * What each party's screen shows, as fields and table rows built from API answers. Pure: the
 * same answers and clock give the same text (unit-tested), and `inspect` reuses them.
 */

/** A table: header and rows. */
export interface TableView {
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

/** The person's name from the profile's traits (`first_name`, `last_name`), or '' when unknown. */
export function personName(profile: identityV1.Profile | undefined): string {
  const traits = (profile?.traits ?? {}) as Record<string, unknown>;
  return [traits['first_name'], traits['last_name']].filter((v) => typeof v === 'string').join(' ');
}

/** A profile as an agent desktop shows it: name from traits, identifiers, segments. */
export function profileFields(profile: identityV1.Profile, now: Date): Fields {
  const traits = (profile.traits ?? {}) as Record<string, unknown>;
  const name = personName(profile);
  const company = typeof traits['company'] === 'string' ? traits['company'] : undefined;
  return [
    ['profile', profile.profileId + (profile.anonymous ? ' (anonymous)' : '')],
    ['name', name || undefined],
    ['company', company],
    ['identifiers', profile.identifiers.map((i) => `${identifierTypeWord(i.type)} ${i.value} (${assuranceWord(i.verifiedLevel)})`).join('\n') || undefined],
    ['segments', profile.segmentIds.join(', ') || 'none'],
    ['traits', traitSummary(traits)],
    ['since', profile.createTime ? relativeTime(profile.createTime, now) : undefined],
  ];
}

function traitSummary(traits: Record<string, unknown>): string | undefined {
  const shown = Object.entries(traits).filter(([key]) => !['first_name', 'last_name', 'company'].includes(key));
  return shown.length === 0 ? undefined : shown.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** The context an agent or channel reads: who, what is in progress, what is known, what to do next. */
export function contextFields(context: contextV1.GetContextResponse, now: Date, name = ''): Fields {
  const profile = context.profile;
  const journeys = context.activeJourneys.map(
    (j) =>
      `${j.displayName || j.journeyDefinitionId}: at "${j.currentStepDisplayName || j.currentStepId}" via ${j.channelsUsed.map(channelWord).join(', ')}` +
      (j.lastActivityTime ? `, ${relativeTime(j.lastActivityTime, now)}` : ''),
  );
  const cases = context.openCases.map((c) => `${c.caseId} "${c.subject}" owner ${c.ownerAgentId || 'none'} (${caseStatusWord(c.status)})`);
  const facts = context.facts.map((f) => `${f.key} = ${f.value}  (${channelWord(f.sourceChannel)}, ${relativeTime(f.capturedAt, now)})`);
  const intent = context.likelyIntent?.intent
    ? `${context.likelyIntent.intent} (${Math.round(context.likelyIntent.confidence * 100)} %, from ${context.likelyIntent.source.replaceAll('_', ' ')})`
    : undefined;
  const action = context.nextBestAction?.action ? `${context.nextBestAction.description || context.nextBestAction.action}` : undefined;
  return [
    ['customer', profile ? `${name ? `${name}, ` : ''}${profile.profileId}${profile.anonymous ? ' (anonymous)' : ''}` : undefined],
    ['segments', profile && profile.segmentIds.length > 0 ? profile.segmentIds.join(', ') : undefined],
    ['assurance', profile ? assuranceWord(profile.bestAssurance) : undefined],
    ['journeys', journeys.join('\n') || 'none in progress'],
    ['open cases', cases.join('\n') || undefined],
    ['known facts', facts.join('\n') || 'none'],
    ['withheld', context.withheldFactCount > 0 ? `${context.withheldFactCount} fact(s) not allowed for this purpose` : undefined],
    ['intent', intent],
    ['last agent', context.lastAgentId ? `${context.lastAgentId} (${relativeTime(context.lastAgentTime, now)})` : undefined],
    ['next action', action],
    ['timeline', `${context.touchpointCount} touchpoint(s)`],
  ];
}

/** Touchpoints as a timeline table, in the order given. */
export function timelineTable(touchpoints: readonly contextV1.Touchpoint[], now: Date): TableView {
  return {
    header: ['when', 'channel', 'dir', 'what', 'journey step', 'agent'],
    rows: touchpoints.map((t) => [
      relativeTime(t.occurredAt, now),
      channelWord(t.channel),
      directionWord(t.direction),
      t.summary || t.intent || '-',
      t.journeyStepId || '',
      t.agentId || '',
    ]),
  };
}

/** A journey instance: where it is, how it got there, which channels. */
export function journeyFields(journey: contextV1.JourneyInstance): Fields {
  const switches = Math.max(0, journey.channelsUsed.length - 1);
  return [
    ['journey', `${journey.journeyDefinitionId} (${journey.journeyId})`],
    ['status', journeyStatusWord(journey.status)],
    ['steps', arrow(journey.visits.map((v) => `${v.stepId} (${channelWord(v.channel)})`))],
    ['channels', `${journey.channelsUsed.map(channelWord).join(', ')} — ${switches} channel switch${switches === 1 ? '' : 'es'}`],
  ];
}

/** A task's state, for the supervisor. */
export function taskFields(task: routingV1.Task): Fields {
  return [
    ['task', task.taskId],
    ['status', taskStatusWord(task.status)],
    ['queue', `${task.queueId} (${channelWord(task.channel)})`],
    ['agent', task.agentId || undefined],
    ['case', task.caseId || undefined],
    ['segments', task.segmentIds.join(', ') || undefined],
    ['intent', task.intent || undefined],
    ['offers made', task.offerCount > 0 ? task.offerCount : undefined],
  ];
}

/** Why a task went (or would go) where it did: stage, preference, ring, priority. */
export function explanationFields(explanation: routingV1.Explanation | undefined): Fields {
  if (!explanation) return [['explanation', 'none given']];
  const p = explanation.priority;
  const priority = p
    ? `${shortNumber(p.effective)} = queue ${p.queuePriority} + hint ${p.priorityHint} + segment ${p.segmentBoost} + aging ${shortNumber(p.aging)}`
    : undefined;
  const preferred = explanation.preferredAgentId ? `${explanation.preferredAgentId} (${preferenceWord(explanation.preference).replaceAll('_', ' ')})` : undefined;
  return [
    ['decision', explanation.selectedAgentId ? `offered to ${explanation.selectedAgentId}` : 'waiting: no eligible agent now'],
    ['why', explanation.summary || undefined],
    ['stage', stageWord(explanation.stage).replaceAll('_', ' ')],
    ['preferred', preferred],
    ['team', explanation.teamId || undefined],
    ['ring', explanation.stage === routingV1.RoutingStage.ROUTING_STAGE_QUEUE ? String(explanation.ring) : undefined],
    ['needs', explanation.requirements.map((r) => `${r.skill} ≥ ${r.minProficiency}`).join(', ') || undefined],
    ['priority', priority],
    ['segments', explanation.segmentIds.join(', ') || undefined],
    ['context', explanation.contextAvailable ? 'asked' : 'UNAVAILABLE — routed on the task alone'],
    ['policy', `v${explanation.policyVersion}`],
  ];
}

/** The candidates a decision looked at, best first. */
export function candidatesTable(explanation: routingV1.Explanation | undefined): TableView {
  return {
    header: ['agent', 'verdict', 'reason', 'detail'],
    rows: (explanation?.candidates ?? []).map((c) => [c.agentId, verdictWord(c.verdict).replaceAll('_', ' '), c.reason, c.detail]),
  };
}

/** An agent's presence and load per channel. */
export function agentFields(agent: routingV1.Agent): Fields {
  return [
    ['agent', `${agent.agentId} — ${agent.displayName}`],
    ['team', agent.teamId || undefined],
    ['skills', agent.skills.map((s) => `${s.skill} ${s.proficiency}`).join(', ')],
    ['presence', `${presenceWord(agent.presence)}${agent.connected ? ', connected' : ', not connected'}`],
    ['load', agent.load.map((l) => `${channelWord(l.channel)} ${l.active}/${l.effectiveMaxConcurrent}`).join(', ') || 'idle'],
  ];
}

/** A case: owner, channels, how many touchpoints. */
export function caseFields(c: contextV1.Case): Fields {
  return [
    ['case', `${c.caseId} "${c.subject}"`],
    ['status', caseStatusWord(c.status)],
    ['owner', `${c.ownerAgentId || 'none'}${c.teamId ? ` (team ${c.teamId})` : ''}`],
    ['channels', c.channels.map(channelWord).join(', ') || 'none yet'],
    ['touchpoints', String(c.touchpointCount)],
  ];
}
