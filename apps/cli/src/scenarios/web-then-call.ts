import { contextV1, routingV1 } from '@continuum/contracts';
import { ScenarioStepError } from '../errors';
import { assuranceWord, matchWord } from '../output/labels';
import { arrow, relativeTime } from '../output/render';
import { candidatesTable, contextFields, explanationFields, journeyFields, personName, profileFields, timelineTable } from '../output/views';
import type { ScenarioRun } from './scenario-run';
import {
  AssuranceLevel,
  Channel,
  completeTask,
  createOrGet,
  deskOffered,
  demoPhone,
  Direction,
  ensureQueue,
  getContext,
  getTask,
  IdentifierType,
  profileOf,
  recordTouchpoint,
  resolve,
  setTraits,
  signIn,
  submitTask,
  takeOffer,
} from './steps';

/** What the e2e tests (and anyone scripting the demo) read from `--json`. */
export interface WebThenCallResult {
  readonly profileId: string;
  readonly anonymousProfileId: string;
  /** The identifiers the channels saw, as they saw them. */
  readonly identifiers: { readonly cookie: string; readonly login: string; readonly phone: string };
  readonly journeyDefinitionId: string;
  readonly journeyId: string;
  readonly touchpointIds: readonly string[];
  readonly call: {
    readonly assurance: string;
    readonly ivrSkippedSelfService: boolean;
    readonly taskId: string;
    readonly queueId: string;
    readonly agentId: string;
  };
  /** What the agent's desktop showed when the call was answered. */
  readonly agentView: {
    readonly journeyId: string;
    readonly journeyStepId: string;
    readonly factKeys: readonly string[];
    readonly webTouchpointCount: number;
    readonly nextAction: string;
  };
}

const JOURNEY = 'return-item';
const QUEUE = 'voice-returns';
const MINUTE = 60_000;

/**
 * web-then-call: an anonymous visitor starts a return on the web, logs in (the cookie profile
 * merges into hers), and calls twenty minutes later; caller ID recognizes her, the IVR skips
 * self-service because her active journey explains the call, routing gives the call to a returns
 * agent, and the agent sees the journey, its last step and the facts already captured.
 */
export async function playWebThenCall(run: ScenarioRun): Promise<WebThenCallResult> {
  const { reporter: r } = run;
  const cookie = run.unique('c-81f');
  const login = run.unique('maria.lopez', '.');
  const phone = demoPhone(run, '+34 612 345 678', (d) => `+34 612 ${d()}${d()}${d()} ${d()}${d()}${d()}`);
  const orderNumber = 'A-10492';

  // ── setup: the company's configuration and Maria's account ────────────────────────────────
  const setup = await run.interaction('setup', 'The company and its agents get ready', async () => {
    const definition = await createOrGet(
      async () =>
        (
          await run.platform.context.createJourneyDefinition(
            contextV1.CreateJourneyDefinitionRequest.fromPartial({
              journeyDefinition: {
                journeyDefinitionId: JOURNEY,
                displayName: 'Return an item',
                intent: 'return_item',
                abandonAfter: { seconds: 2 * 86_400, nanos: 0 },
                completionStepId: 'refunded',
                steps: [
                  { stepId: 'started', displayName: 'Return started' },
                  { stepId: 'label-printed', displayName: 'Label printed', action: 'print_label', actionDescription: 'Print the prepaid return label' },
                  { stepId: 'pickup-booked', displayName: 'Pickup booked', action: 'book_pickup', actionDescription: 'Book a courier pickup for the parcel' },
                  { stepId: 'refunded', displayName: 'Refunded', action: 'issue_refund', actionDescription: 'Refund the item' },
                ],
              },
              requestId: run.requestId('journey'),
            }),
          )
        ).journeyDefinition,
      async () =>
        (await run.platform.context.getJourneyDefinition(contextV1.GetJourneyDefinitionRequest.fromPartial({ journeyDefinitionId: JOURNEY }))).journeyDefinition,
    );
    r.say('supervisor', `journey "${definition?.displayName ?? JOURNEY}" is defined`, [['steps', arrow(definition?.steps.map((s) => s.stepId) ?? [])]]);

    await ensureQueue(run, {
      queueId: QUEUE,
      displayName: 'Returns (voice)',
      channel: Channel.CHANNEL_VOICE,
      serviceLevel: { fraction: 0.8, thresholdSeconds: 20 },
      patienceSeconds: 120,
      priority: 10,
      requiredSkills: [{ skill: 'returns', minProficiency: 5 }],
    });
    const agents = [
      { agentId: 'agt-ana', displayName: 'Ana Ruiz', teamId: 'returns-desk', skills: [{ skill: 'returns', proficiency: 8 }] },
      { agentId: 'agt-bruno', displayName: 'Bruno Costa', teamId: 'billing-desk', skills: [{ skill: 'billing', proficiency: 9 }] },
    ];
    const desks = [];
    for (const agent of agents) {
      desks.push(await signIn(run, { ...agent, capacities: [{ channel: Channel.CHANNEL_VOICE, maxConcurrent: 1 }] }, routingV1.Presence.PRESENCE_AVAILABLE));
    }
    r.say('supervisor', `queue ${QUEUE} (voice, needs returns ≥ 5); agents signed in and available`, [
      ['agents', agents.map((a) => `${a.agentId} ${a.displayName}: ${a.skills.map((s) => `${s.skill} ${s.proficiency}`).join(', ')}`).join('\n')],
    ]);

    const registered = await resolve(run, Channel.CHANNEL_WEB, [
      { type: IdentifierType.IDENTIFIER_TYPE_LOGIN, value: login, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
      { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: phone, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
    ]);
    const maria = profileOf(registered);
    await setTraits(run, maria.profileId, { first_name: 'María', last_name: 'López', country: 'ES' });
    r.say('platform', 'María López has an account (registered some time ago)', [
      ['profile', maria.profileId],
      ['login', login],
      ['phone', phone],
    ]);
    return { desks, mariaId: maria.profileId };
  });

  {
    // ── 1. anonymous web visit ────────────────────────────────────────────────────────────────
    const visit = await run.interaction('web-visit', 'An anonymous visitor starts a return on the web', async () => {
      const now = Date.now();
      r.say('customer', `browses the returns pages (not logged in; cookie ${cookie})`);
      const recognized = await resolve(run, Channel.CHANNEL_WEB, [{ type: IdentifierType.IDENTIFIER_TYPE_COOKIE, value: cookie }]);
      const visitor = profileOf(recognized);
      r.say('channel', 'web site asks identity who this is', [
        ['profile', `${visitor.profileId}${visitor.anonymous ? ' (anonymous)' : ''}`],
        ['match', matchWord(recognized.matchType)],
        ['assurance', assuranceWord(recognized.assurance)],
      ]);
      const pages = [
        { at: now - 24 * MINUTE, step: 'started', summary: 'opened "Return an item" on /returns', page: '/returns', facts: [] },
        {
          at: now - 23 * MINUTE,
          step: 'started',
          summary: 'entered order number and reason',
          page: '/returns/new',
          facts: [
            { key: 'order_number', value: orderNumber },
            { key: 'contact_reason', value: 'damaged item' },
          ],
        },
        { at: now - 22 * MINUTE, step: 'label-printed', summary: 'printed the prepaid return label', page: '/returns/label', facts: [{ key: 'return_label', value: 'printed' }] },
      ];
      const ids: string[] = [];
      for (const [i, page] of pages.entries()) {
        const recorded = await recordTouchpoint(run, {
          touchpointId: run.id(`web-${i + 1}`),
          profileId: visitor.profileId,
          channel: Channel.CHANNEL_WEB,
          occurredAt: new Date(page.at),
          journeyDefinitionId: JOURNEY,
          journeyStepId: page.step,
          intent: 'return_item',
          summary: page.summary,
          facts: page.facts,
          assurance: AssuranceLevel.ASSURANCE_LEVEL_NONE,
          attributes: { page: page.page },
        });
        ids.push(recorded.touchpointId);
        r.say('channel', `touchpoint recorded: ${page.summary}`, [
          ['journey', `${JOURNEY} → ${page.step}`],
          ['facts', page.facts.map((f) => `${f.key} = ${f.value}`).join(', ') || undefined],
        ]);
      }
      r.say('customer', 'leaves the site with the label printed');
      return { anonymousId: visitor.profileId, ids };
    });

    // ── 2. login: the cookie profile merges into hers ─────────────────────────────────────────
    const loginResult = await run.interaction('web-login', 'She logs in: the visitor becomes María', async () => {
      r.say('customer', `logs in as ${login}`);
      const stitched = await resolve(run, Channel.CHANNEL_WEB, [
        { type: IdentifierType.IDENTIFIER_TYPE_COOKIE, value: cookie },
        { type: IdentifierType.IDENTIFIER_TYPE_LOGIN, value: login, proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
      ]);
      const profile = profileOf(stitched);
      if (profile.profileId !== setup.mariaId) {
        throw new ScenarioStepError('login', `identity returned ${profile.profileId}, not María's profile ${setup.mariaId}`);
      }
      const merge = stitched.merges[0];
      r.say('channel', 'identity recognizes her and joins the visitor into her profile', [
        ['match', matchWord(stitched.matchType)],
        ['assurance', assuranceWord(stitched.assurance)],
        ['merged', merge ? `${merge.mergedProfileId} → ${merge.survivingProfileId} (rule ${merge.rule})` : 'nothing'],
      ]);
      const touchpoint = await recordTouchpoint(run, {
        touchpointId: run.id('web-login'),
        profileId: profile.profileId,
        channel: Channel.CHANNEL_WEB,
        occurredAt: new Date(Date.now() - 21 * MINUTE),
        intent: 'return_item',
        summary: 'logged in',
        assurance: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED,
        facts: [{ key: 'identity_verified_by', value: 'password login' }],
      });
      // The merge reaches context as an event: her journey moves over once context has applied it.
      const journey = await run.waitFor('the merge to reach context (her journey moves to her profile)', async () => {
        const context = await getContext(run, profile.profileId);
        return context.activeJourneys.find((j) => j.journeyDefinitionId === JOURNEY && j.currentStepId === 'label-printed');
      });
      r.say('platform', `context moved the visitor's journey and touchpoints to María (${journey.journeyId})`);
      return { journeyId: journey.journeyId, touchpointId: touchpoint.touchpointId };
    });

    // ── 3. the call ───────────────────────────────────────────────────────────────────────────
    const call = await run.interaction('call', 'Twenty minutes later she calls', async () => {
      r.say('customer', `calls from her mobile ${phone}`);
      const recognized = await resolve(run, Channel.CHANNEL_VOICE, [
        { type: IdentifierType.IDENTIFIER_TYPE_PHONE, value: phone, proof: AssuranceLevel.ASSURANCE_LEVEL_ASSERTED },
      ]);
      const profile = profileOf(recognized);
      r.say('channel', 'IVR: caller ID recognizes her', [
        ['profile', profile.profileId],
        ['match', matchWord(recognized.matchType)],
        ['assurance', `${assuranceWord(recognized.assurance)} (caller ID)`],
      ]);
      const ivrContext = await getContext(run, profile.profileId);
      const active = ivrContext.activeJourneys.find((j) => j.journeyDefinitionId === JOURNEY);
      const skipSelfService = active !== undefined && recognized.assurance >= AssuranceLevel.ASSURANCE_LEVEL_ASSERTED;
      r.say(
        'channel',
        skipSelfService
          ? `IVR: an active "${active.displayName}" journey explains the call — self-service skipped, straight to a returns agent`
          : 'IVR: nothing explains the call — self-service menu',
        [
          ['journey', active ? `${active.journeyDefinitionId} at ${active.currentStepId} (${relativeTime(active.lastActivityTime, new Date())})` : undefined],
          ['intent', ivrContext.likelyIntent?.intent],
        ],
      );
      const ivrTouchpoint = await recordTouchpoint(run, {
        touchpointId: run.id('ivr'),
        profileId: profile.profileId,
        channel: Channel.CHANNEL_IVR,
        intent: 'return_item',
        summary: skipSelfService ? 'recognized by caller ID; self-service skipped' : 'self-service menu',
        outcome: contextV1.TouchpointOutcome.TOUCHPOINT_OUTCOME_TRANSFERRED,
        assurance: recognized.assurance,
      });

      const submitted = await submitTask(run, { queueId: QUEUE, channel: Channel.CHANNEL_VOICE, profileId: profile.profileId, intent: 'return_item' });
      r.say('channel', `call queued for an agent: task ${submitted.taskId}`, [['routing says', submitted.agentId ? `offered to ${submitted.agentId}` : 'waiting']]);

      const chosen = await deskOffered(run, setup.desks, submitted.taskId);
      const { task: assigned } = await takeOffer(run, chosen, submitted.taskId);
      const agentContext = await getContext(run, profile.profileId);
      const agentJourney = agentContext.activeJourneys.find((j) => j.journeyDefinitionId === JOURNEY);
      const who = await run.platform.identity.getProfile({ profileId: profile.profileId });
      r.say('agent', `${assigned.agentId} accepts the call and sees, before saying hello:`, contextFields(agentContext, new Date(), personName(who.profile)));
      const webTouchpoints = agentContext.recentTouchpoints.filter((t) => t.channel === Channel.CHANNEL_WEB);
      r.table('agent', 'recent touchpoints', timelineTable(agentContext.recentTouchpoints, new Date()).header, timelineTable(agentContext.recentTouchpoints, new Date()).rows);
      r.say('customer', 'is not asked again for the order number or the reason: the agent books a courier pickup');
      const voiceTouchpoint = await recordTouchpoint(run, {
        touchpointId: run.id('voice'),
        profileId: profile.profileId,
        channel: Channel.CHANNEL_VOICE,
        direction: Direction.DIRECTION_INBOUND,
        journeyDefinitionId: JOURNEY,
        journeyStepId: 'pickup-booked',
        intent: 'return_item',
        agentId: assigned.agentId,
        summary: 'booked a courier pickup for the damaged item',
        outcome: contextV1.TouchpointOutcome.TOUCHPOINT_OUTCOME_RESOLVED,
        assurance: recognized.assurance,
        facts: [{ key: 'pickup_date', value: 'tomorrow 09:00-13:00' }],
      });
      await completeTask(run, assigned.agentId, assigned.taskId, routingV1.TaskOutcome.TASK_OUTCOME_RESOLVED, 'pickup_booked');

      const task = await getTask(run, submitted.taskId);
      r.say('supervisor', `why ${task.agentId} got the call:`, explanationFields(task.explanation));
      const candidates = candidatesTable(task.explanation);
      if (candidates.rows.length > 0) r.table('supervisor', 'candidates considered', candidates.header, candidates.rows);
      const journey = await run.platform.context.getJourney(contextV1.GetJourneyRequest.fromPartial({ journeyId: loginResult.journeyId }));
      if (journey.journey) r.say('supervisor', 'the journey so far', journeyFields(journey.journey));
      const merged = await run.platform.identity.getProfile({ profileId: setup.mariaId });
      if (merged.profile) r.say('supervisor', 'one profile holds everything', profileFields(merged.profile, new Date()));
      return {
        assurance: assuranceWord(recognized.assurance),
        skipSelfService,
        task,
        touchpointIds: [ivrTouchpoint.touchpointId, voiceTouchpoint.touchpointId],
        agentView: {
          journeyId: agentJourney?.journeyId ?? '',
          journeyStepId: agentJourney?.currentStepId ?? '',
          factKeys: agentContext.facts.map((f) => f.key),
          webTouchpointCount: webTouchpoints.length,
          nextAction: agentContext.nextBestAction?.action ?? '',
        },
      };
    });

    r.footer([
      `Inspect it:  npm run continuum -- inspect context ${setup.mariaId} --tenant ${run.tenant}`,
      `             npm run continuum -- inspect task ${call.task.taskId} --tenant ${run.tenant}`,
    ]);

    return {
      profileId: setup.mariaId,
      anonymousProfileId: visit.anonymousId,
      identifiers: { cookie, login, phone },
      journeyDefinitionId: JOURNEY,
      journeyId: loginResult.journeyId,
      touchpointIds: [...visit.ids, loginResult.touchpointId, ...call.touchpointIds],
      call: { assurance: call.assurance, ivrSkippedSelfService: call.skipSelfService, taskId: call.task.taskId, queueId: QUEUE, agentId: call.task.agentId },
      agentView: call.agentView,
    };
  }
}
