import { commonV1, contextV1, identityV1, routingV1 } from '@continuum/contracts';
import { channelWord, enumWord } from './labels';
import { candidatesTable, contextFields, explanationFields, journeyFields, profileFields, timelineTable } from './views';

const now = new Date('2025-03-01T10:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

describe('labels', () => {
  it('turn enum values into words and survive unknown values', () => {
    expect(channelWord(commonV1.Channel.CHANNEL_MOBILE_APP)).toBe('mobile app');
    expect(enumWord(commonV1.Channel, 99, 'CHANNEL_')).toBe('#99');
  });
});

describe('profileFields', () => {
  it('shows name, identifiers with their proof, segments and other traits', () => {
    const profile = identityV1.Profile.fromPartial({
      profileId: 'prf_1',
      identifiers: [{ type: identityV1.IdentifierType.IDENTIFIER_TYPE_PHONE, value: '+34612345678', verifiedLevel: commonV1.AssuranceLevel.ASSURANCE_LEVEL_VERIFIED }],
      traits: { first_name: 'María', last_name: 'López', lifetime_value: 840 },
      segmentIds: [],
      createTime: minutesAgo(60 * 24 * 3),
    });
    expect(profileFields(profile, now)).toEqual([
      ['profile', 'prf_1'],
      ['name', 'María López'],
      ['company', undefined],
      ['identifiers', 'PHONE +34612345678 (VERIFIED)'],
      ['segments', 'none'],
      ['traits', 'lifetime_value=840'],
      ['since', '3 days ago'],
    ]);
  });
});

describe('contextFields', () => {
  it('shows who, the journey and its last step, facts, intent and next action', () => {
    const context = contextV1.GetContextResponse.fromPartial({
      profile: { profileId: 'prf_1', segmentIds: ['vip'], bestAssurance: commonV1.AssuranceLevel.ASSURANCE_LEVEL_ASSERTED },
      activeJourneys: [
        {
          journeyId: 'jrn_1',
          journeyDefinitionId: 'return-item',
          displayName: 'Return an item',
          currentStepId: 'label-printed',
          currentStepDisplayName: 'Label printed',
          channelsUsed: [commonV1.Channel.CHANNEL_WEB],
          lastActivityTime: minutesAgo(22),
        },
      ],
      facts: [{ key: 'order_number', value: 'A-10492', sourceChannel: commonV1.Channel.CHANNEL_WEB, capturedAt: minutesAgo(23) }],
      likelyIntent: { intent: 'return_item', confidence: 0.9, source: 'active_journey' },
      nextBestAction: { action: 'book_pickup', description: 'Book a courier pickup for the parcel' },
      touchpointCount: 4,
    });
    expect(contextFields(context, now)).toEqual([
      ['customer', 'prf_1'],
      ['segments', 'vip'],
      ['assurance', 'ASSERTED'],
      ['journeys', 'Return an item: at "Label printed" via web, 22 min ago'],
      ['open cases', undefined],
      ['known facts', 'order_number = A-10492  (web, 23 min ago)'],
      ['withheld', undefined],
      ['intent', 'return_item (90 %, from active journey)'],
      ['last agent', undefined],
      ['next action', 'Book a courier pickup for the parcel'],
      ['timeline', '4 touchpoint(s)'],
    ]);
  });

  it('puts the name the desktop read from identity before the profile id', () => {
    const context = contextV1.GetContextResponse.fromPartial({ profile: { profileId: 'prf_1', anonymous: false } });
    expect(new Map(contextFields(context, now, 'María López')).get('customer')).toBe('María López, prf_1');
  });

  it('says so when nothing is in progress or known', () => {
    const fields = new Map(contextFields(contextV1.GetContextResponse.fromPartial({}), now));
    expect(fields.get('journeys')).toBe('none in progress');
    expect(fields.get('known facts')).toBe('none');
  });
});

describe('timelineTable', () => {
  it('lists touchpoints with time, channel, direction, summary, step and agent', () => {
    const table = timelineTable(
      [
        contextV1.Touchpoint.fromPartial({
          occurredAt: minutesAgo(22),
          channel: commonV1.Channel.CHANNEL_WEB,
          direction: commonV1.Direction.DIRECTION_INBOUND,
          summary: 'printed the label',
          journeyStepId: 'label-printed',
        }),
        contextV1.Touchpoint.fromPartial({ occurredAt: now, channel: commonV1.Channel.CHANNEL_VOICE, direction: 1, intent: 'return_item', agentId: 'agt-ana' }),
      ],
      now,
    );
    expect(table.rows).toEqual([
      ['22 min ago', 'web', 'inbound', 'printed the label', 'label-printed', ''],
      ['now', 'voice', 'inbound', 'return_item', '', 'agt-ana'],
    ]);
  });
});

describe('journeyFields', () => {
  it('counts channel switches', () => {
    const journey = contextV1.JourneyInstance.fromPartial({
      journeyId: 'jrn_1',
      journeyDefinitionId: 'return-item',
      status: contextV1.JourneyStatus.JOURNEY_STATUS_ACTIVE,
      channelsUsed: [commonV1.Channel.CHANNEL_WEB, commonV1.Channel.CHANNEL_VOICE],
      visits: [
        { stepId: 'started', channel: commonV1.Channel.CHANNEL_WEB },
        { stepId: 'pickup-booked', channel: commonV1.Channel.CHANNEL_VOICE },
      ],
    });
    expect(journeyFields(journey)).toEqual([
      ['journey', 'return-item (jrn_1)'],
      ['status', 'active'],
      ['steps', 'started (web) → pickup-booked (voice)'],
      ['channels', 'web, voice — 1 channel switch'],
    ]);
  });
});

describe('explanation views', () => {
  const explanation = routingV1.Explanation.fromPartial({
    stage: routingV1.RoutingStage.ROUTING_STAGE_TEAM,
    summary: 'case owner agt-chen away for 1 s: offered to his team',
    preferredAgentId: 'agt-chen',
    preference: routingV1.PreferenceKind.PREFERENCE_KIND_CASE_OWNER,
    teamId: 'b2b-engineers',
    requirements: [{ skill: 'b2b-support', minProficiency: 3 }],
    priority: { queuePriority: 20, priorityHint: 0, segmentBoost: 0, aging: 0.5, effective: 20.5 },
    contextAvailable: true,
    selectedAgentId: 'agt-dana',
    policyVersion: 2,
    candidates: [
      { agentId: 'agt-dana', verdict: routingV1.CandidateVerdict.CANDIDATE_VERDICT_SELECTED, reason: 'ONLY_CANDIDATE', detail: 'only one' },
      { agentId: 'agt-chen', verdict: routingV1.CandidateVerdict.CANDIDATE_VERDICT_REJECTED, reason: 'NOT_AVAILABLE', detail: 'presence away' },
    ],
  });

  it('explain stage, preference, needs and the priority sum', () => {
    expect(explanationFields(explanation)).toEqual([
      ['decision', 'offered to agt-dana'],
      ['why', 'case owner agt-chen away for 1 s: offered to his team'],
      ['stage', 'team'],
      ['preferred', 'agt-chen (case owner)'],
      ['team', 'b2b-engineers'],
      ['ring', undefined],
      ['needs', 'b2b-support ≥ 3'],
      ['priority', '20.5 = queue 20 + hint 0 + segment 0 + aging 0.5'],
      ['segments', undefined],
      ['context', 'asked'],
      ['policy', 'v2'],
    ]);
  });

  it('list candidates with verdict and reason', () => {
    expect(candidatesTable(explanation).rows).toEqual([
      ['agt-dana', 'selected', 'ONLY_CANDIDATE', 'only one'],
      ['agt-chen', 'rejected', 'NOT_AVAILABLE', 'presence away'],
    ]);
  });

  it('say when there is no explanation or the task waits', () => {
    expect(explanationFields(undefined)).toEqual([['explanation', 'none given']]);
    expect(new Map(explanationFields(routingV1.Explanation.fromPartial({ stage: routingV1.RoutingStage.ROUTING_STAGE_QUEUE, ring: 1 }))).get('decision')).toBe(
      'waiting: no eligible agent now',
    );
  });
});
