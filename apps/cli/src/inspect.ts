import { commonV1, contextV1, identityV1, routingV1 } from '@continuum/contracts';
import type { InspectKind, Target } from './args';
import { renderPartyLine, renderTable } from './output/render';
import { candidatesTable, contextFields, explanationFields, journeyFields, profileFields, taskFields, timelineTable } from './output/views';
import { connect, type Platform } from './platform/connection';

const SERVICE_OF: Record<InspectKind, 'identity' | 'context' | 'routing'> = { profile: 'identity', context: 'context', task: 'routing' };

/**
 * `inspect profile|context|task <id>`: one read against the owning service. Returns the text to
 * print (human) or the answer as proto JSON (--json).
 */
export async function inspect(what: InspectKind, id: string, target: Target, json: boolean, now = new Date(), connectTo = connect): Promise<string> {
  const platform: Platform = await connectTo(target, [SERVICE_OF[what]]);
  try {
    switch (what) {
      case 'profile':
        return await inspectProfile(platform, id, json, now);
      case 'context':
        return await inspectContext(platform, id, json, now);
      case 'task':
        return await inspectTask(platform, id, json);
    }
  } finally {
    platform.close();
  }
}

async function inspectProfile(platform: Platform, id: string, json: boolean, now: Date): Promise<string> {
  const response = await platform.identity.getProfile(identityV1.GetProfileRequest.fromPartial({ profileId: id }));
  const history = await platform.identity.listMergeHistory(identityV1.ListMergeHistoryRequest.fromPartial({ profileId: response.profile?.profileId ?? id }));
  if (json) {
    return JSON.stringify({ profile: identityV1.GetProfileResponse.toJSON(response), mergeHistory: identityV1.ListMergeHistoryResponse.toJSON(history) }, null, 2);
  }
  const lines = renderPartyLine('platform', `profile ${id}${response.redirected ? ` (merged into ${response.profile?.profileId ?? '?'})` : ''}`, response.profile ? profileFields(response.profile, now) : []);
  if (history.merges.length > 0) {
    lines.push(
      ...renderPartyLine('platform', 'merge history (newest first)'),
      ...renderTable(
        ['merge', 'survivor', 'merged', 'rule', 'actor', 'undone'],
        history.merges.map((m) => [m.mergeId, m.survivingProfileId, m.mergedProfileId, m.rule, m.actor, m.unmergeTime ? 'yes' : '']),
      ),
    );
  }
  return lines.join('\n');
}

async function inspectContext(platform: Platform, id: string, json: boolean, now: Date): Promise<string> {
  const [context, journeys] = await Promise.all([
    platform.context.getContext(contextV1.GetContextRequest.fromPartial({ profileId: id, purpose: commonV1.Purpose.PURPOSE_SERVICE, touchpointLimit: 50 })),
    platform.context.listJourneys(contextV1.ListJourneysRequest.fromPartial({ profileId: id, pageSize: 20 })),
  ]);
  if (json) {
    return JSON.stringify({ context: contextV1.GetContextResponse.toJSON(context), journeys: contextV1.ListJourneysResponse.toJSON(journeys) }, null, 2);
  }
  const lines = renderPartyLine('agent', `context of ${id} (purpose: service)`, contextFields(context, now));
  for (const journey of journeys.journeys) lines.push(...renderPartyLine('agent', `journey ${journey.journeyId}`, journeyFields(journey)));
  const timeline = timelineTable([...context.recentTouchpoints].reverse(), now);
  lines.push(...renderPartyLine('agent', 'timeline (oldest first)'), ...renderTable(timeline.header, timeline.rows));
  return lines.join('\n');
}

async function inspectTask(platform: Platform, id: string, json: boolean): Promise<string> {
  const response = await platform.routing.getTask(routingV1.GetTaskRequest.fromPartial({ taskId: id }));
  if (json) return JSON.stringify(routingV1.GetTaskResponse.toJSON(response), null, 2);
  const task = response.task;
  if (!task) return `task ${id}: no answer`;
  const lines = renderPartyLine('supervisor', `task ${id}`, taskFields(task));
  lines.push(...renderPartyLine('supervisor', 'routing decision', explanationFields(task.explanation)));
  const candidates = candidatesTable(task.explanation);
  if (candidates.rows.length > 0) lines.push(...renderPartyLine('supervisor', 'candidates'), ...renderTable(candidates.header, candidates.rows));
  if (task.explanation && task.explanation.trail.length > 0) lines.push(...renderPartyLine('supervisor', 'trail', task.explanation.trail.map((t, i) => [`${i + 1}.`, t] as const)));
  return lines.join('\n');
}
