import { Metadata } from '@grpc/grpc-js';
import { TENANT_METADATA_KEY } from '../auth/principal';
import type { CallContext } from '../server/types';

/** Per-call options of a kit client method. */
export interface ClientCallOptions {
  /** The handler's context: tenant, authorization, deadline and cancellation carry over. */
  readonly ctx?: CallContext;
  /** Tenant to act on; overrides `ctx.tenantId`. */
  readonly tenantId?: string;
  /** Bearer token; overrides the one forwarded from `ctx` and the client's default. */
  readonly token?: string;
  /** Deadline of this call from now (ms); overrides the client's default, still capped by `ctx`. */
  readonly deadlineMs?: number;
  /** Extra metadata to send. */
  readonly metadata?: Metadata;
  /** Cancels the call when aborted (in addition to `ctx.signal`). */
  readonly signal?: AbortSignal;
}

/**
 * The metadata of an outgoing call: tenant and authorization from the options, else from the
 * calling handler's context, else the client's default token. `traceparent` is added by the
 * caller when the client span exists.
 */
export function outgoingMetadata(options: ClientCallOptions, defaultToken: string | undefined): Metadata {
  const metadata = options.metadata?.clone() ?? new Metadata();
  const tenant = options.tenantId ?? options.ctx?.tenantId;
  if (tenant !== undefined) metadata.set(TENANT_METADATA_KEY, tenant);
  const forwarded = options.ctx?.metadata.get('authorization')[0];
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  else if (typeof forwarded === 'string') metadata.set('authorization', forwarded);
  else if (defaultToken !== undefined && metadata.get('authorization').length === 0) {
    metadata.set('authorization', `Bearer ${defaultToken}`);
  }
  return metadata;
}

/**
 * The call's deadline: this call's budget from now, never later than the calling handler's.
 * `defaultMs` undefined (a subscription: the response streams for as long as the caller wants)
 * means no deadline of its own; grpc-js takes Infinity as "none".
 */
export function outgoingDeadline(options: ClientCallOptions, defaultMs: number | undefined, now = Date.now()): Date | number {
  const budget = options.deadlineMs ?? defaultMs;
  const own = budget === undefined ? Number.POSITIVE_INFINITY : now + budget;
  const inherited = options.ctx?.deadline.getTime() ?? Number.POSITIVE_INFINITY;
  const deadline = Math.min(own, inherited);
  return Number.isFinite(deadline) ? new Date(deadline) : Number.POSITIVE_INFINITY;
}
