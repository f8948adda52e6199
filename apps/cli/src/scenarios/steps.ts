import { randomInt } from 'node:crypto';
import { commonV1, contextV1, identityV1, routingV1 } from '@continuum/contracts';
import { PlatformCallError } from '../errors';
import { AgentDesk } from '../platform/agent-desk';
import type { DeepPartial } from './deep-partial';
import type { ScenarioRun } from './scenario-run';

/**
 * Building blocks the scenarios share: the calls a channel, an agent desktop or a supervisor
 * console makes, with the request ids and defaults filled in.
 */

export const { Channel, AssuranceLevel, Direction, Purpose } = commonV1;
export const { IdentifierType } = identityV1;

/** Creates something that may exist already (a rerun in the same tenant): ALREADY_EXISTS reads it instead. */
export async function createOrGet<T>(create: () => Promise<T>, get: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof PlatformCallError && error.code === 'ALREADY_EXISTS') return get();
    throw error;
  }
}

export interface ObservedId {
  readonly type: identityV1.IdentifierType;
  readonly value: string;
  readonly proof?: commonV1.AssuranceLevel;
}

/** identity.Resolve of the identifiers a channel saw. */
export function resolve(run: ScenarioRun, channel: commonV1.Channel, identifiers: readonly ObservedId[]): Promise<identityV1.ResolveResponse> {
  return run.platform.identity.resolve(
    identityV1.ResolveRequest.fromPartial({
      channel,
      identifiers: identifiers.map((i) => ({ type: i.type, value: i.value, proof: i.proof ?? AssuranceLevel.ASSURANCE_LEVEL_NONE })),
      requestId: run.requestId('resolve'),
    }),
  );
}

/** The profile Resolve returned; a scenario cannot go on without one. */
export function profileOf(response: identityV1.ResolveResponse): identityV1.Profile {
  if (!response.profile) throw new Error('identity answered Resolve without a profile (every identifier blocked by policy?)');
  return response.profile;
}

/** context.RecordTouchpoint; occurredAt defaults to now. */
export async function recordTouchpoint(run: ScenarioRun, touchpoint: DeepPartial<contextV1.Touchpoint>): Promise<contextV1.Touchpoint> {
  const response = await run.platform.context.recordTouchpoint(
    contextV1.RecordTouchpointRequest.fromPartial({
      touchpoint: { occurredAt: new Date(), direction: Direction.DIRECTION_INBOUND, ...touchpoint },
      requestId: run.requestId('touchpoint'),
    }),
  );
  if (!response.touchpoint) throw new Error('context answered RecordTouchpoint without the touchpoint');
  return response.touchpoint;
}

/** context.GetContext for serving the customer (the purpose that sees every fact). */
export function getContext(run: ScenarioRun, profileId: string): Promise<contextV1.GetContextResponse> {
  return run.platform.context.getContext(contextV1.GetContextRequest.fromPartial({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 20 }));
}

/** Creates the queue unless it exists. */
export function ensureQueue(run: ScenarioRun, queue: DeepPartial<routingV1.Queue>): Promise<routingV1.Queue | undefined> {
  return createOrGet(
    async () => (await run.platform.routing.createQueue(routingV1.CreateQueueRequest.fromPartial({ queue, requestId: run.requestId('queue') }))).queue,
    async () => (await run.platform.routing.getQueue(routingV1.GetQueueRequest.fromPartial({ queueId: queue.queueId ?? '' }))).queue,
  );
}

/** Creates the agent unless it exists. */
export function ensureAgent(run: ScenarioRun, agent: DeepPartial<routingV1.Agent>): Promise<routingV1.Agent | undefined> {
  return createOrGet(
    async () => (await run.platform.routing.createAgent(routingV1.CreateAgentRequest.fromPartial({ agent, requestId: run.requestId('agent') }))).agent,
    async () => (await run.platform.routing.getAgent(routingV1.GetAgentRequest.fromPartial({ agentId: agent.agentId ?? '' }))).agent,
  );
}

/** Replaces the tenant's routing policy (read first for its version). */
export async function setRoutingPolicy(run: ScenarioRun, policy: DeepPartial<routingV1.RoutingPolicy>): Promise<routingV1.RoutingPolicy | undefined> {
  const current = await run.platform.routing.getRoutingPolicy({});
  const response = await run.platform.routing.updateRoutingPolicy(
    routingV1.UpdateRoutingPolicyRequest.fromPartial({ policy, expectedVersion: current.policy?.version ?? 0, requestId: run.requestId('policy') }),
  );
  return response.policy;
}

/** Opens an agent's desktop (the offer stream). Call inside an interaction: the stream belongs to its trace. */
export async function openDesk(run: ScenarioRun, agentId: string): Promise<AgentDesk> {
  const desk = new AgentDesk(run.platform.routing, run.platform.target.routing, agentId);
  run.onCleanup(() => desk.close());
  await desk.open(run.options.waitTimeoutMs);
  return desk;
}

/**
 * An agent starts the shift: the agent exists (created unless it does), the desktop's offer stream
 * is open and the presence is set. Call inside an interaction: the stream belongs to its trace.
 */
export async function signIn(run: ScenarioRun, agent: DeepPartial<routingV1.Agent> & { readonly agentId: string }, presence: routingV1.Presence): Promise<AgentDesk> {
  await ensureAgent(run, agent);
  const desk = await openDesk(run, agent.agentId);
  await setPresence(run, agent.agentId, presence);
  return desk;
}

/** The desk that received the task's offer (whichever agent routing chose), waiting for it. */
export async function deskOffered(run: ScenarioRun, desks: readonly AgentDesk[], taskId: string): Promise<AgentDesk> {
  return run.waitFor(`routing to offer task ${taskId} to an agent`, async () => desks.find((d) => d.offerOf(taskId) !== undefined), 20);
}

/** identity.UpdateTraits (segments are re-evaluated by identity). */
export async function setTraits(run: ScenarioRun, profileId: string, set: Record<string, unknown>): Promise<identityV1.UpdateTraitsResponse> {
  return run.platform.identity.updateTraits(identityV1.UpdateTraitsRequest.fromPartial({ profileId, set, requestId: run.requestId('traits') }));
}

export function setPresence(run: ScenarioRun, agentId: string, presence: routingV1.Presence): Promise<routingV1.SetPresenceResponse> {
  return run.platform.routing.setPresence(routingV1.SetPresenceRequest.fromPartial({ agentId, presence, requestId: run.requestId('presence') }));
}

/** routing.SubmitTask. */
export async function submitTask(run: ScenarioRun, task: DeepPartial<routingV1.TaskSubmission>): Promise<routingV1.Task> {
  const response = await run.platform.routing.submitTask(routingV1.SubmitTaskRequest.fromPartial({ task, requestId: run.requestId('task') }));
  if (!response.task) throw new Error('routing answered SubmitTask without the task');
  return response.task;
}

export async function getTask(run: ScenarioRun, taskId: string): Promise<routingV1.Task> {
  const response = await run.platform.routing.getTask(routingV1.GetTaskRequest.fromPartial({ taskId }));
  if (!response.task) throw new Error(`routing answered GetTask ${taskId} without the task`);
  return response.task;
}

/** Waits for the offer of `taskId` on the agent's desk and accepts it. */
export async function takeOffer(run: ScenarioRun, desk: AgentDesk, taskId: string): Promise<{ offer: routingV1.Offer; task: routingV1.Task }> {
  const progress = run.reporter.progress(`waiting for the offer on ${desk.agentId}'s desktop`);
  const offer = await desk.waitForOffer(taskId, run.options.waitTimeoutMs).catch((error: unknown) => {
    progress.fail(`no offer reached ${desk.agentId}`);
    throw error;
  });
  progress.done(`offer received by ${desk.agentId}`);
  const accepted = await run.platform.routing.acceptOffer(
    routingV1.AcceptOfferRequest.fromPartial({ agentId: desk.agentId, offerId: offer.offerId, taskId, requestId: run.requestId('accept') }),
  );
  if (!accepted.task) throw new Error('routing answered AcceptOffer without the task');
  return { offer, task: accepted.task };
}

export async function completeTask(run: ScenarioRun, agentId: string, taskId: string, outcome: routingV1.TaskOutcome, wrapUpCode: string): Promise<routingV1.Task> {
  const response = await run.platform.routing.completeTask(
    routingV1.CompleteTaskRequest.fromPartial({ agentId, taskId, outcome, wrapUpCode, requestId: run.requestId('complete') }),
  );
  if (!response.task) throw new Error('routing answered CompleteTask without the task');
  return response.task;
}

/**
 * A phone number for a demo customer: the given one in a fresh tenant, a random one of the same
 * country in a reused tenant (so reruns do not recognize an earlier run's customer by phone).
 */
export function demoPhone(run: ScenarioRun, fixed: string, makeRandom: (digits: () => string) => string): string {
  if (run.platform.target.tenantGenerated) return fixed;
  return makeRandom(() => String(randomInt(0, 10)));
}
