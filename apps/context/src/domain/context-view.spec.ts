import { assembleContext, type ContextInput } from './context-view';
import { startJourney } from './journey';
import { T0, at, fact, returnItem, touchpoint } from './test-data.test-util';
import type { Case } from './types';

const openCase: Case = {
  caseId: 'cas_1', profileId: 'prf_a', originProfileId: 'prf_a', subject: 'Broken router', status: 'open', ownerAgentId: 'agent-chen', teamId: 'team-net',
  channels: ['voice'], touchpointCount: 1, openTime: T0, updateTime: T0, resolution: '', version: 1,
};

function input(over: Partial<ContextInput> = {}): ContextInput {
  const journey = startJourney(returnItem, { journeyId: 'jrn_1', profileId: 'prf_a', originProfileId: 'prf_a' }, { stepId: 'label-printed', channel: 'web', touchpointId: 'tp1', occurredAt: at(0) }, at(0)).instance;
  return {
    profileId: 'prf_a',
    profile: { profileId: 'prf_a', anonymous: false, segmentIds: ['vip'], bestAssurance: 'verified', mergedProfileIds: ['prf_cookie'], knownToIdentity: true },
    journeys: [journey],
    definitions: new Map([[returnItem.journeyDefinitionId, returnItem]]),
    cases: [],
    recentTouchpointsNewestFirst: [
      touchpoint('tp2', 2, { channel: 'voice', agentId: 'agent-ana', assurance: 'asserted', facts: [fact('card_last4', '4242', 2, { sensitivity: 'sensitive' }), fact('order_number', '1234', 2)] }),
      touchpoint('tp1', 0, { intent: 'return_item' }),
    ],
    facts: [fact('card_last4', '4242', 2, { sensitivity: 'sensitive' }), fact('order_number', '1234', 2)],
    touchpointCount: 2,
    purpose: 'marketing',
    factLimit: 50,
    now: at(10),
    ...over,
  };
}

describe('assembleContext', () => {
  it('gives who, what is in progress, what happened, what is known, intent, last agent and next best action', () => {
    const view = assembleContext(input());
    expect(view.profile).toMatchObject({ profileId: 'prf_a', anonymous: false, segmentIds: ['vip'], bestAssurance: 'verified', mergedProfileIds: ['prf_cookie'] });
    expect(view.activeJourneys).toEqual([expect.objectContaining({ journeyId: 'jrn_1', currentStepId: 'label-printed', nextStepId: 'parcel-dropped', channelsUsed: ['web'], abandonTime: at(60) })]);
    expect(view.likelyIntent).toEqual({ intent: 'return_item', confidence: 0.9, source: 'active_journey' });
    expect(view.nextBestAction).toMatchObject({ action: 'share_drop_off_points', journeyId: 'jrn_1', targetStepId: 'parcel-dropped' });
    expect(view.lastAgent).toEqual({ agentId: 'agent-ana', at: at(2) });
  });

  it('withholds sensitive facts from a marketing caller, also inside touchpoints, and shows them for service', () => {
    const marketing = assembleContext(input());
    expect(marketing.facts.map((f) => f.key)).toEqual(['order_number']);
    expect(marketing.withheldFactCount).toBe(1);
    expect(marketing.recentTouchpoints[0]?.facts.map((f) => f.key)).toEqual(['order_number']);
    const service = assembleContext(input({ purpose: 'service' }));
    expect(service.facts.map((f) => f.key).sort()).toEqual(['card_last4', 'order_number']);
    expect(service.recentTouchpoints[0]?.facts).toHaveLength(2);
  });

  it('drops journeys that went idle past their abandon time and falls back to the case for the action', () => {
    const view = assembleContext(input({ now: at(61), cases: [openCase], recentTouchpointsNewestFirst: [] , facts: []}));
    expect(view.activeJourneys).toEqual([]);
    expect(view.nextBestAction).toMatchObject({ action: 'follow_up_case' });
    expect(view.likelyIntent).toEqual({ intent: 'case_follow_up', confidence: 0.4, source: 'open_case' });
    expect(view.openCases.map((c) => c.ownerAgentId)).toEqual(['agent-chen']);
  });

  it('an unknown profile is anonymous with the best assurance its touchpoints showed', () => {
    const view = assembleContext(input({ profile: undefined, journeys: [] }));
    expect(view.profile).toMatchObject({ anonymous: true, knownToIdentity: false, segmentIds: [], bestAssurance: 'asserted' });
    expect(view.likelyIntent).toMatchObject({ intent: 'return_item', source: 'recent_touchpoint' });
  });
});
