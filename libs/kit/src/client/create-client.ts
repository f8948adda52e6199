import {
  credentials as grpcCredentials,
  status,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { SpanKind, context, propagation, trace, type Span } from '@opentelemetry/api';
import { metadataSetter } from '../telemetry/metadata-carrier';
import { endRpcSpan, splitMethodPath } from '../telemetry/rpc-attributes';
import { outgoingDeadline, outgoingMetadata, type ClientCallOptions } from './call-metadata';
import { retryServiceConfig } from './retry-policy';

/** The shape of one method of a ts-proto generated grpc-js service definition. */
export interface GeneratedMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  // `any`: each generated method has its own message types; this is the common supertype.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly requestSerialize: (value: any) => Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly responseDeserialize: (value: Buffer) => any;
}

/** A ts-proto generated client constructor (`EchoServiceClient`), which carries its definition. */
export interface GeneratedClientConstructor<D extends Record<string, GeneratedMethod>> {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): Client;
  readonly service: D;
}

type RequestOf<M> = M extends { requestSerialize: (value: infer R) => Buffer } ? R : never;
type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer R } ? R : never;

/** Messages of a server (or bidi) stream; `cancel()` stops the call early. */
export interface ResponseStream<T> extends AsyncIterable<T> {
  cancel(): void;
}

/** A client method per the method's kind: promises for single answers, async iterables for streams. */
export type ClientMethod<M> = M extends { requestStream: false; responseStream: false }
  ? (request: RequestOf<M>, options?: ClientCallOptions) => Promise<ResponseOf<M>>
  : M extends { requestStream: false; responseStream: true }
    ? (request: RequestOf<M>, options?: ClientCallOptions) => ResponseStream<ResponseOf<M>>
    : M extends { requestStream: true; responseStream: false }
      ? (requests: AsyncIterable<RequestOf<M>> | Iterable<RequestOf<M>>, options?: ClientCallOptions) => Promise<ResponseOf<M>>
      : (requests: AsyncIterable<RequestOf<M>> | Iterable<RequestOf<M>>, options?: ClientCallOptions) => ResponseStream<ResponseOf<M>>;

/** A promise-based client of one service. */
export type KitClient<D> = { readonly [K in keyof D]: ClientMethod<D[K]> } & {
  /** Closes the channel; calls in flight fail. */
  close(): void;
};

export interface ClientFactoryOptions {
  /** `host:port` (or any grpc-js target, e.g. `dns:///identity:50051`). */
  readonly address: string;
  /** Deadline of every call that sets none (ms). */
  readonly deadlineMs: number;
  /** TLS / mTLS; insecure by default. */
  readonly credentials?: ChannelCredentials;
  /** Token sent when neither the call nor its `ctx` has one (a platform service token). */
  readonly token?: string | (() => string);
  /** Attempts on UNAVAILABLE, first one included (default 4). */
  readonly maxAttempts?: number;
  /** More grpc-js channel options. */
  readonly channelOptions?: Partial<ClientOptions>;
}

const tracer = trace.getTracer('@continuum/kit');

/**
 * A promise-based, typed client over a ts-proto generated grpc-js client. Every call gets a
 * deadline (never later than the calling handler's), tenant and authorization (from the options
 * or the handler's `ctx`), a CLIENT span whose `traceparent` travels in the metadata, and
 * retries of UNAVAILABLE through the channel's service config.
 */
export function createClient<D extends Record<string, GeneratedMethod>>(
  ctor: GeneratedClientConstructor<D>,
  options: ClientFactoryOptions,
): KitClient<D> {
  const methods = Object.entries(ctor.service);
  const firstPath = methods[0]?.[1].path;
  if (firstPath === undefined) throw new Error('createClient: the service has no methods');
  const serviceName = splitMethodPath(firstPath).service;
  const client = new ctor(options.address, options.credentials ?? grpcCredentials.createInsecure(), {
    'grpc.enable_retries': 1,
    'grpc.service_config': retryServiceConfig(serviceName, options.maxAttempts),
    ...options.channelOptions,
  });
  const defaultToken = (): string | undefined => (typeof options.token === 'function' ? options.token() : options.token);

  const kit: Record<string, unknown> = { close: () => client.close() };
  for (const [key, method] of methods) {
    // What is the same for every call of the method is worked out once, not per call.
    const { service, method: name } = splitMethodPath(method.path);
    const spanName = `${service}/${name}`;
    const spanAttributes = { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': name, 'server.address': options.address };
    // Subscriptions (streamed responses) get no default deadline: an agent's offer stream stays
    // open for a shift. An explicit `deadlineMs` or the calling handler's deadline still applies.
    const defaultDeadlineMs = method.responseStream ? undefined : options.deadlineMs;
    const prepare = (callOptions: ClientCallOptions = {}) => {
      const span = tracer.startSpan(spanName, { kind: SpanKind.CLIENT, attributes: spanAttributes });
      const metadata = outgoingMetadata(callOptions, defaultToken());
      propagation.inject(trace.setSpan(context.active(), span), metadata, metadataSetter);
      const grpcOptions: CallOptions = { deadline: outgoingDeadline(callOptions, defaultDeadlineMs) };
      return { span, metadata, grpcOptions };
    };

    if (!method.requestStream && !method.responseStream) {
      kit[key] = (request: unknown, callOptions?: ClientCallOptions) => {
        const { span, metadata, grpcOptions } = prepare(callOptions);
        return singleAnswer(span, callOptions, (done) =>
          client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, grpcOptions, done),
        );
      };
    } else if (!method.requestStream) {
      kit[key] = (request: unknown, callOptions?: ClientCallOptions) => {
        const { span, metadata, grpcOptions } = prepare(callOptions);
        const call = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, grpcOptions);
        return responseStream(call, span, cancelOnAbort(callOptions, () => call.cancel()));
      };
    } else if (!method.responseStream) {
      kit[key] = (requests: AsyncIterable<unknown> | Iterable<unknown>, callOptions?: ClientCallOptions) => {
        const { span, metadata, grpcOptions } = prepare(callOptions);
        return singleAnswer(span, callOptions, (done) => {
          const call = client.makeClientStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, metadata, grpcOptions, done);
          pump(requests, call);
          return call;
        });
      };
    } else {
      kit[key] = (requests: AsyncIterable<unknown> | Iterable<unknown>, callOptions?: ClientCallOptions) => {
        const { span, metadata, grpcOptions } = prepare(callOptions);
        const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, metadata, grpcOptions);
        pump(requests, call);
        return responseStream(call, span, cancelOnAbort(callOptions, () => call.cancel()));
      };
    }
  }
  return kit as KitClient<D>;
}

/** A call answered once (unary, client stream): settles with its answer and ends its span. */
function singleAnswer(
  span: Span,
  options: ClientCallOptions | undefined,
  start: (done: (error: ServiceError | null, response?: unknown) => void) => { cancel(): void },
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const call = start((error, response) => {
      release();
      endRpcSpan(span, error ? error.code : status.OK, 'client');
      if (error) reject(error);
      else resolve(response);
    });
    const release = cancelOnAbort(options, () => call.cancel());
  });
}

/** Cancels the call when the handler's or the caller's signal aborts; returns the unsubscribe. */
function cancelOnAbort(options: ClientCallOptions | undefined, cancel: () => void): () => void {
  const signals = [options?.ctx?.signal, options?.signal].filter((s): s is AbortSignal => s !== undefined);
  for (const signal of signals) {
    if (signal.aborted) queueMicrotask(cancel);
    else signal.addEventListener('abort', cancel, { once: true });
  }
  return () => signals.forEach((signal) => signal.removeEventListener('abort', cancel));
}

/** Writes the caller's requests into a client/bidi stream with backpressure, then half-closes. */
function pump(requests: AsyncIterable<unknown> | Iterable<unknown>, call: ClientWritableStream<unknown> & { cancel(): void }): void {
  void (async () => {
    try {
      for await (const request of requests) {
        if (!call.write(request)) await new Promise((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch {
      // The caller's request source failed: the call cannot complete meaningfully.
      call.cancel();
    }
  })();
}

function responseStream<T>(call: ClientReadableStream<T> & { cancel(): void }, span: Span, release: () => void): ResponseStream<T> {
  let consumed = false;
  return {
    cancel: () => call.cancel(),
    async *[Symbol.asyncIterator]() {
      if (consumed) throw new Error('a response stream can be iterated once');
      consumed = true;
      let code: status = status.OK;
      let complete = false;
      try {
        for await (const message of call) yield message as T;
        complete = true;
      } catch (error) {
        code = (error as ServiceError).code ?? status.UNKNOWN;
        complete = true;
        throw error;
      } finally {
        release();
        // Leaving the loop early cancels the call rather than leaving it open on the server.
        if (!complete) {
          call.cancel();
          code = status.CANCELLED;
        }
        endRpcSpan(span, code, 'client');
      }
    },
  };
}

