/**
 * What routing needs to know about a customer when a task arrives, behind a small port so that the
 * engine and the tests do not depend on the context service's message shapes. The gRPC adapter
 * asks continuum.context.v1.ContextService/GetContext once, with a deadline, through the kit's
 * client (tenant, authorization and trace context carried over from the submitting call).
 */
import { commonV1, contextV1 } from '@continuum/contracts';
import { Metadata, status } from '@grpc/grpc-js';
import { context, trace, type Context } from '@opentelemetry/api';
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

/** Context queries one BatchGetContext call carries at most (the context service takes 100). */
const MAX_BATCH = 100;
/** A query that comes this soon after the previous one waits a loop turn to join a batch (ms). */
const QUIET_MS = 2;

interface Waiting {
  readonly query: ContextQuery;
  readonly ctx: CallContext;
  readonly origin: Context;
  readonly resolve: (context: RoutingContext) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * ContextPort over the context service's gRPC API. A query that comes alone (nothing asked in the
 * last 2 ms) is one GetContext call at once. Queries that come close together (a burst of
 * submissions) wait one turn of the event loop and go as one BatchGetContext call per tenant and
 * caller authorization, up to 100 at a time: each task still asks context once, with the same
 * deadline, but the gRPC cost of the call is shared. A batch call is traced under the first
 * submission of the batch, and the spans of the others link to that submission's span. A context service without BatchGetContext (UNIMPLEMENTED) is asked one
 * by one from then on. A failed batch fails each of its queries (their tasks are routed without
 * context, as when a single call fails).
 */
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
  const request = (query: ContextQuery): contextV1.GetContextRequest =>
    contextV1.GetContextRequest.fromPartial({ profileId: query.profileId, purpose: commonV1.Purpose.PURPOSE_SERVICE, touchpointLimit: 1, factLimit: 1 });

  const single = async (query: ContextQuery, ctx: CallContext): Promise<RoutingContext> => {
    const t = token();
    const response = await client.getContext(request(query), { ctx, deadlineMs: options.deadlineMs, ...(t !== undefined ? { token: t } : {}) });
    return routingContextOf(response, query.caseId);
  };

  let batchSupported = true;
  let lastAsked = Number.NEGATIVE_INFINITY;
  /** Queries waiting for the next flush, per tenant and authorization; non-empty iff a flush is scheduled. */
  const groups = new Map<string, Waiting[]>();

  const sendBatch = async (batch: readonly Waiting[]): Promise<void> => {
    const first = batch[0] as Waiting;
    const t = token();
    const forwarded = first.ctx.metadata.get('authorization')[0];
    const metadata = new Metadata();
    if (t === undefined && typeof forwarded === 'string') metadata.set('authorization', forwarded);
    // The call is traced under the first submission; each other submission's span links to that
    // span, so every submission's trace leads to its context hop.
    const tracedUnder = trace.getSpanContext(first.origin);
    if (tracedUnder) for (const w of batch.slice(1)) trace.getSpan(w.origin)?.addLink({ context: tracedUnder });
    try {
      const response = await context.with(first.origin, () =>
        client.batchGetContext(
          { requests: batch.map((w) => request(w.query)) },
          { tenantId: first.ctx.tenantId, deadlineMs: options.deadlineMs, metadata, ...(t !== undefined ? { token: t } : {}) },
        ),
      );
      if (response.contexts.length !== batch.length) throw new Error(`BatchGetContext answered ${response.contexts.length} of ${batch.length} requests`);
      batch.forEach((w, i) => w.resolve(routingContextOf(response.contexts[i] as contextV1.GetContextResponse, w.query.caseId)));
    } catch (err) {
      if ((err as { code?: number }).code === status.UNIMPLEMENTED) {
        batchSupported = false;
        for (const w of batch) context.with(w.origin, () => single(w.query, w.ctx)).then(w.resolve, w.reject);
        return;
      }
      for (const w of batch) w.reject(err);
    }
  };

  const flush = (): void => {
    for (const [key, waiting] of groups) {
      groups.delete(key);
      for (let i = 0; i < waiting.length; i += MAX_BATCH) {
        const batch = waiting.slice(i, i + MAX_BATCH);
        if (batch.length === 1 || !batchSupported) for (const w of batch) context.with(w.origin, () => single(w.query, w.ctx)).then(w.resolve, w.reject);
        else void sendBatch(batch);
      }
    }
  };

  return {
    routingContext(query, ctx) {
      const now = performance.now();
      const alone = groups.size === 0 && now - lastAsked >= QUIET_MS;
      lastAsked = now;
      if (alone) return single(query, ctx);
      return new Promise<RoutingContext>((resolve, reject) => {
        const key = `${ctx.tenantId}\u0000${String(ctx.metadata.get('authorization')[0] ?? '')}`;
        const waiting = { query, ctx, origin: context.active(), resolve, reject };
        if (groups.size === 0) setImmediate(flush);
        const group = groups.get(key);
        if (group) group.push(waiting);
        else groups.set(key, [waiting]);
      });
    },
    close: () => client.close(),
  };
}
