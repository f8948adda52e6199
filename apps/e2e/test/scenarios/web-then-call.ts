import { commonV1, contextV1, identityV1, routingV1 } from '@continuum/contracts';
import { uniqueTenant } from '@continuum/testing';
import { apiClients, type ApiClients } from '../support/clients';
import { interaction, playDemo, type DemoOutput } from '../support/cli';
import type { RunningPlatform } from '../support/platforms';
import { expectOneTrace } from '../support/traces';
import { DEMO_TIMEOUT_MS, expectNoStrayTraces, grpc, processOfService } from './common';

/** What `continuum demo web-then-call --json` reports (the CLI's output contract). */
interface WebThenCallResult {
  readonly profileId: string;
  readonly anonymousProfileId: string;
  readonly identifiers: { readonly cookie: string; readonly login: string; readonly phone: string };
  readonly journeyDefinitionId: string;
  readonly journeyId: string;
  readonly touchpointIds: readonly string[];
  readonly call: { readonly assurance: string; readonly ivrSkippedSelfService: boolean; readonly taskId: string; readonly queueId: string; readonly agentId: string };
  readonly agentView: { readonly journeyId: string; readonly journeyStepId: string; readonly factKeys: readonly string[]; readonly webTouchpointCount: number; readonly nextAction: string };
}

const { Channel, Purpose } = commonV1;
const { IdentifierType } = identityV1;

/**
 * web-then-call, "Must hold": one profile; the timeline holds web and voice touchpoints in order;
 * routing chose a returns agent; the agent's context shows journey, last step and known facts;
 * one journey with one channel switch (what metrics will count); and one trace per interaction.
 */
export function webThenCallSuite(platform: () => RunningPlatform): void {
  describe('web-then-call', () => {
    const tenant = uniqueTenant('e2e-wtc');
    let demo: DemoOutput<WebThenCallResult>;
    let api: ApiClients;
    let result: WebThenCallResult;

    beforeAll(async () => {
      demo = await playDemo<WebThenCallResult>(platform(), 'web-then-call', tenant);
      result = demo.result;
      api = await apiClients(platform(), tenant);
    }, DEMO_TIMEOUT_MS);
    afterAll(() => api?.close());

    it('keeps one profile: the cookie visitor, her login and her phone all lead to it', async () => {
      const visitor = await api.identity.getProfile({ profileId: result.anonymousProfileId }, api.as);
      expect(visitor.redirected).toBe(true);
      expect(visitor.profile?.profileId).toBe(result.profileId);
      const holders = async (type: identityV1.IdentifierType, value: string) =>
        (await api.identity.searchProfiles(identityV1.SearchProfilesRequest.fromPartial({ identifier: { type, value } }), api.as)).profiles.map((p) => p.profileId);
      expect(await holders(IdentifierType.IDENTIFIER_TYPE_COOKIE, result.identifiers.cookie)).toEqual([result.profileId]);
      expect(await holders(IdentifierType.IDENTIFIER_TYPE_LOGIN, result.identifiers.login)).toEqual([result.profileId]);
      expect(await holders(IdentifierType.IDENTIFIER_TYPE_PHONE, result.identifiers.phone)).toEqual([result.profileId]);
    });

    it('holds the web and voice touchpoints on her one timeline, in the order they happened', async () => {
      const { touchpoints } = await api.context.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId: result.profileId, pageSize: 100 }), api.as);
      expect(touchpoints.map((t) => t.touchpointId)).toEqual(result.touchpointIds);
      expect(touchpoints.map((t) => t.channel)).toEqual([Channel.CHANNEL_WEB, Channel.CHANNEL_WEB, Channel.CHANNEL_WEB, Channel.CHANNEL_WEB, Channel.CHANNEL_IVR, Channel.CHANNEL_VOICE]);
      const times = touchpoints.map((t) => t.occurredAt?.getTime() ?? NaN);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(touchpoints.every((t) => t.profileId === result.profileId)).toBe(true);
      // The anonymous visit moved over with the merge, and remembers where it came from.
      expect(touchpoints.slice(0, 3).map((t) => t.originProfileId)).toEqual([result.anonymousProfileId, result.anonymousProfileId, result.anonymousProfileId]);
    });

    it('recognized the caller by caller ID (ASSERTED) and skipped self-service because of her journey', () => {
      expect(result.call.assurance).toBe('ASSERTED');
      expect(result.call.ivrSkippedSelfService).toBe(true);
    });

    it('routed the call to a returns agent, with the context service asked', async () => {
      const { task } = await api.routing.getTask({ taskId: result.call.taskId }, api.as);
      expect(task?.status).toBe(routingV1.TaskStatus.TASK_STATUS_COMPLETED);
      expect(task?.agentId).toBe(result.call.agentId);
      expect(task?.explanation?.selectedAgentId).toBe(task?.agentId);
      expect(task?.explanation?.contextAvailable).toBe(true);
      const { agent } = await api.routing.getAgent({ agentId: task?.agentId ?? '' }, api.as);
      expect(agent?.skills.find((s) => s.skill === 'returns')?.proficiency ?? 0).toBeGreaterThanOrEqual(5);
    });

    it("showed the agent her journey, its last step and the facts she already gave", async () => {
      expect(result.agentView).toEqual(
        expect.objectContaining({ journeyId: result.journeyId, journeyStepId: 'label-printed', nextAction: 'book_pickup' }),
      );
      expect(result.agentView.factKeys).toEqual(expect.arrayContaining(['order_number', 'contact_reason']));
      expect(result.agentView.webTouchpointCount).toBeGreaterThanOrEqual(3);
      const { facts } = await api.context.getFacts({ profileId: result.profileId, purpose: Purpose.PURPOSE_SERVICE, keys: [] }, api.as);
      const byKey = new Map(facts.map((f) => [f.key, f]));
      expect(byKey.get('order_number')?.value).toBe('A-10492');
      expect(byKey.get('order_number')?.sourceChannel).toBe(Channel.CHANNEL_WEB);
      expect(byKey.get('contact_reason')?.value).toBe('damaged item');
    });

    it('counts one journey with one channel switch (web → voice)', async () => {
      const { journeys } = await api.context.listJourneys(contextV1.ListJourneysRequest.fromPartial({ profileId: result.profileId }), api.as);
      expect(journeys.map((j) => j.journeyId)).toEqual([result.journeyId]);
      expect(journeys[0]?.channelsUsed).toEqual([Channel.CHANNEL_WEB, Channel.CHANNEL_VOICE]);
      expect(journeys[0]?.visits.map((v) => v.stepId)).toEqual(expect.arrayContaining(['started', 'label-printed', 'pickup-booked']));
      expect(journeys[0]?.currentStepId).toBe('pickup-booked');
    });

    it('made one trace per interaction: every gRPC hop and every bus hop under the channel’s first call', async () => {
      const p = platform();
      const services = p.spanService;
      const serverServiceOf = processOfService(p);
      const visit = interaction(demo, 'web-visit');
      await expectOneTrace(p.tracesDir, visit.traceId, {
        rootSpanId: visit.spanId,
        servedMethods: [`${grpc.identity}/Resolve`, `${grpc.context}/RecordTouchpoint`],
        serverServiceOf,
      });
      const login = interaction(demo, 'web-login');
      await expectOneTrace(p.tracesDir, login.traceId, {
        rootSpanId: login.spanId,
        servedMethods: [`${grpc.identity}/Resolve`, `${grpc.context}/GetContext`],
        // identity's merge reaches context through the bus, in the login's trace
        eventHops: [{ eventType: 'profiles_merged', consumerService: services.context }],
        serverServiceOf,
      });
      const call = interaction(demo, 'call');
      await expectOneTrace(p.tracesDir, call.traceId, {
        rootSpanId: call.spanId,
        servedMethods: [`${grpc.identity}/Resolve`, `${grpc.routing}/SubmitTask`, `${grpc.routing}/AcceptOffer`, `${grpc.routing}/CompleteTask`],
        // routing asks context about the customer while it routes the call
        serviceHops: [{ method: `${grpc.context}/GetContext`, from: services.routing, to: services.context }],
        serverServiceOf,
      });
      const setup = interaction(demo, 'setup');
      await expectOneTrace(p.tracesDir, setup.traceId, { rootSpanId: setup.spanId, serverServiceOf });
      expectNoStrayTraces(p.tracesDir, tenant, demo);
    });
  });
}
