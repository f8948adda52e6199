import { contextV1, identityV1, routingV1 } from '@continuum/contracts';
import { ScenarioStepError } from '../errors';
import { assuranceWord } from '../output/labels';
import { shortNumber } from '../output/render';
import { agentFields, candidatesTable, explanationFields } from '../output/views';
import type { AgentDesk } from '../platform/agent-desk';
import type { ScenarioRun } from './scenario-run';
import {
  AssuranceLevel,
  Channel,
  completeTask,
  createOrGet,
  demoPhone,
  ensureQueue,
  getContext,
  getTask,
  IdentifierType,
  profileOf,
  recordTouchpoint,
  resolve,
  setPresence,
  setRoutingPolicy,
  setTraits,
  signIn,
  submitTask,
  takeOffer,
} from './steps';

export interface VipServiceResult {
  readonly vip: { readonly profileId: string; readonly taskId: string; readonly agentId: string };
  readonly regular: { readonly profileId: string; readonly taskId: string; readonly agentId: string };
  readonly seniorAgentId: string;
  readonly juniorAgentId: string;
  /** The regular task's state while the senior agent served the VIP (the 1:1 rule at work). */
  readonly regularWhileVipServed: { readonly status: string; readonly wouldGoTo: string; readonly seniorReason: string; readonly seniorLoad: string };
  /**
   * The supervisor's dry runs while the senior agent serves the VIP and the junior agent is free:
   * another VIP chat (needs proficiency ≥ 8) and the same chat from a regular customer.
   */
  readonly dryRun: {
    readonly agentId: string;
    readonly minProficiency: number;
    readonly juniorPresence: string;
    readonly juniorChatLoad: string;
    readonly juniorReason: string;
    readonly regularWouldGoTo: string;
  };
  readonly call: { readonly assurance: string; readonly segments: readonly string[]; readonly identificationSkipped: boolean; readonly touchpointId: string };
}

const SENIOR = 'agt-sofia';
const JUNIOR = 'agt-tom';
const CHAT_QUEUE = 'chat-support';
const VIP = 'vip';

/**
 * vip-service: a VIP and a regular customer start a chat at the same moment while no agent is
 * free. When the senior agent frees up, the VIP goes first, to the senior agent, who then takes
 * no other chat (VIP chat 1:1); the regular customer is served by the next agent who frees up
 * (aging keeps regular customers from starving). Then the VIP calls: caller ID recognizes her and
 * the IVR skips the identification questions.
 */
export async function playVipService(run: ScenarioRun): Promise<VipServiceResult> {
  const { reporter: r } = run;
  const vipPhone = demoPhone(run, '+33 6 12 34 56 78', (d) => `+33 6 12 ${d()}${d()} ${d()}${d()} ${d()}${d()}`);

  const setup = await run.interaction('setup', 'Segments, the chat queue and two agents', async () => {
    await createOrGet(
      () =>
        run.platform.identity.createSegment(
          identityV1.CreateSegmentRequest.fromPartial({
            segment: {
              segmentId: VIP,
              displayName: 'VIP (lifetime value ≥ 10,000)',
              conditions: [{ trait: 'lifetime_value', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_GTE, value: 10_000 }],
            },
            requestId: run.requestId('segment'),
          }),
        ),
      async () => ({}),
    );
    r.say('supervisor', 'segment vip = lifetime_value ≥ 10,000 (identity evaluates it on every trait change)');
    await ensureQueue(run, {
      queueId: CHAT_QUEUE,
      displayName: 'Support chat',
      channel: Channel.CHANNEL_CHAT,
      serviceLevel: { fraction: 0.8, thresholdSeconds: 30 },
      patienceSeconds: 60,
      priority: 10,
      requiredSkills: [{ skill: 'support', minProficiency: 3 }],
    });
    const policy = await setRoutingPolicy(run, {
      agingPointsPerPatience: 10,
      preferredAgentWindowSeconds: 0,
      teamWindowSeconds: 0,
      rejectCooldownSeconds: 30,
      segmentRules: [{ segmentId: VIP, priorityBoost: 50, firstRingMinProficiency: 8, capacityOverrides: [{ channel: Channel.CHANNEL_CHAT, maxConcurrent: 1 }] }],
    });
    r.say('supervisor', `routing policy v${policy?.version ?? '?'}`, [
      ['vip', 'priority +50, first ring only agents with proficiency ≥ 8, chat 1:1'],
      ['everyone', 'gains 10 priority points per 60 s waited (chat patience), so nobody starves'],
    ]);
    const desks = new Map<string, AgentDesk>();
    for (const agent of [
      { agentId: SENIOR, displayName: 'Sofia Marin', proficiency: 9 },
      { agentId: JUNIOR, displayName: 'Tom Becker', proficiency: 4 },
    ]) {
      const agentSpec = {
        agentId: agent.agentId,
        displayName: agent.displayName,
        teamId: 'support',
        skills: [{ skill: 'support', proficiency: agent.proficiency }],
        capacities: [
          { channel: Channel.CHANNEL_CHAT, maxConcurrent: 2 },
          { channel: Channel.CHANNEL_VOICE, maxConcurrent: 1 },
        ],
      };
      desks.set(agent.agentId, await signIn(run, agentSpec, routingV1.Presence.PRESENCE_AWAY));
    }
    r.say('supervisor', 'agents signed in, both still finishing other work (away)', [
      ['agents', `${SENIOR} Sofia Marin, support 9, 2 chats at once\n${JUNIOR} Tom Becker, support 4, 2 chats at once`],
    ]);

    const valentina = profileOf(
      await resolve(run, Channel.CHANNEL_WEB, [
        { type: IdentifierType.IDENTIFIER_TYPE_LOGIN, value: run.unique('valentina.rossi', '.'), proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
        { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: vipPhone, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
      ]),
    );
    const vipTraits = await setTraits(run, valentina.profileId, { first_name: 'Valentina', last_name: 'Rossi', lifetime_value: 25_400 });
    const rui = profileOf(
      await resolve(run, Channel.CHANNEL_WEB, [
        { type: IdentifierType.IDENTIFIER_TYPE_LOGIN, value: run.unique('rui.almeida', '.'), proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
      ]),
    );
    await setTraits(run, rui.profileId, { first_name: 'Rui', last_name: 'Almeida', lifetime_value: 310 });
    r.say('platform', 'two customers', [
      ['vip', `Valentina Rossi ${valentina.profileId}, lifetime value 25,400 → segments: ${vipTraits.profile?.segmentIds.join(', ') || 'none'}`],
      ['regular', `Rui Almeida ${rui.profileId}, lifetime value 310`],
    ]);
    // Routing learns segments from context, which learns them from identity's events.
    await run.waitFor('the vip segment to reach context', async () => {
      const context = await getContext(run, valentina.profileId);
      return context.profile?.segmentIds.includes(VIP) ? true : undefined;
    });
    return { desks, vipId: valentina.profileId, regularId: rui.profileId, vipLogin: run.unique('valentina.rossi', '.'), regularLogin: run.unique('rui.almeida', '.') };
  });
  const senior = setup.desks.get(SENIOR) as AgentDesk;
  const junior = setup.desks.get(JUNIOR) as AgentDesk;

  const startChat = (key: string, who: string, login: string, says: string) =>
    run.interaction(key, `${who} starts a chat`, async () => {
      const recognized = await resolve(run, Channel.CHANNEL_CHAT, [
        { type: IdentifierType.IDENTIFIER_TYPE_LOGIN, value: login, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
      ]);
      const profile = profileOf(recognized);
      r.say('customer', says);
      const task = await submitTask(run, { queueId: CHAT_QUEUE, channel: Channel.CHANNEL_CHAT, profileId: profile.profileId, intent: 'order_question' });
      r.say('channel', `chat ${task.taskId}: ${task.agentId ? `offered to ${task.agentId}` : 'waiting — no agent free'}`, [
        ['segments', task.segmentIds.join(', ') || 'none'],
        ['priority', task.explanation?.priority ? shortNumber(task.explanation.priority.effective) : undefined],
      ]);
      await recordTouchpoint(run, {
        touchpointId: run.id(key),
        profileId: profile.profileId,
        channel: Channel.CHANNEL_CHAT,
        intent: 'order_question',
        summary: 'started a support chat',
        assurance: recognized.assurance,
      });
      return task;
    });

  const regularTask = await startChat('regular-chat', 'Rui (regular)', setup.regularLogin, 'Rui: "where is my order?"');
  const vipTask = await startChat('vip-chat', 'Valentina (VIP), at the same moment,', setup.vipLogin, 'Valentina: "I need to change my delivery address"');

  // ── the senior agent frees up: the VIP goes first, and only the VIP ─────────────────────────
  const vipServed = await run.interaction('senior-free', 'Sofia (senior) frees up: one agent with free chat slots', async () => {
    await setPresence(run, SENIOR, routingV1.Presence.PRESENCE_AVAILABLE);
    r.say('agent', `${SENIOR} is available (2 chat slots)`);
    const { task } = await takeOffer(run, senior, vipTask.taskId);
    r.say('agent', `${SENIOR} takes Valentina's chat — the VIP went first`, [['task', task.taskId]]);
    const explained = await getTask(run, vipTask.taskId);
    r.say('supervisor', 'why the VIP went first and to Sofia:', explanationFields(explained.explanation));
    const regular = await getTask(run, regularTask.taskId);
    const agent = (await run.platform.routing.getAgent(routingV1.GetAgentRequest.fromPartial({ agentId: SENIOR }))).agent;
    // Why Rui still waits, as routing would decide for his chat right now.
    const now = await run.platform.routing.dryRun(
      routingV1.DryRunRequest.fromPartial({ task: { queueId: CHAT_QUEUE, channel: Channel.CHANNEL_CHAT, profileId: setup.regularId, intent: 'order_question' } }),
    );
    const seniorNote = now.explanation?.candidates.find((c) => c.agentId === SENIOR);
    r.say('supervisor', `Rui's chat still waits: Sofia serves the VIP 1:1 although she has 2 chat slots`, [
      ['rui', `${regular.taskId} ${regular.status === routingV1.TaskStatus.TASK_STATUS_WAITING ? 'waiting' : `status ${regular.status}`}`],
      ['routing now', now.explanation?.summary || (now.agentId ? `would offer to ${now.agentId}` : 'would wait')],
      ['sofia', seniorNote ? `${seniorNote.reason}: ${seniorNote.detail}` : 'not a candidate'],
    ]);
    if (agent) r.say('supervisor', 'Sofia now', agentFields(agent));
    const chatLoad = agent?.load.find((l) => l.channel === Channel.CHANNEL_CHAT);
    if (senior.offerOf(regularTask.taskId)) throw new ScenarioStepError('senior-free', `${SENIOR} was offered the regular chat while serving the VIP`);
    return {
      task,
      regularWhileVipServed: {
        status: regular.status === routingV1.TaskStatus.TASK_STATUS_WAITING ? 'waiting' : String(regular.status),
        wouldGoTo: now.agentId,
        seniorReason: seniorNote?.reason ?? '',
        seniorLoad: chatLoad ? `${chatLoad.active}/${chatLoad.effectiveMaxConcurrent}` : '',
      },
    };
  });

  // ── the junior agent frees up: the regular customer is served ──────────────────────────────
  const regularServed = await run.interaction('junior-free', 'Tom (junior) frees up: Rui is served', async () => {
    await setPresence(run, JUNIOR, routingV1.Presence.PRESENCE_AVAILABLE);
    const { task } = await takeOffer(run, junior, regularTask.taskId);
    r.say('agent', `${JUNIOR} takes Rui's chat`, [['task', task.taskId]]);
    const explained = await getTask(run, regularTask.taskId);
    r.say('supervisor', "Rui's chat:", explanationFields(explained.explanation));
    return { task };
  });

  const dryRun = await run.interaction('chats-end', 'Rui is done; Valentina is still with Sofia; then both chats end', async () => {
    await completeTask(run, JUNIOR, regularTask.taskId, routingV1.TaskOutcome.TASK_OUTCOME_RESOLVED, 'order_tracked');
    r.say('agent', `${JUNIOR} closes Rui's chat (resolved) and is free again`);
    // Tom is free, Sofia is busy 1:1: what would routing do with another VIP chat, and with a regular one?
    const ask = (profileId: string) =>
      run.platform.routing.dryRun(routingV1.DryRunRequest.fromPartial({ task: { queueId: CHAT_QUEUE, channel: Channel.CHANNEL_CHAT, profileId, intent: 'order_question' } }));
    const vipNow = await ask(setup.vipId);
    const regularNow = await ask(setup.regularId);
    const tom = (await run.platform.routing.getAgent(routingV1.GetAgentRequest.fromPartial({ agentId: JUNIOR }))).agent;
    const tomChat = tom?.load.find((l) => l.channel === Channel.CHANNEL_CHAT);
    r.say('supervisor', 'dry run: another chat of Valentina now, while Tom (support 4) is free?', explanationFields(vipNow.explanation));
    const candidates = candidatesTable(vipNow.explanation);
    if (candidates.rows.length > 0) r.table('supervisor', 'candidates', candidates.header, candidates.rows);
    r.say('supervisor', `dry run: the same chat from a regular customer → ${regularNow.agentId ? `offered to ${regularNow.agentId}` : 'waits'}`, [
      ['why', regularNow.explanation?.summary || undefined],
    ]);
    await completeTask(run, SENIOR, vipTask.taskId, routingV1.TaskOutcome.TASK_OUTCOME_RESOLVED, 'address_changed');
    await recordTouchpoint(run, {
      touchpointId: run.id('vip-chat-end'),
      profileId: setup.vipId,
      channel: Channel.CHANNEL_CHAT,
      agentId: SENIOR,
      intent: 'change_address',
      summary: 'delivery address changed',
      outcome: contextV1.TouchpointOutcome.TOUCHPOINT_OUTCOME_RESOLVED,
    });
    r.say('agent', `${SENIOR} closes Valentina's chat (resolved)`);
    return {
      agentId: vipNow.agentId,
      minProficiency: vipNow.explanation?.requirements.find((q) => q.skill === 'support')?.minProficiency ?? 0,
      juniorPresence: tom?.presence === routingV1.Presence.PRESENCE_AVAILABLE ? 'available' : String(tom?.presence ?? ''),
      juniorChatLoad: tomChat ? `${tomChat.active}/${tomChat.effectiveMaxConcurrent}` : '',
      juniorReason: vipNow.explanation?.candidates.find((c) => c.agentId === JUNIOR)?.reason ?? '',
      regularWouldGoTo: regularNow.agentId,
    };
  });

  // ── the VIP calls ──────────────────────────────────────────────────────────────────────────
  const call = await run.interaction('vip-call', 'Valentina calls', async () => {
    r.say('customer', `calls from ${vipPhone}`);
    const recognized = await resolve(run, Channel.CHANNEL_VOICE, [
      { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: vipPhone, proof: AssuranceLevel.ASSURANCE_LEVEL_ASSERTED },
    ]);
    const profile = profileOf(recognized);
    const skip = recognized.assurance >= AssuranceLevel.ASSURANCE_LEVEL_ASSERTED;
    const context = await getContext(run, profile.profileId);
    r.say('channel', skip ? 'IVR: recognized by caller ID — identification questions skipped' : 'IVR: not recognized — asks for the account number', [
      ['profile', profile.profileId],
      ['assurance', `${assuranceWord(recognized.assurance)} (caller ID)`],
      ['segments', profile.segmentIds.join(', ') || 'none'],
      ['last agent', context.lastAgentId || undefined],
    ]);
    const touchpoint = await recordTouchpoint(run, {
      touchpointId: run.id('vip-ivr'),
      profileId: profile.profileId,
      channel: Channel.CHANNEL_IVR,
      summary: skip ? 'recognized by caller ID; identification skipped' : 'identification questions',
      assurance: recognized.assurance,
      facts: skip ? [{ key: 'identified_by', value: 'caller id' }] : [],
    });
    r.say('customer', skip ? 'hears "Hello Valentina" instead of "please enter your account number"' : 'is asked for her account number');
    return { assurance: assuranceWord(recognized.assurance), segments: profile.segmentIds, identificationSkipped: skip, touchpointId: touchpoint.touchpointId };
  });

  return {
    vip: { profileId: setup.vipId, taskId: vipTask.taskId, agentId: vipServed.task.agentId },
    regular: { profileId: setup.regularId, taskId: regularTask.taskId, agentId: regularServed.task.agentId },
    seniorAgentId: SENIOR,
    juniorAgentId: JUNIOR,
    regularWhileVipServed: vipServed.regularWhileVipServed,
    dryRun,
    call,
  };
}
