import { routingV1 } from '@continuum/contracts';
import type { Target } from './args';
import { inspect } from './inspect';
import type { Platform } from './platform/connection';

const target: Target = { identity: 'a:1', context: 'b:2', routing: 'c:3', tenant: 'acme', tenantGenerated: false, token: undefined, deadlineMs: 1000 };

const task = routingV1.Task.fromPartial({
  taskId: 'tsk_1',
  queueId: 'b2b-sms',
  channel: 7,
  status: routingV1.TaskStatus.TASK_STATUS_ASSIGNED,
  agentId: 'agt-dana',
  explanation: {
    stage: routingV1.RoutingStage.ROUTING_STAGE_TEAM,
    selectedAgentId: 'agt-dana',
    contextAvailable: true,
    trail: ['+0.0s case owner agt-chen not available', '+1.0s team stage: b2b-engineers'],
  },
});

function fakePlatform(needs: string[]): (t: Target, n?: readonly string[]) => Promise<Platform> {
  return async (_t, n) => {
    needs.push(...(n ?? []));
    return {
      target,
      routing: { getTask: jest.fn(async () => ({ task })) },
      close: jest.fn(),
    } as unknown as Platform;
  };
}

describe('inspect task', () => {
  it('asks only the routing service and shows status, decision and trail', async () => {
    const needs: string[] = [];
    const text = await inspect('task', 'tsk_1', target, false, new Date(), fakePlatform(needs));
    expect(needs).toEqual(['routing']);
    expect(text).toContain('  supervisor  task tsk_1');
    expect(text).toMatch(/status\s+assigned/);
    expect(text).toMatch(/stage\s+team/);
    expect(text).toContain('2.  +1.0s team stage: b2b-engineers');
  });

  it('prints the answer as proto JSON with --json', async () => {
    const text = await inspect('task', 'tsk_1', target, true, new Date(), fakePlatform([]));
    expect(JSON.parse(text)).toMatchObject({ task: { taskId: 'tsk_1', status: 'TASK_STATUS_ASSIGNED', agentId: 'agt-dana' } });
  });
});
