/**
 * What routing needs to know about a customer when a task arrives, behind a small port so that the
 * engine and the tests do not depend on the context service's message shapes. The gRPC adapter
 * asks continuum.context.v1.ContextService/GetContext once, with a deadline, through the kit's
 * client (tenant, authorization and trace context carried over from the submitting call).
 */
import { commonV1, contextV1 } from '@continuum/contracts';
import { createClient, type CallContext, type KitClient } from '@continuum/kit';

/** The routing-relevant part of a customer's context. */
export interface RoutingContext {
  /** Segments the profile is in (`vip`). */
  readonly segmentIds: readonly string[];
  /** The owner of the case the task belongs to (or of the customer's most recent open case). */
  readonly caseOwnerAgentId: string;
  /** That case's team. */
  readonly caseTeamId: string;
  /** Who last handled the customer. */
  readonly lastAgentId: string;
  /** The likely intent (lower_snake), or empty. */
  readonly intent: string;
  /** Active journeys (ids), most recent first. */
  readonly activeJourneyIds: readonly string[];
}

export interface ContextQuery {
  readonly profileId: string;
  /** The case the task names, if any: its owner wins over other open cases. */
  readonly caseId: string;
}

export interface ContextPort {
  /** Rejects when context cannot be asked (unreachable, deadline, refused): the caller routes without it. */
  routingContext(query: ContextQuery, ctx: CallContext): Promise<RoutingContext>;
  close(): void;
}

/** Thrown when routing has no context service configured. */
export class ContextNotConfiguredError extends Error {
  constructor() {
    super('no context service configured (CONTEXT_ADDRESS)');
    this.name = 'ContextNotConfiguredError';
  }
}

/** The port when CONTEXT_ADDRESS is empty: every task is routed on its own data. */
export const NO_CONTEXT: ContextPort = {
  routingContext: () => Promise.reject(new ContextNotConfiguredError()),
  close: () => undefined,
};

/** The routing context out of a GetContext answer. */
export function routingContextOf(response: contextV1.GetContextResponse, caseId: string): RoutingContext {
  const open = response.openCases;
  const theCase = (caseId !== '' ? open.find((c) => c.caseId === caseId) : undefined) ?? open[0];
  return {
    segmentIds: response.profile?.segmentIds ?? [],
    caseOwnerAgentId: theCase?.ownerAgentId ?? '',
    caseTeamId: theCase?.teamId ?? '',
    lastAgentId: response.lastAgentId,
    intent: response.likelyIntent?.intent ?? '',
    activeJourneyIds: response.activeJourneys.map((j) => j.journeyId),
  };
}

export interface GrpcContextPortOptions {
  readonly address: string;
  readonly deadlineMs: number;
  /** A platform token to call context with; unset: the submitting caller's authorization is forwarded. */
  readonly token?: string | (() => string);
}

/** ContextPort over the context service's gRPC API. */
export function grpcContextPort(options: GrpcContextPortOptions): ContextPort {
  const client: KitClient<typeof contextV1.ContextServiceService> = createClient(contextV1.ContextServiceClient, {
    address: options.address,
    deadlineMs: options.deadlineMs,
    // No transparent retries: the deadline is short, a task is routed without context rather than
    // held up, and grpc-js's retry machinery (buffering every call for a possible replay) roughly
    // doubled the CPU cost of this call on the submission path.
    channelOptions: { 'grpc.enable_retries': 0 },
  });
  const token = (): string | undefined => (typeof options.token === 'function' ? options.token() : options.token);
  return {
    async routingContext(query, ctx) {
      const response = await client.getContext(
        contextV1.GetContextRequest.fromPartial({ profileId: query.profileId, purpose: commonV1.Purpose.PURPOSE_SERVICE, touchpointLimit: 1, factLimit: 1 }),
        { ctx, deadlineMs: options.deadlineMs, ...(token() !== undefined ? { token: token() } : {}) },
      );
      return routingContextOf(response, query.caseId);
    },
    close: () => client.close(),
  };
}
