import { abandonTime, nextStep } from './journey';
import type { Case, JourneyDefinition, JourneyInstance } from './types';

/** What a channel or agent should do next, and why. */
export interface NextBestAction {
  readonly action: string;
  readonly description: string;
  readonly journeyId: string;
  readonly targetStepId: string;
  readonly reason: string;
}

/**
 * The next best action comes from the journey the customer is most likely in: the active journey
 * with the latest activity, and its definition's next step. When that journey sits at its last
 * step (nothing to offer), the next most recent one is tried. Without any, an open case asks for
 * a follow-up by its owner.
 */
export function nextBestAction(
  activeJourneys: readonly JourneyInstance[],
  definitions: ReadonlyMap<string, JourneyDefinition>,
  openCases: readonly Case[],
  now: Date,
): NextBestAction | undefined {
  const byRecency = [...activeJourneys]
    .filter((j) => j.status === 'active')
    .sort((a, b) => b.lastActivityTime.getTime() - a.lastActivityTime.getTime());
  for (const journey of byRecency) {
    const definition = definitions.get(journey.journeyDefinitionId);
    if (!definition || abandonTime(journey, definition).getTime() <= now.getTime()) continue;
    const step = nextStep(definition, journey.currentStepId);
    if (!step) continue;
    return {
      action: step.action || `reach_${step.stepId.replace(/-/g, '_')}`,
      description: step.actionDescription || `Help the customer reach "${step.displayName || step.stepId}"`,
      journeyId: journey.journeyId,
      targetStepId: step.stepId,
      reason: `journey ${definition.journeyDefinitionId} is active at step ${journey.currentStepId}`,
    };
  }
  const openCase = [...openCases].filter((c) => c.status !== 'closed').sort((a, b) => b.updateTime.getTime() - a.updateTime.getTime())[0];
  if (openCase) {
    return {
      action: 'follow_up_case',
      description: openCase.ownerAgentId ? 'Follow up the open case with its owner' : 'Follow up the open case (no owner yet)',
      journeyId: '',
      targetStepId: '',
      reason: `case ${openCase.caseId} is ${openCase.status}`,
    };
  }
  return undefined;
}
