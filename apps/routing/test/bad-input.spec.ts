/**
 * Every invalid field of every RPC → INVALID_ARGUMENT naming the field, and nothing written.
 */
import { status } from '@grpc/grpc-js';
import { commonV1, routingV1 } from '@continuum/contracts';
import { agent, failure, queue, startRouting, submit, type CallAs, type RoutingClient, type RoutingFixture } from './fixture.test-util';

const CH = commonV1.Channel;
const R = routingV1;
/** An enum value the proto does not define (a newer client, or garbage). */
const unknown = <E>(n: number): E => n as unknown as E;

interface Seed {
  taskId: string;
  offerId: string;
}
type Call = (c: RoutingClient, o: CallAs, s: Seed) => Promise<unknown>;

const goodQueue = (p: Partial<routingV1.Queue> = {}): routingV1.Queue => queue('chat-new', CH.CHANNEL_CHAT, [['returns', 3]], p);
const goodAgent = (p: Partial<routingV1.Agent> = {}): routingV1.Agent => ({ ...agent('agt-new', [['returns', 5]], [[CH.CHANNEL_CHAT, 3]]), ...p });
const goodPolicy = (p: Partial<routingV1.RoutingPolicy> = {}): routingV1.RoutingPolicy =>
  R.RoutingPolicy.fromPartial({ agingPointsPerPatience: 10, preferredAgentWindowSeconds: 20, teamWindowSeconds: 20, rings: [{ afterSeconds: 30, proficiencyRelax: 2 }], rejectCooldownSeconds: 30, ...p });
const task = (p: Partial<routingV1.TaskSubmission> = {}): routingV1.TaskSubmission => R.TaskSubmission.fromPartial({ queueId: 'chat-returns', ...p });

const createQueue = (q: routingV1.Queue | undefined, requestId = ''): Call => (c, o) => c.createQueue({ queue: q, requestId }, o);
const createAgent = (a: routingV1.Agent | undefined): Call => (c, o) => c.createAgent({ agent: a, requestId: '' }, o);
const updatePolicy = (p: routingV1.RoutingPolicy | undefined, expectedVersion = 0): Call => (c, o) => c.updateRoutingPolicy({ policy: p, expectedVersion, requestId: '' }, o);
const submitTask = (t: routingV1.TaskSubmission | undefined, requestId = 'req-bad'): Call => (c, o) => c.submitTask({ task: t, requestId }, o);

/** Each invalid field of each RPC, and the field the error must name. */
const table: [rpc: string, what: string, field: string, call: Call][] = [
  ['CreateQueue', 'no queue', 'queue', createQueue(undefined)],
  ['CreateQueue', 'missing id', 'queue.queue_id', createQueue(goodQueue({ queueId: '' }))],
  ['CreateQueue', 'upper-case id', 'queue.queue_id', createQueue(goodQueue({ queueId: 'Chat' }))],
  ['CreateQueue', 'id too long', 'queue.queue_id', createQueue(goodQueue({ queueId: 'q'.repeat(65) }))],
  ['CreateQueue', 'missing display name', 'queue.display_name', createQueue(goodQueue({ displayName: ' ' }))],
  ['CreateQueue', 'display name too long', 'queue.display_name', createQueue(goodQueue({ displayName: 'd'.repeat(129) }))],
  ['CreateQueue', 'channel unset', 'queue.channel', createQueue(goodQueue({ channel: 0 }))],
  ['CreateQueue', 'unknown channel', 'queue.channel', createQueue(goodQueue({ channel: unknown<commonV1.Channel>(99) }))],
  ['CreateQueue', 'no service level', 'queue.service_level', createQueue(goodQueue({ serviceLevel: undefined }))],
  ['CreateQueue', 'service level fraction 0', 'queue.service_level.fraction', createQueue(goodQueue({ serviceLevel: { fraction: 0, thresholdSeconds: 20 } }))],
  ['CreateQueue', 'service level fraction > 1', 'queue.service_level.fraction', createQueue(goodQueue({ serviceLevel: { fraction: 1.5, thresholdSeconds: 20 } }))],
  ['CreateQueue', 'service level threshold 0', 'queue.service_level.threshold_seconds', createQueue(goodQueue({ serviceLevel: { fraction: 0.8, thresholdSeconds: 0 } }))],
  ['CreateQueue', 'patience 0', 'queue.patience_seconds', createQueue(goodQueue({ patienceSeconds: 0 }))],
  ['CreateQueue', 'patience > a day', 'queue.patience_seconds', createQueue(goodQueue({ patienceSeconds: 86_401 }))],
  ['CreateQueue', 'priority > 100', 'queue.priority', createQueue(goodQueue({ priority: 101 }))],
  ['CreateQueue', 'negative priority', 'queue.priority', createQueue(goodQueue({ priority: -1 }))],
  ['CreateQueue', 'skill empty', 'queue.required_skills[0].skill', createQueue(goodQueue({ requiredSkills: [{ skill: '', minProficiency: 3 }] }))],
  ['CreateQueue', 'skill with spaces', 'queue.required_skills[0].skill', createQueue(goodQueue({ requiredSkills: [{ skill: 'the returns', minProficiency: 3 }] }))],
  ['CreateQueue', 'proficiency 11', 'queue.required_skills[0].min_proficiency', createQueue(goodQueue({ requiredSkills: [{ skill: 'returns', minProficiency: 11 }] }))],
  ['CreateQueue', 'duplicate skill', 'queue.required_skills[1].skill', createQueue(goodQueue({ requiredSkills: [{ skill: 'a', minProficiency: 1 }, { skill: 'a', minProficiency: 2 }] }))],
  ['CreateQueue', '17 skills', 'queue.required_skills', createQueue(goodQueue({ requiredSkills: Array.from({ length: 17 }, (_, i) => ({ skill: `s${i}`, minProficiency: 1 })) }))],
  ['CreateQueue', 'request id with spaces', 'request_id', createQueue(goodQueue(), 'not ok')],
  ['CreateQueue', 'request id too long', 'request_id', createQueue(goodQueue(), 'r'.repeat(129))],

  ['UpdateQueue', 'patience 0', 'queue.patience_seconds', (c, o) => c.updateQueue({ queue: goodQueue({ queueId: 'chat-returns', patienceSeconds: 0 }), requestId: '' }, o)],
  ['GetQueue', 'missing id', 'queue_id', (c, o) => c.getQueue({ queueId: '' }, o)],
  ['GetQueue', 'malformed id', 'queue_id', (c, o) => c.getQueue({ queueId: 'a b' }, o)],
  ['ListQueues', 'page size 501', 'page_size', (c, o) => c.listQueues({ pageSize: 501, pageToken: '' }, o)],
  ['ListQueues', 'negative page size', 'page_size', (c, o) => c.listQueues({ pageSize: -1, pageToken: '' }, o)],
  ['ListQueues', 'forged page token', 'page_token', (c, o) => c.listQueues({ pageSize: 10, pageToken: 'not-a-token' }, o)],
  ['DeleteQueue', 'missing id', 'queue_id', (c, o) => c.deleteQueue({ queueId: '', requestId: '' }, o)],

  ['CreateAgent', 'no agent', 'agent', createAgent(undefined)],
  ['CreateAgent', 'missing id', 'agent.agent_id', createAgent(goodAgent({ agentId: '' }))],
  ['CreateAgent', 'id with spaces', 'agent.agent_id', createAgent(goodAgent({ agentId: 'agent chen' }))],
  ['CreateAgent', 'id too long', 'agent.agent_id', createAgent(goodAgent({ agentId: 'a'.repeat(129) }))],
  ['CreateAgent', 'missing display name', 'agent.display_name', createAgent(goodAgent({ displayName: '' }))],
  ['CreateAgent', 'team with spaces', 'agent.team_id', createAgent(goodAgent({ teamId: 'team b2b' }))],
  ['CreateAgent', 'proficiency 0', 'agent.skills[0].proficiency', createAgent(goodAgent({ skills: [{ skill: 'returns', proficiency: 0 }] }))],
  ['CreateAgent', 'proficiency 11', 'agent.skills[0].proficiency', createAgent(goodAgent({ skills: [{ skill: 'returns', proficiency: 11 }] }))],
  ['CreateAgent', 'duplicate skill', 'agent.skills[1].skill', createAgent(goodAgent({ skills: [{ skill: 'x', proficiency: 1 }, { skill: 'x', proficiency: 2 }] }))],
  ['CreateAgent', 'no capacities', 'agent.capacities', createAgent(goodAgent({ capacities: [] }))],
  ['CreateAgent', 'capacity channel unset', 'agent.capacities[0].channel', createAgent(goodAgent({ capacities: [{ channel: 0, maxConcurrent: 1 }] }))],
  ['CreateAgent', 'capacity 0', 'agent.capacities[0].max_concurrent', createAgent(goodAgent({ capacities: [{ channel: CH.CHANNEL_CHAT, maxConcurrent: 0 }] }))],
  ['CreateAgent', 'capacity 51', 'agent.capacities[0].max_concurrent', createAgent(goodAgent({ capacities: [{ channel: CH.CHANNEL_CHAT, maxConcurrent: 51 }] }))],
  [
    'CreateAgent',
    'duplicate channel',
    'agent.capacities[1].channel',
    createAgent(goodAgent({ capacities: [{ channel: CH.CHANNEL_CHAT, maxConcurrent: 1 }, { channel: CH.CHANNEL_CHAT, maxConcurrent: 2 }] })),
  ],
  ['UpdateAgent', 'no agent', 'agent', (c, o) => c.updateAgent({ agent: undefined, requestId: '' }, o)],
  ['GetAgent', 'missing id', 'agent_id', (c, o) => c.getAgent({ agentId: '' }, o)],
  ['ListAgents', 'team with spaces', 'team_id', (c, o) => c.listAgents({ teamId: 'a team', pageSize: 0, pageToken: '' }, o)],
  ['DeleteAgent', 'malformed id', 'agent_id', (c, o) => c.deleteAgent({ agentId: '../x', requestId: '' }, o)],
  ['SetPresence', 'presence unset', 'presence', (c, o) => c.setPresence({ agentId: 'agt-a', presence: 0, requestId: '' }, o)],
  ['SetPresence', 'unknown presence', 'presence', (c, o) => c.setPresence({ agentId: 'agt-a', presence: unknown<routingV1.Presence>(9), requestId: '' }, o)],
  ['SetPresence', 'missing agent id', 'agent_id', (c, o) => c.setPresence({ agentId: '', presence: R.Presence.PRESENCE_AVAILABLE, requestId: '' }, o)],

  ['UpdateRoutingPolicy', 'no policy', 'policy', updatePolicy(undefined)],
  ['UpdateRoutingPolicy', 'aging 0', 'policy.aging_points_per_patience', updatePolicy(goodPolicy({ agingPointsPerPatience: 0 }))],
  ['UpdateRoutingPolicy', 'window over an hour', 'policy.preferred_agent_window_seconds', updatePolicy(goodPolicy({ preferredAgentWindowSeconds: 3601 }))],
  ['UpdateRoutingPolicy', 'negative team window', 'policy.team_window_seconds', updatePolicy(goodPolicy({ teamWindowSeconds: -1 }))],
  ['UpdateRoutingPolicy', 'cooldown over an hour', 'policy.reject_cooldown_seconds', updatePolicy(goodPolicy({ rejectCooldownSeconds: 3601 }))],
  ['UpdateRoutingPolicy', 'ring at 0 s', 'policy.rings[0].after_seconds', updatePolicy(goodPolicy({ rings: [{ afterSeconds: 0, proficiencyRelax: 1, dropSecondarySkills: false }] }))],
  [
    'UpdateRoutingPolicy',
    'rings not increasing',
    'policy.rings[1].after_seconds',
    updatePolicy(goodPolicy({ rings: [{ afterSeconds: 30, proficiencyRelax: 1, dropSecondarySkills: false }, { afterSeconds: 30, proficiencyRelax: 2, dropSecondarySkills: false }] })),
  ],
  ['UpdateRoutingPolicy', 'relax 10', 'policy.rings[0].proficiency_relax', updatePolicy(goodPolicy({ rings: [{ afterSeconds: 30, proficiencyRelax: 10, dropSecondarySkills: false }] }))],
  ['UpdateRoutingPolicy', '9 rings', 'policy.rings', updatePolicy(goodPolicy({ rings: Array.from({ length: 9 }, (_, i) => ({ afterSeconds: i + 1, proficiencyRelax: 1, dropSecondarySkills: false })) }))],
  ['UpdateRoutingPolicy', 'segment id upper-case', 'policy.segment_rules[0].segment_id', updatePolicy(goodPolicy({ segmentRules: [{ segmentId: 'VIP', priorityBoost: 1, firstRingMinProficiency: 0, capacityOverrides: [] }] }))],
  ['UpdateRoutingPolicy', 'boost 101', 'policy.segment_rules[0].priority_boost', updatePolicy(goodPolicy({ segmentRules: [{ segmentId: 'vip', priorityBoost: 101, firstRingMinProficiency: 0, capacityOverrides: [] }] }))],
  ['UpdateRoutingPolicy', 'first ring 11', 'policy.segment_rules[0].first_ring_min_proficiency', updatePolicy(goodPolicy({ segmentRules: [{ segmentId: 'vip', priorityBoost: 1, firstRingMinProficiency: 11, capacityOverrides: [] }] }))],
  [
    'UpdateRoutingPolicy',
    'override channel unknown',
    'policy.segment_rules[0].capacity_overrides[0].channel',
    updatePolicy(goodPolicy({ segmentRules: [{ segmentId: 'vip', priorityBoost: 1, firstRingMinProficiency: 0, capacityOverrides: [{ channel: unknown<commonV1.Channel>(50), maxConcurrent: 1 }] }] })),
  ],
  [
    'UpdateRoutingPolicy',
    'duplicate segment',
    'policy.segment_rules[1].segment_id',
    updatePolicy(
      goodPolicy({
        segmentRules: [
          { segmentId: 'vip', priorityBoost: 1, firstRingMinProficiency: 0, capacityOverrides: [] },
          { segmentId: 'vip', priorityBoost: 2, firstRingMinProficiency: 0, capacityOverrides: [] },
        ],
      }),
    ),
  ],
  ['UpdateRoutingPolicy', 'negative expected version', 'expected_version', updatePolicy(goodPolicy(), -1)],

  ['SubmitTask', 'no request id', 'request_id', submitTask(task(), '')],
  ['SubmitTask', 'request id with spaces', 'request_id', submitTask(task(), 'a b')],
  ['SubmitTask', 'no task', 'task', submitTask(undefined)],
  ['SubmitTask', 'missing queue', 'task.queue_id', submitTask(task({ queueId: '' }))],
  ['SubmitTask', 'malformed queue', 'task.queue_id', submitTask(task({ queueId: 'Chat Returns' }))],
  ['SubmitTask', 'unknown channel', 'task.channel', submitTask(task({ channel: unknown<commonV1.Channel>(42) }))],
  ['SubmitTask', 'channel of another queue', 'task.channel', submitTask(task({ channel: CH.CHANNEL_VOICE }))],
  ['SubmitTask', 'hint 51', 'task.priority_hint', submitTask(task({ priorityHint: 51 }))],
  ['SubmitTask', 'hint -51', 'task.priority_hint', submitTask(task({ priorityHint: -51 }))],
  ['SubmitTask', 'profile id with spaces', 'task.profile_id', submitTask(task({ profileId: 'maria lopez' }))],
  ['SubmitTask', 'case id too long', 'task.case_id', submitTask(task({ caseId: 'c'.repeat(129) }))],
  ['SubmitTask', 'segment upper-case', 'task.segment_ids[0]', submitTask(task({ segmentIds: ['VIP'] }))],
  ['SubmitTask', '33 segments', 'task.segment_ids', submitTask(task({ segmentIds: Array.from({ length: 33 }, (_, i) => `s${i}`) }))],
  ['SubmitTask', 'intent not lower_snake', 'task.intent', submitTask(task({ intent: 'Return item' }))],
  ['SubmitTask', 'skill proficiency 11', 'task.required_skills[0].min_proficiency', submitTask(task({ requiredSkills: [{ skill: 'returns', minProficiency: 11 }] }))],
  ['SubmitTask', 'requested agent with spaces', 'task.requested_agent_id', submitTask(task({ requestedAgentId: 'agent a' }))],
  ['DryRun', 'no task', 'task', (c, o) => c.dryRun({ task: undefined }, o)],
  ['DryRun', 'missing queue', 'task.queue_id', (c, o) => c.dryRun({ task: task({ queueId: '' }) }, o)],

  ['CancelTask', 'missing id', 'task_id', (c, o) => c.cancelTask({ taskId: '', requestId: '' }, o)],
  ['GetTask', 'malformed id', 'task_id', (c, o) => c.getTask({ taskId: 'tsk 1' }, o)],
  ['ListTasks', 'unknown status', 'status', (c, o) => c.listTasks({ status: unknown<routingV1.TaskStatus>(12), queueId: '', agentId: '', pageSize: 0, pageToken: '' }, o)],
  ['ListTasks', 'malformed queue', 'queue_id', (c, o) => c.listTasks({ status: 0, queueId: 'Q!', agentId: '', pageSize: 0, pageToken: '' }, o)],
  ['ListTasks', 'page size 1000', 'page_size', (c, o) => c.listTasks({ status: 0, queueId: '', agentId: '', pageSize: 1000, pageToken: '' }, o)],
  ['AcceptOffer', 'missing agent', 'agent_id', (c, o, s) => c.acceptOffer({ agentId: '', offerId: s.offerId, taskId: s.taskId, requestId: '' }, o)],
  ['AcceptOffer', 'missing offer', 'offer_id', (c, o, s) => c.acceptOffer({ agentId: 'agt-a', offerId: '', taskId: s.taskId, requestId: '' }, o)],
  ['AcceptOffer', 'missing task', 'task_id', (c, o, s) => c.acceptOffer({ agentId: 'agt-a', offerId: s.offerId, taskId: '', requestId: '' }, o)],
  ['RejectOffer', 'reason not lower_snake', 'reason', (c, o, s) => c.rejectOffer({ agentId: 'agt-a', offerId: s.offerId, taskId: s.taskId, reason: 'Too Busy', requestId: '' }, o)],
  ['CompleteTask', 'outcome unset', 'outcome', (c, o, s) => c.completeTask({ agentId: 'agt-a', taskId: s.taskId, outcome: 0, wrapUpCode: '', requestId: '' }, o)],
  [
    'CompleteTask',
    'unknown outcome',
    'outcome',
    (c, o, s) => c.completeTask({ agentId: 'agt-a', taskId: s.taskId, outcome: unknown<routingV1.TaskOutcome>(7), wrapUpCode: '', requestId: '' }, o),
  ],
  ['CompleteTask', 'wrap-up code with spaces', 'wrap_up_code', (c, o, s) => c.completeTask({ agentId: 'agt-a', taskId: s.taskId, outcome: R.TaskOutcome.TASK_OUTCOME_RESOLVED, wrapUpCode: 'all good', requestId: '' }, o)],
];

describe('bad input: INVALID_ARGUMENT naming the field, nothing written', () => {
  let f: RoutingFixture;
  let o: CallAs;
  const seed: Seed = { taskId: '', offerId: '' };

  beforeAll(async () => {
    f = await startRouting();
    o = await f.as('acme');
    await f.client.createQueue({ queue: queue('chat-returns', CH.CHANNEL_CHAT, [['returns', 3]]), requestId: '' }, o);
    await f.client.createAgent({ agent: agent('agt-a', [['returns', 5]], [[CH.CHANNEL_CHAT, 3]]), requestId: '' }, o);
    const { task: t } = await submit(f.client, o, { queueId: 'chat-returns' }, 'seed-task');
    seed.taskId = t?.taskId ?? '';
    seed.offerId = `${seed.taskId}-o1`;
  });

  afterAll(() => f.stop());

  it.each(table)('%s: %s → %s', async (_rpc, _what, field, call) => {
    const before = await f.snapshot();
    const { error, details } = await failure(call(f.client, o, seed));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(details?.errorInfo?.domain).toBe('routing.continuum.dev');
    expect(details?.badRequest?.fieldViolations.map((v) => v.field)).toContain(field);
    expect(await f.snapshot()).toBe(before);
  });

  it('names every bad field of one request at once', async () => {
    const { details } = await failure(f.client.createQueue({ queue: goodQueue({ queueId: '', channel: 0, patienceSeconds: 0 }), requestId: '' }, o));
    expect(details?.badRequest?.fieldViolations.map((v) => v.field).sort()).toEqual(['queue.channel', 'queue.patience_seconds', 'queue.queue_id']);
  });
});
