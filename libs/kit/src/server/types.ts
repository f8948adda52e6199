import type { Metadata, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from '../logging/logger';

/** Who is calling and for which tenant: built by the auth interceptor, handed to every handler. */
export interface CallContext {
  /** The tenant the call acts on (metadata `x-tenant-id`, checked against the token). */
  readonly tenantId: string;
  /** The token's subject (`sub`), or `anonymous` in development mode. */
  readonly subject: string;
  /** The token's scopes. In development mode: every scope. */
  readonly scopes: ReadonlySet<string>;
  /** `jwt` when a token was verified; `disabled` in the development mode with auth off. */
  readonly authMode: 'jwt' | 'disabled';
  /** When the call must be answered (the client's deadline, capped by the server's maximum). */
  readonly deadline: Date;
  /** Aborted when the client cancels, the deadline passes, or the server shuts down. */
  readonly signal: AbortSignal;
  /** The full gRPC method path, `/continuum.identity.v1.IdentityService/Resolve`. */
  readonly method: string;
  /** Incoming metadata (to forward tenant, auth and trace to calls this handler makes). */
  readonly metadata: Metadata;
  /** A logger bound to this call (trace and span ids, method, tenant). */
  readonly log: Logger;
}

/** A unary handler: validate, authorize, call the domain, map the result. */
export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
/** A server-streaming handler: yields responses until done or `ctx.signal` aborts. */
export type ServerStreamHandler<Req, Res> = (request: Req, ctx: CallContext) => AsyncIterable<Res>;
/** A client-streaming handler: consumes requests, answers once. */
export type ClientStreamHandler<Req, Res> = (requests: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>;
/** A bidirectional-streaming handler. */
export type BidiStreamHandler<Req, Res> = (requests: AsyncIterable<Req>, ctx: CallContext) => AsyncIterable<Res>;

/**
 * Any of the four handler kinds; the kit picks the wrapper from the method definition. `any`
 * because handler parameters are contravariant: a handler of one request type is not a handler
 * of `unknown`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnyHandler =
  | UnaryHandler<any, any>
  | ServerStreamHandler<any, any>
  | ClientStreamHandler<any, any>
  | BidiStreamHandler<any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * One gRPC service to serve: the ts-proto generated definition (e.g. `IdentityServiceService`),
 * a handler per method (keyed by the definition's lowerCamel method name), and the scope each
 * method requires (checked before the handler runs, so permission is checked before existence).
 */
export interface ServiceRegistration<D extends ServiceDefinition = ServiceDefinition> {
  readonly definition: D;
  readonly handlers: { readonly [K in keyof D]: AnyHandler };
  /** Required scope per method; a method missing here is refused (fail closed). */
  readonly scopes: { readonly [K in keyof D]: string };
}

/**
 * What every service app exports from its `index.ts` so that its own `main.ts`, the all-in-one
 * process and the tests compose it the same way: the gRPC services it serves and the background
 * work (outbox relay, event consumers, timers) it runs.
 */
export interface ServiceModule {
  /** Service name: identity, context, routing, consent, metrics. */
  readonly name: string;
  /** The gRPC services to serve. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- registrations of unrelated definitions
  readonly registrations: readonly ServiceRegistration<any>[];
  /** Starts background work; called once the store and bus are ready, before serving. */
  start(): Promise<void>;
  /** Stops background work (drain consumers, stop the relay); called before the store and bus close. */
  stop(): Promise<void>;
}
