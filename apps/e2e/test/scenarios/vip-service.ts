import { commonV1, contextV1, routingV1 } from '@continuum/contracts';
import { uniqueTenant } from '@continuum/testing';
import { apiClients, type ApiClients } from '../support/clients';
import { interaction, playDemo, type DemoOutput } from '../support/cli';
import type { RunningPlatform } from '../support/platforms';
import { expectOneTrace } from '../support/traces';
import { DEMO_TIMEOUT_MS, expectNoStrayTraces, grpc, processOfService } from './common';

interface VipServiceResult {
  readonly vip: { readonly profileId: string; readonly taskId: string; readonly agentId: string };
  readonly regular: { readonly profileId: string; readonly taskId: string; readonly agentId: string };
  readonly seniorAgentId: string;
  readonly juniorAgentId: string;
  readonly regularWhileVipServed: { readonly status: string; readonly wouldGoTo: string; readonly seniorReason: string; readonly seniorLoad: string };
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

const { Channel } = commonV1;
const { TaskStatus } = routingV1;

/**
 * vip-service, "Must hold": priority, proficiency and capacity rules applied and explained;
 * regular customers still served (aging); the VIP recognized by caller ID; one trace per interaction.
 */
export function vipServiceSuite(platform: () => RunningPlatform): void {
  describe('vip-service', () => {
    const tenant = uniqueTenant('e2e-vip');
    let demo: DemoOutput<VipServiceResult>;
    let api: ApiClients;
    let result: VipServiceResult;
    const getTask = async (taskId: string) => {
      const { task } = await api.routing.getTask({ taskId }, api.as);
      if (!task) throw new Error(`no task ${taskId}`);
      return task;
    };

    beforeAll(async () => {
      demo = await playDemo<VipServiceResult>(platform(), 'vip-service', tenant);
      result = demo.result;
      api = await apiClients(platform(), tenant);
    }, DEMO_TIMEOUT_MS);
    afterAll(() => api?.close());

    it('offers the VIP first although she asked second, to the higher-proficiency agent, and explains why', async () => {
      const vip = await getTask(result.vip.taskId);
      const regular = await getTask(result.regular.taskId);
      expect(vip.agentId).toBe(result.seniorAgentId);
      expect(vip.segmentIds).toContain('vip');
      expect(vip.explanation?.priority?.segmentBoost).toBe(50);
      expect(vip.explanation?.requirements.find((r) => r.skill === 'support')?.minProficiency).toBeGreaterThanOrEqual(8);
      expect(vip.createTime?.getTime()).toBeGreaterThanOrEqual(regular.createTime?.getTime() ?? Infinity);
      expect(vip.acceptTime?.getTime()).toBeLessThan(regular.acceptTime?.getTime() ?? -Infinity);
    });

    it('keeps the senior agent 1:1 with the VIP: the regular chat waits although she has a second chat slot', async () => {
      // While Sofia served the VIP: her chat capacity of 2 was lowered to 1, and routing would not
      // have given Rui's chat to anyone.
      expect(result.regularWhileVipServed).toEqual(expect.objectContaining({ status: 'waiting', wouldGoTo: '', seniorLoad: '1/1' }));
      const regular = await getTask(result.regular.taskId);
      expect(regular.agentId).toBe(result.juniorAgentId);
      expect(regular.offerCount).toBe(1);
    });

    it('applies the proficiency rule: a free junior agent gets a regular chat but not a VIP one', () => {
      // Tom (support 4) is available with no chat; Sofia is busy with the VIP.
      expect(result.dryRun).toEqual(expect.objectContaining({ juniorPresence: 'available', juniorChatLoad: '0/2' }));
      expect(result.dryRun.minProficiency).toBeGreaterThanOrEqual(8);
      expect(result.dryRun.agentId).toBe('');
      expect(result.dryRun.regularWouldGoTo).toBe(result.juniorAgentId);
      // When routing lists Tom among the candidates, it says why he was passed over.
      if (result.dryRun.juniorReason !== '') expect(result.dryRun.juniorReason).toBe('PROFICIENCY_TOO_LOW');
    });

    it('still serves the regular customer, whose priority aged while waiting', async () => {
      const regular = await getTask(result.regular.taskId);
      expect(regular.status).toBe(TaskStatus.TASK_STATUS_COMPLETED);
      expect(regular.explanation?.priority?.aging).toBeGreaterThan(0);
      expect(regular.explanation?.priority?.segmentBoost).toBe(0);
    });

    it('recognizes the VIP by caller ID when she calls, so the IVR skips identification', async () => {
      expect(result.call).toEqual(expect.objectContaining({ assurance: 'ASSERTED', identificationSkipped: true }));
      expect(result.call.segments).toContain('vip');
      const { touchpoints } = await api.context.listTouchpoints(
        contextV1.ListTouchpointsRequest.fromPartial({ profileId: result.vip.profileId, channels: [Channel.CHANNEL_IVR] }),
        api.as,
      );
      expect(touchpoints.map((t) => [t.touchpointId, t.assurance])).toEqual([[result.call.touchpointId, commonV1.AssuranceLevel.ASSURANCE_LEVEL_ASSERTED]]);
    });

    it('made one trace per interaction, including the segment reaching context through the bus', async () => {
      const p = platform();
      const serverServiceOf = processOfService(p);
      const setup = interaction(demo, 'setup');
      await expectOneTrace(p.tracesDir, setup.traceId, {
        rootSpanId: setup.spanId,
        servedMethods: [`${grpc.identity}/CreateSegment`, `${grpc.identity}/UpdateTraits`],
        eventHops: [{ eventType: 'segment_membership_changed', consumerService: p.spanService.context }],
        serverServiceOf,
      });
      for (const key of ['regular-chat', 'vip-chat']) {
        const i = interaction(demo, key);
        await expectOneTrace(p.tracesDir, i.traceId, {
          rootSpanId: i.spanId,
          servedMethods: [`${grpc.identity}/Resolve`, `${grpc.routing}/SubmitTask`],
          serviceHops: [{ method: `${grpc.context}/GetContext`, from: p.spanService.routing, to: p.spanService.context }],
          serverServiceOf,
        });
      }
      for (const key of ['senior-free', 'junior-free', 'chats-end', 'vip-call']) {
        const i = interaction(demo, key);
        await expectOneTrace(p.tracesDir, i.traceId, { rootSpanId: i.spanId, serverServiceOf });
      }
      expectNoStrayTraces(p.tracesDir, tenant, demo);
    });
  });
}
