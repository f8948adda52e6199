import { contextV1, routingV1 } from '@continuum/contracts';
import { ScenarioStepError } from '../errors';
import { assuranceWord, channelWord } from '../output/labels';
import { candidatesTable, caseFields, explanationFields, timelineTable } from '../output/views';
import type { AgentDesk } from '../platform/agent-desk';
import type { ScenarioRun } from './scenario-run';
import {
  AssuranceLevel,
  Channel,
  completeTask,
  deskOffered,
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
  type ObservedId,
} from './steps';

/** One contact of the customer about the case, as `--json` reports it. */
export interface CaseContact {
  readonly key: string;
  readonly channel: string;
  readonly taskId: string;
  readonly agentId: string;
  readonly touchpointId: string;
}

export interface CaseOwnerResult {
  readonly profileId: string;
  readonly caseId: string;
  readonly ownerAgentId: string;
  readonly teamId: string;
  readonly fallbackSeconds: number;
  readonly contacts: readonly CaseContact[];
}

const OWNER = 'agt-chen';
const TEAM = 'b2b-engineers';
const AGENTS = [
  { agentId: OWNER, displayName: 'Chen Wei', teamId: TEAM, proficiency: 9 },
  { agentId: 'agt-dana', displayName: 'Dana Okafor', teamId: TEAM, proficiency: 7 },
  { agentId: 'agt-eli', displayName: 'Eli Novak', teamId: 'b2b-frontline', proficiency: 5 },
] as const;
const QUEUES = { voice: 'b2b-voice', email: 'b2b-email', sms: 'b2b-sms' } as const;

/**
 * case-owner: a business customer's problem lasts several days and channels. The first call opens
 * a case owned by engineer Chen; every later contact (email, SMS, call) is offered to Chen first,
 * then to his team, then to the whole queue when he does not become available within the
 * policy's windows; every contact is attached to the case.
 */
export async function playCaseOwner(run: ScenarioRun): Promise<CaseOwnerResult> {
  const { reporter: r } = run;
  const window = run.options.fallbackSeconds;
  const phone = demoPhone(run, '+44 20 7946 0958', (d) => `+44 20 7946 0${d()}${d()}${d()}`);
  const email = run.platform.target.tenantGenerated ? 'priya.shah@northwind.example' : `priya.shah+${run.runId}@northwind.example`;
  const account = run.unique('NW-2207');

  const setup = await run.interaction('setup', 'The B2B support desk gets ready', async () => {
    for (const [channel, queueId] of [
      [Channel.CHANNEL_VOICE, QUEUES.voice],
      [Channel.CHANNEL_EMAIL, QUEUES.email],
      [Channel.CHANNEL_SMS, QUEUES.sms],
    ] as const) {
      await ensureQueue(run, {
        queueId,
        displayName: `B2B support (${channelWord(channel)})`,
        channel,
        serviceLevel: { fraction: 0.8, thresholdSeconds: channel === Channel.CHANNEL_VOICE ? 30 : 3600 },
        patienceSeconds: channel === Channel.CHANNEL_VOICE ? 180 : 86_400,
        priority: 20,
        requiredSkills: [{ skill: 'b2b-support', minProficiency: 3 }],
      });
    }
    const policy = await setRoutingPolicy(run, {
      agingPointsPerPatience: 10,
      preferredAgentWindowSeconds: window,
      teamWindowSeconds: window,
      rejectCooldownSeconds: 30,
    });
    r.say('supervisor', 'queues b2b-voice, b2b-email and b2b-sms (need b2b-support ≥ 3)', [
      ['policy', `v${policy?.version ?? '?'}: case owner tried alone for ${window} s, then his team for ${window} s, then the queue`],
      ['note', 'days are compressed into seconds: the windows are seconds here, hours in production'],
    ]);
    const desks = new Map<string, AgentDesk>();
    for (const agent of AGENTS) {
      const agentSpec = {
        agentId: agent.agentId,
        displayName: agent.displayName,
        teamId: agent.teamId,
        skills: [{ skill: 'b2b-support', proficiency: agent.proficiency }],
        capacities: [
          { channel: Channel.CHANNEL_VOICE, maxConcurrent: 1 },
          { channel: Channel.CHANNEL_EMAIL, maxConcurrent: 5 },
          { channel: Channel.CHANNEL_SMS, maxConcurrent: 5 },
        ],
      };
      desks.set(agent.agentId, await signIn(run, agentSpec, routingV1.Presence.PRESENCE_AVAILABLE));
    }
    r.say('supervisor', 'agents signed in and available', [
      ['agents', AGENTS.map((a) => `${a.agentId} ${a.displayName}, team ${a.teamId}, b2b-support ${a.proficiency}`).join('\n')],
    ]);
    const known = await resolve(run, Channel.CHANNEL_WEB, [
      { type: IdentifierType.IDENTIFIER_TYPE_ACCOUNT, value: account, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
      { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: phone, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
      { type: IdentifierType.IDENTIFIER_TYPE_EMAIL, value: email, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
    ]);
    const customer = profileOf(known);
    await setTraits(run, customer.profileId, { first_name: 'Priya', last_name: 'Shah', company: 'Northwind Traders', line_of_business: 'b2b' });
    r.say('platform', 'Priya Shah of Northwind Traders is a known business customer', [
      ['profile', customer.profileId],
      ['account', account],
      ['phone', phone],
      ['email', email],
    ]);
    return { desks: [...desks.values()], profileId: customer.profileId };
  });

  const contacts: CaseContact[] = [];

  /** One contact: recognize, read context, route, answer, record on the case, wrap up. */
  const contact = async (input: {
    key: string;
    channel: contextV1.Touchpoint['channel'];
    queueId: string;
    identifier: ObservedId;
    says: string;
    caseId?: string;
  }) => {
    const recognized = await resolve(run, input.channel, [input.identifier]);
    const profile = profileOf(recognized);
    r.say('customer', input.says);
    const context = await getContext(run, profile.profileId);
    const openCase = input.caseId ? context.openCases.find((c) => c.caseId === input.caseId) : undefined;
    r.say('channel', `${channelWord(input.channel)}: recognized ${profile.profileId}`, [
      ['assurance', assuranceWord(recognized.assurance)],
      ['open case', openCase ? `${openCase.caseId}, owner ${openCase.ownerAgentId}` : 'none'],
    ]);
    if (input.caseId && !openCase) throw new ScenarioStepError(input.key, `context does not show the open case ${input.caseId}`);
    const submitted = await submitTask(run, {
      queueId: input.queueId,
      channel: input.channel,
      profileId: profile.profileId,
      caseId: input.caseId ?? '',
      intent: 'invoice_export',
    });
    r.say('channel', `routed as task ${submitted.taskId}`, [
      ['first try', submitted.explanation?.preferredAgentId ? `${submitted.explanation.preferredAgentId} (case owner)` : 'the whole queue'],
    ]);
    const desk = await deskOffered(run, setup.desks, submitted.taskId);
    const { task } = await takeOffer(run, desk, submitted.taskId);
    r.say('agent', `${task.agentId} takes it`);
    return { profileId: profile.profileId, task, recognized };
  };

  const explain = async (taskId: string) => {
    const task = await getTask(run, taskId);
    r.say('supervisor', `why ${task.agentId} got it:`, [
      ...explanationFields(task.explanation),
      ['trail', (task.explanation?.trail ?? []).join('\n') || undefined],
    ]);
    const candidates = candidatesTable(task.explanation);
    if (candidates.rows.length > 0) r.table('supervisor', 'candidates of the final decision', candidates.header, candidates.rows);
    return task;
  };

  // ── day 1: the first call opens the case ────────────────────────────────────────────────────
  const day1 = await run.interaction('day1-call', 'Day 1 — she calls: the invoice export fails; a case is opened for Chen', async () => {
    const c = await contact({
      key: 'day1-call',
      channel: Channel.CHANNEL_VOICE,
      queueId: QUEUES.voice,
      identifier: { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: phone, proof: AssuranceLevel.ASSURANCE_LEVEL_ASSERTED },
      says: `calls from ${phone}: "our invoice export fails for the EU entities"`,
    });
    const opened = await run.platform.context.openCase(
      contextV1.OpenCaseRequest.fromPartial({
        profileId: c.profileId,
        subject: 'Invoice export fails for EU entities',
        ownerAgentId: OWNER,
        teamId: TEAM,
        requestId: run.requestId('case'),
      }),
    );
    const theCase = opened.case;
    if (!theCase) throw new ScenarioStepError('day1-call', 'context answered OpenCase without the case');
    r.say(
      'agent',
      c.task.agentId === OWNER ? `${OWNER} opens a case and owns it` : `${c.task.agentId} opens a case and hands it to engineer ${OWNER}`,
      caseFields(theCase),
    );
    const touchpoint = await recordTouchpoint(run, {
      touchpointId: run.id('day1-call'),
      profileId: c.profileId,
      channel: Channel.CHANNEL_VOICE,
      caseId: theCase.caseId,
      agentId: c.task.agentId,
      intent: 'invoice_export',
      summary: 'reported failing invoice export (error EXP-502); case opened',
      outcome: contextV1.TouchpointOutcome.TOUCHPOINT_OUTCOME_ESCALATED,
      assurance: c.recognized.assurance,
      facts: [
        { key: 'contact_reason', value: 'invoice export fails for EU entities' },
        { key: 'error_code', value: 'EXP-502' },
      ],
    });
    await completeTask(run, c.task.agentId, c.task.taskId, routingV1.TaskOutcome.TASK_OUTCOME_UNRESOLVED, 'case_opened');
    contacts.push({ key: 'day1-call', channel: 'voice', taskId: c.task.taskId, agentId: c.task.agentId, touchpointId: touchpoint.touchpointId });
    return { caseId: theCase.caseId, profileId: c.profileId };
  });

  const later = async (key: string, title: string, input: Omit<Parameters<typeof contact>[0], 'key' | 'caseId'>, channelName: string, summary: string) =>
    run.interaction(key, title, async () => {
      const c = await contact({ ...input, key, caseId: day1.caseId });
      const touchpoint = await recordTouchpoint(run, {
        touchpointId: run.id(key),
        profileId: c.profileId,
        channel: input.channel,
        caseId: day1.caseId,
        agentId: c.task.agentId,
        intent: 'invoice_export',
        summary,
        outcome: contextV1.TouchpointOutcome.TOUCHPOINT_OUTCOME_UNRESOLVED,
        assurance: c.recognized.assurance,
      });
      r.say('agent', `${c.task.agentId} answers; the ${channelName} is attached to case ${day1.caseId}`);
      await completeTask(run, c.task.agentId, c.task.taskId, routingV1.TaskOutcome.TASK_OUTCOME_UNRESOLVED, 'case_update');
      await explain(c.task.taskId);
      contacts.push({ key, channel: channelName, taskId: c.task.taskId, agentId: c.task.agentId, touchpointId: touchpoint.touchpointId });
    });

  // ── day 2: an email while Chen is at his desk ───────────────────────────────────────────────
  await later(
    'day2-email',
    'Day 2 — she emails the logs: Chen is available, so it goes to him',
    {
      channel: Channel.CHANNEL_EMAIL,
      queueId: QUEUES.email,
      identifier: { type: IdentifierType.IDENTIFIER_TYPE_EMAIL, value: email },
      says: `emails from ${email}: "attached are the export logs you asked for"`,
    },
    'email',
    'sent the export logs',
  );

  // ── day 2, later: Chen is in a meeting ──────────────────────────────────────────────────────
  await run.interaction('chen-away', 'Chen steps into a meeting', async () => {
    await setPresence(run, OWNER, routingV1.Presence.PRESENCE_AWAY);
    r.say('agent', `${OWNER} sets his presence to away`);
  });
  await later(
    'day2-sms',
    `Day 2 — she texts; Chen is away: after ${window} s it falls back to his team`,
    {
      channel: Channel.CHANNEL_SMS,
      queueId: QUEUES.sms,
      identifier: { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: phone, proof: AssuranceLevel.ASSURANCE_LEVEL_ASSERTED },
      says: 'texts: "any news? month-end close is on Friday"',
    },
    'sms',
    'asked for status before month-end close',
  );

  // ── day 3: neither Chen nor his team ───────────────────────────────────────────────────────
  await run.interaction('team-away', 'Day 3 — Chen is still out, Dana is at lunch', async () => {
    await setPresence(run, 'agt-dana', routingV1.Presence.PRESENCE_AWAY);
    r.say('agent', 'agt-dana sets her presence to away');
  });
  await later(
    'day3-call',
    `Day 3 — she calls again: owner, then team, then after ${2 * window} s the queue`,
    {
      channel: Channel.CHANNEL_VOICE,
      queueId: QUEUES.voice,
      identifier: { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: phone, proof: AssuranceLevel.ASSURANCE_LEVEL_ASSERTED },
      says: 'calls: "the export failed again this morning"',
    },
    'call',
    'export failed again; workaround given (export per entity)',
  );

  // ── the case in one place ──────────────────────────────────────────────────────────────────
  await run.interaction('case-review', 'The supervisor opens the case', async () => {
    const theCase = await run.platform.context.getCase(contextV1.GetCaseRequest.fromPartial({ caseId: day1.caseId }));
    if (theCase.case) r.say('supervisor', 'every contact, whatever the channel, is on the case', caseFields(theCase.case));
    const listed = await run.platform.context.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId: day1.profileId, caseId: day1.caseId }));
    const table = timelineTable(listed.touchpoints, new Date());
    r.table('supervisor', 'the case timeline', table.header, table.rows);
    await setPresence(run, OWNER, routingV1.Presence.PRESENCE_AVAILABLE);
    await setPresence(run, 'agt-dana', routingV1.Presence.PRESENCE_AVAILABLE);
  });
  r.footer([`Inspect it:  npm run continuum -- inspect context ${day1.profileId} --tenant ${run.tenant}`]);

  return { profileId: day1.profileId, caseId: day1.caseId, ownerAgentId: OWNER, teamId: TEAM, fallbackSeconds: window, contacts };
}
