import { SpanKind } from '@opentelemetry/api';
import { commonV1, contextV1, routingV1 } from '@continuum/contracts';
import { uniqueTenant, waitFor } from '@continuum/testing';
import { apiClients, type ApiClients } from '../support/clients';
import { interaction, playDemo, type DemoOutput } from '../support/cli';
import type { RunningPlatform } from '../support/platforms';
import { expectOneTrace, readSpans, tenantOf } from '../support/traces';
import { DEMO_TIMEOUT_MS, expectNoStrayTraces, grpc, processOfService } from './common';

interface CaseOwnerResult {
  readonly profileId: string;
  readonly caseId: string;
  readonly ownerAgentId: string;
  readonly teamId: string;
  readonly fallbackSeconds: number;
  readonly contacts: ReadonlyArray<{ readonly key: string; readonly channel: string; readonly taskId: string; readonly agentId: string; readonly touchpointId: string }>;
}

const { Channel } = commonV1;
const { RoutingStage, PreferenceKind } = routingV1;
/** Short windows keep the suite fast; the fallback is still observable and measured. */
const FALLBACK_SECONDS = 1;

/**
 * case-owner, "Must hold": all interactions on one case; the owner offered first each time; the
 * fallback after the time limit visible in the task's explanation; one trace per interaction.
 */
export function caseOwnerSuite(platform: () => RunningPlatform): void {
  describe('case-owner', () => {
    const tenant = uniqueTenant('e2e-case');
    let demo: DemoOutput<CaseOwnerResult>;
    let api: ApiClients;
    let result: CaseOwnerResult;
    const contact = (key: string) => {
      const found = result.contacts.find((c) => c.key === key);
      if (!found) throw new Error(`the demo reported no contact ${key}`);
      return found;
    };
    const task = async (key: string) => {
      const { task: t } = await api.routing.getTask({ taskId: contact(key).taskId }, api.as);
      if (!t) throw new Error(`no task for ${key}`);
      return t;
    };

    beforeAll(async () => {
      demo = await playDemo<CaseOwnerResult>(platform(), 'case-owner', tenant, ['--fallback-seconds', String(FALLBACK_SECONDS)]);
      result = demo.result;
      api = await apiClients(platform(), tenant);
    }, DEMO_TIMEOUT_MS);
    afterAll(() => api?.close());

    it('attaches every contact, whatever the channel, to the one case owned by Chen', async () => {
      const { case: theCase } = await api.context.getCase({ caseId: result.caseId }, api.as);
      expect(theCase?.ownerAgentId).toBe('agt-chen');
      expect(theCase?.teamId).toBe(result.teamId);
      expect(theCase?.touchpointCount).toBe(4);
      expect(theCase?.channels).toEqual([Channel.CHANNEL_VOICE, Channel.CHANNEL_EMAIL, Channel.CHANNEL_SMS]);
      const { touchpoints } = await api.context.listTouchpoints(
        contextV1.ListTouchpointsRequest.fromPartial({ profileId: result.profileId, caseId: result.caseId }),
        api.as,
      );
      expect(touchpoints.map((t) => t.touchpointId)).toEqual(result.contacts.map((c) => c.touchpointId));
      expect(touchpoints.map((t) => t.channel)).toEqual([Channel.CHANNEL_VOICE, Channel.CHANNEL_EMAIL, Channel.CHANNEL_SMS, Channel.CHANNEL_VOICE]);
    });

    it('offers every later contact to the case owner first, and to him when he is available', async () => {
      for (const key of ['day2-email', 'day2-sms', 'day3-call']) {
        const t = await task(key);
        expect({ key, preferred: t.explanation?.preferredAgentId, kind: t.explanation?.preference }).toEqual({
          key,
          preferred: 'agt-chen',
          kind: PreferenceKind.PREFERENCE_KIND_CASE_OWNER,
        });
      }
      const email = await task('day2-email');
      expect(email.agentId).toBe('agt-chen');
      expect(email.explanation?.stage).toBe(RoutingStage.ROUTING_STAGE_PREFERRED_AGENT);
    });

    it('falls back to his team after the time limit, then to the queue, and says so in the explanation', async () => {
      const windowMs = result.fallbackSeconds * 1000;
      const sms = await task('day2-sms');
      expect(sms.agentId).toBe('agt-dana');
      expect(sms.explanation?.stage).toBe(RoutingStage.ROUTING_STAGE_TEAM);
      expect(sms.explanation?.trail.length).toBeGreaterThan(0);
      expect(waited(sms)).toBeGreaterThanOrEqual(windowMs);

      const call = await task('day3-call');
      expect(call.agentId).toBe('agt-eli');
      expect(call.explanation?.stage).toBe(RoutingStage.ROUTING_STAGE_QUEUE);
      expect(call.explanation?.trail.length).toBeGreaterThanOrEqual(2);
      expect(waited(call)).toBeGreaterThanOrEqual(2 * windowMs);
      // The supervisor reads the fallback in words, not only as a stage number.
      expect(call.explanation?.trail.join('\n')).toMatch(/team|queue/i);
    });

    it('made one trace per contact, with routing asking context inside it', async () => {
      const p = platform();
      const serverServiceOf = processOfService(p);
      for (const key of ['day1-call', 'day2-email', 'day2-sms', 'day3-call']) {
        const i = interaction(demo, key);
        await expectOneTrace(p.tracesDir, i.traceId, {
          rootSpanId: i.spanId,
          servedMethods: [`${grpc.identity}/Resolve`, `${grpc.routing}/SubmitTask`, `${grpc.routing}/AcceptOffer`, `${grpc.context}/RecordTouchpoint`],
          serviceHops: [{ method: `${grpc.context}/GetContext`, from: p.spanService.routing, to: p.spanService.context }],
          serverServiceOf,
        });
      }
      for (const key of ['setup', 'chen-away', 'team-away', 'case-review']) {
        const i = interaction(demo, key);
        await expectOneTrace(p.tracesDir, i.traceId, { rootSpanId: i.spanId, serverServiceOf });
      }
      expectNoStrayTraces(p.tracesDir, tenant, demo);
    });

    // After the trace checks (it adds interactions of its own to the tenant).
    it('routes a burst of contacts on the case, each with the context routing asked for it (batched under load)', async () => {
      const model = await task('day2-email');
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          api.routing.submitTask(
            routingV1.SubmitTaskRequest.fromPartial({ task: { queueId: model.queueId, channel: model.channel, profileId: result.profileId, caseId: result.caseId }, requestId: `burst-${i}` }),
            api.as,
          ),
        ),
      );
      for (const { task: t } of burst) {
        expect({ context: t?.explanation?.contextAvailable, preferred: t?.explanation?.preferredAgentId }).toEqual({ context: true, preferred: 'agt-chen' });
      }
      // The burst reached the context service as (at least one) shared BatchGetContext call, under this tenant.
      const p = platform();
      await waitFor(() => readSpans(p.tracesDir).some((sp) => sp.kind === SpanKind.SERVER && sp.name.endsWith('BatchGetContext') && tenantOf(sp) === tenant), {
        timeoutMs: 10_000,
        description: 'a BatchGetContext call served for this tenant',
      });
      await Promise.all(burst.map(({ task: t }, i) => api.routing.cancelTask({ taskId: t?.taskId ?? '', requestId: `burst-cancel-${i}` }, api.as)));
    });
  });
}

/** How long the task waited for an agent (submitted → accepted), by routing's clock. */
function waited(task: routingV1.Task): number {
  return (task.acceptTime?.getTime() ?? NaN) - (task.createTime?.getTime() ?? NaN);
}
