import { once } from 'node:events';
import type { Writable } from 'node:stream';
import {
  status,
  type MethodDefinition,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
  type UntypedHandleCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { authorizeScope, authorizeTenant } from '../auth/authorize';
import type { Authenticator } from '../auth/authenticator';
import { DeadlineExceededError, ResourceExhaustedError } from '../errors/domain-errors';
import type { Logger } from '../logging/logger';
import { metadataGetter } from '../telemetry/metadata-carrier';
import { codeName, endRpcSpan, splitMethodPath } from '../telemetry/rpc-attributes';
import type { Counter, Histogram } from 'prom-client';
import type { CallTracker } from './call-tracker';
import { effectiveDeadline, NO_DEADLINE, type DeadlinePolicy } from './deadline';
import { CallCancelledError, mapError, type MappedStatus } from './error-mapping';
import type { GrpcServerMetrics } from './grpc-metrics';
import { readRequests, whenAborted } from './request-stream';
import type {
  AnyHandler,
  BidiStreamHandler,
  CallContext,
  ClientStreamHandler,
  ServerStreamHandler,
  UnaryHandler,
} from './types';

/** What every call of a server shares. */
export interface PipelineDeps {
  readonly domain: string;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly metrics: GrpcServerMetrics;
  readonly tracker: CallTracker;
  readonly deadlines: DeadlinePolicy;
  /**
   * Request/response calls allowed in flight at once (0: no limit). Past it a call is refused at
   * once with RESOURCE_EXHAUSTED (SERVER_OVERLOADED) instead of queueing until every caller times
   * out; long-lived subscriptions are not counted.
   */
  readonly maxConcurrentRequests: number;
}

type GrpcType = 'unary' | 'server_stream' | 'client_stream' | 'bidi_stream';
type SurfaceCall = ServerUnaryCall<unknown, unknown>;

const tracer = trace.getTracer('@continuum/kit');

/** Codes a client causes; logged at info, not as server problems. */
const CLIENT_CODES: ReadonlySet<status> = new Set([
  status.CANCELLED, status.INVALID_ARGUMENT, status.NOT_FOUND, status.ALREADY_EXISTS, status.PERMISSION_DENIED,
  status.UNAUTHENTICATED, status.FAILED_PRECONDITION, status.ABORTED, status.OUT_OF_RANGE, status.RESOURCE_EXHAUSTED,
]);

/**
 * Wraps one handler into the grpc-js handler of its kind. Around every call, in this order:
 * metrics start, a SERVER span continuing the caller's `traceparent`, the deadline and the abort
 * signal, authentication, tenant and scope checks (before the handler: permission precedes
 * existence), the handler, then error mapping, metrics, span status and the access log line.
 */
export function wrapHandler(definition: MethodDefinition<unknown, unknown>, handler: AnyHandler, requiredScope: string, deps: PipelineDeps): UntypedHandleCall {
  const type: GrpcType = definition.requestStream
    ? definition.responseStream ? 'bidi_stream' : 'client_stream'
    : definition.responseStream ? 'server_stream' : 'unary';
  const method = methodState(definition.path, type, requiredScope, deps);
  const run = (call: SurfaceCall, execute: (ctx: CallContext) => Promise<void>, fail: (s: StatusObject) => void): void => {
    void runCall(method, deps, call, execute, fail);
  };

  switch (type) {
    case 'unary':
      return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const answer = settleOnce(callback);
        run(call, async (ctx) => answer(null, await (handler as UnaryHandler<unknown, unknown>)(call.request, ctx)), (s) => answer(s));
      };
    case 'client_stream':
      return (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const answer = settleOnce(callback);
        run(
          call as unknown as SurfaceCall,
          async (ctx) => answer(null, await (handler as ClientStreamHandler<unknown, unknown>)(readRequests(call, ctx.signal), ctx)),
          (s) => answer(s),
        );
      };
    case 'server_stream':
      return (call: ServerWritableStream<unknown, unknown>) => {
        run(
          call as unknown as SurfaceCall,
          (ctx) => writeAll(call, (handler as ServerStreamHandler<unknown, unknown>)(call.request, ctx), ctx.signal),
          (s) => call.emit('error', s),
        );
      };
    case 'bidi_stream':
      return (call: ServerDuplexStream<unknown, unknown>) => {
        run(
          call as unknown as SurfaceCall,
          (ctx) => writeAll(call, (handler as BidiStreamHandler<unknown, unknown>)(readRequests(call, ctx.signal), ctx), ctx.signal),
          (s) => call.emit('error', s),
        );
      };
  }
}

/** What is the same for every call of one method, computed once (labelled metric children, names). */
interface MethodState {
  readonly path: string;
  readonly service: string;
  readonly method: string;
  readonly type: GrpcType;
  readonly spanName: string;
  readonly requiredScope: string;
  readonly logFields: Readonly<Record<string, string>>;
  readonly started: Counter.Internal;
  readonly handling: Histogram.Internal<string>;
  handled(code: status): Counter.Internal;
}

function methodState(path: string, type: GrpcType, requiredScope: string, deps: PipelineDeps): MethodState {
  const { service, method } = splitMethodPath(path);
  const labels = { grpc_type: type, grpc_service: service, grpc_method: method };
  const handledByCode = new Map<status, Counter.Internal>();
  return {
    path,
    service,
    method,
    type,
    spanName: `${service}/${method}`,
    requiredScope,
    logFields: labels,
    started: deps.metrics.started.labels(labels),
    handling: deps.metrics.handling.labels(labels),
    handled: (code) => {
      let child = handledByCode.get(code);
      if (child === undefined) {
        child = deps.metrics.handled.labels({ ...labels, grpc_code: codeName(code) });
        handledByCode.set(code, child);
      }
      return child;
    },
  };
}

async function runCall(
  m: MethodState,
  deps: PipelineDeps,
  call: SurfaceCall,
  execute: (ctx: CallContext) => Promise<void>,
  fail: (s: StatusObject) => void,
): Promise<void> {
  m.started.inc();
  const stopTimer = m.handling.startTimer();
  const startedAt = performance.now();

  const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
  const span = tracer.startSpan(
    m.spanName,
    { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': m.service, 'rpc.method': m.method } },
    parent,
  );

  const controller = new AbortController();
  const now = Date.now();
  const subscription = m.type === 'server_stream' || m.type === 'bidi_stream';
  const deadline = effectiveDeadline(call.getDeadline(), deps.deadlines, now, subscription);
  // No timer for an open-ended subscription (setTimeout would clamp a huge delay to 1 ms).
  const timer =
    deadline >= NO_DEADLINE
      ? undefined
      : setTimeout(() => controller.abort(new DeadlineExceededError('DEADLINE_EXCEEDED', 'deadline exceeded')), Math.max(0, deadline - now));
  const onCancelled = (): void => controller.abort(new CallCancelledError());
  call.on('cancelled', onCancelled);
  const overloaded = !subscription && deps.maxConcurrentRequests > 0 && deps.tracker.requests >= deps.maxConcurrentRequests;
  const untrack = deps.tracker.add(controller, subscription);

  await context.with(trace.setSpan(parent, span), async () => {
    // Child loggers cost more than the rest of a call; they are made only when something logs.
    let callLog: Logger | undefined;
    const log = (): Logger => (callLog ??= deps.logger.child(m.logFields));
    let outcome: MappedStatus | undefined;
    let tenantId: string | undefined;
    try {
      if (overloaded) throw new ResourceExhaustedError('SERVER_OVERLOADED', 'the server is at its limit of calls in flight; retry with backoff');
      const principal = await deps.authenticator.authenticate(call.metadata);
      tenantId = authorizeTenant(principal, call.metadata);
      authorizeScope(principal, m.requiredScope);
      span.setAttribute('continuum.tenant_id', tenantId);
      const tenant = tenantId;
      let handlerLog: Logger | undefined;
      const ctx: CallContext = {
        tenantId: tenant,
        subject: principal.subject,
        scopes: principal.scopes,
        authMode: principal.authMode,
        deadline: new Date(deadline),
        signal: controller.signal,
        method: m.path,
        metadata: call.metadata,
        get log() {
          return (handlerLog ??= log().child({ tenant_id: tenant }));
        },
      };
      const work = execute(ctx);
      work.catch(() => undefined); // a handler failing after the deadline answer is not unhandled
      // The handler may ignore its signal; the client still gets its answer at the deadline.
      await Promise.race([work, whenAborted(controller.signal).then(() => Promise.reject(controller.signal.reason as Error))]);
    } catch (error) {
      outcome = mapError(error, controller.signal, deps.domain);
      if (outcome.code !== status.CANCELLED) fail(outcome);
      if (outcome.unexpected) logUnexpected(log(), error, tenantId);
    } finally {
      clearTimeout(timer);
      call.removeListener('cancelled', onCancelled);
      untrack();
    }
    const code = outcome?.code ?? status.OK;
    m.handled(code).inc();
    stopTimer();
    endRpcSpan(span, code, 'server');
    const level = code === status.OK ? 'debug' : CLIENT_CODES.has(code) ? 'info' : 'warn';
    if (deps.logger.isLevelEnabled(level)) {
      const fields = { grpc_code: codeName(code), duration_ms: Math.round((performance.now() - startedAt) * 1000) / 1000, tenant_id: tenantId };
      log()[level](fields, code === status.OK ? 'call completed' : 'call failed');
    }
  });
}

/**
 * Logs an unexpected error with the trace id (from the active span): its type, code and stack
 * frames at error level, its message only at debug level, because messages of library errors
 * (a duplicate-key error, a parse error) can quote personal data from the request.
 */
function logUnexpected(log: Logger, error: unknown, tenantId: string | undefined): void {
  const err = error instanceof Error ? error : new Error(String(error));
  log.error(
    {
      tenant_id: tenantId,
      error_type: err.name,
      error_code: (err as { code?: unknown }).code,
      stack: err.stack?.split('\n').slice(1).join('\n'),
    },
    'unexpected error in handler',
  );
  log.debug({ error_message: err.message }, 'unexpected error message');
}

/** A unary callback that answers once: a late result after a deadline answer is dropped. */
function settleOnce<T>(callback: sendUnaryData<T>): (error: StatusObject | null, value?: T) => void {
  let settled = false;
  return (error, value) => {
    if (settled) return;
    settled = true;
    if (error) callback(error);
    else callback(null, value);
  };
}

/** Writes every message a streaming handler yields, honouring backpressure, then ends the call. */
async function writeAll(call: Writable, messages: AsyncIterable<unknown>, signal: AbortSignal): Promise<void> {
  for await (const message of messages) {
    if (signal.aborted) throw signal.reason as Error;
    if (!call.write(message)) await once(call, 'drain', { signal });
  }
  call.end();
}
