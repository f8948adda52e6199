import { Server, ServerCredentials, makeGenericClientConstructor, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { testingV1 } from '@continuum/contracts';
import { waitFor } from '@continuum/testing';
import { Registry } from 'prom-client';
import { kitConfigSchema } from '../config/kit-config';
import { loadConfig } from '../config/load-config';
import { echoRequest, LogCapture, startEcho, type EchoFixture } from '../echo/echo-fixture.test-util';
import { NotFoundError } from '../errors/domain-errors';
import { decodeStatusDetails } from '../errors/status-details';
import { createLogger } from '../logging/logger';
import { createGrpcServer, type GrpcServer } from '../server/create-grpc-server';
import { failure } from '../server/test-helpers.test-util';
import type { CallContext } from '../server/types';
import { createClient, type GeneratedClientConstructor } from './create-client';

const { EchoStreamRequest, EchoStreamResponse, EchoRequest, EchoResponse } = testingV1;
const encode = <T>(codec: { encode(v: T): { finish(): Uint8Array } }) => (value: T) => Buffer.from(codec.encode(value).finish());

/** A test-only service with the two streaming kinds Echo lacks, plus a relay that calls Echo. */
const KindsService = {
  serverStream: {
    path: '/continuum.testing.v1.KindsTest/ServerStream',
    requestStream: false as const,
    responseStream: true as const,
    requestSerialize: encode(EchoStreamRequest),
    requestDeserialize: (b: Buffer) => EchoStreamRequest.decode(b),
    responseSerialize: encode(EchoStreamResponse),
    responseDeserialize: (b: Buffer) => EchoStreamResponse.decode(b),
  },
  clientStream: {
    path: '/continuum.testing.v1.KindsTest/ClientStream',
    requestStream: true as const,
    responseStream: false as const,
    requestSerialize: encode(EchoStreamRequest),
    requestDeserialize: (b: Buffer) => EchoStreamRequest.decode(b),
    responseSerialize: encode(EchoStreamResponse),
    responseDeserialize: (b: Buffer) => EchoStreamResponse.decode(b),
  },
  relay: {
    path: '/continuum.testing.v1.KindsTest/Relay',
    requestStream: false as const,
    responseStream: false as const,
    requestSerialize: encode(EchoRequest),
    requestDeserialize: (b: Buffer) => EchoRequest.decode(b),
    responseSerialize: encode(EchoResponse),
    responseDeserialize: (b: Buffer) => EchoResponse.decode(b),
  },
};
const KindsClient = makeGenericClientConstructor(KindsService, 'KindsTest') as unknown as GeneratedClientConstructor<typeof KindsService>;

describe('createClient and the streaming handler kinds', () => {
  let downstream: EchoFixture;
  let server: GrpcServer;
  let client: ReturnType<typeof createClient<typeof KindsService>>;
  let token: string;
  const seen: { relayDeadline?: number } = {};

  beforeAll(async () => {
    downstream = await startEcho();
    const echoClient = createClient(testingV1.EchoServiceClient, { address: downstream.address, deadlineMs: 10_000 });
    // Port 1 on loopback: nothing listens, connections are refused at once.
    const unreachableClient = createClient(testingV1.EchoServiceClient, { address: '127.0.0.1:1', deadlineMs: 2_000, maxAttempts: 2 });
    const config = loadConfig(kitConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ...downstream.issuer.authEnv(downstream.config.AUTH_JWKS_FILE ?? '') });
    server = createGrpcServer({
      serviceName: 'kinds',
      domain: 'kinds.continuum.dev',
      config,
      logger: createLogger({ service: 'kinds', level: 'silent', destination: new LogCapture() }),
      metricsRegistry: new Registry(),
      registrations: [
        {
          definition: KindsService,
          scopes: { serverStream: 'echo.read', clientStream: 'echo.read', relay: 'echo.read' },
          handlers: {
            serverStream: async function* (request: testingV1.EchoStreamRequest, ctx: CallContext) {
              const count = Number(request.message.split(':')[1] ?? '3');
              for (let i = 0; i < count; i++) {
                if (request.message.startsWith('fail') && i === 1) throw new NotFoundError('ITEM_NOT_FOUND', 'item gone');
                yield { message: `${ctx.tenantId}-${i}` };
                await new Promise((resolve) => setTimeout(resolve, request.message.startsWith('slow') ? 50 : 0));
              }
            },
            clientStream: async (requests: AsyncIterable<testingV1.EchoStreamRequest>) => {
              const parts: string[] = [];
              for await (const request of requests) parts.push(request.message);
              return { message: parts.join('+') };
            },
            relay: async (request: testingV1.EchoRequest, ctx: CallContext) => {
              seen.relayDeadline = ctx.deadline.getTime();
              const target = request.message === 'to-unreachable' ? unreachableClient : echoClient;
              return target.echo(request, { ctx });
            },
          },
        },
      ],
    });
    const port = await server.start();
    client = createClient(KindsClient, { address: `127.0.0.1:${port}`, deadlineMs: 5_000 });
    token = await downstream.token('tenant-a');
  });
  afterAll(async () => {
    client.close();
    await server.shutdown(0);
    await downstream.stop();
  });

  it('streams every message of a server-streaming handler', async () => {
    const received: string[] = [];
    for await (const message of client.serverStream({ message: 'n:3' }, { token, tenantId: 'tenant-a' })) received.push(message.message);
    expect(received).toEqual(['tenant-a-0', 'tenant-a-1', 'tenant-a-2']);
  });

  it('ends a stream with the mapped domain error after the messages sent before it', async () => {
    const received: string[] = [];
    let caught: unknown;
    try {
      for await (const message of client.serverStream({ message: 'fail:3' }, { token, tenantId: 'tenant-a' })) received.push(message.message);
    } catch (error) {
      caught = error;
    }
    expect(received).toEqual(['tenant-a-0']);
    expect((caught as { code: number }).code).toBe(status.NOT_FOUND);
    expect(decodeStatusDetails((caught as { metadata: never }).metadata)?.errorInfo?.reason).toBe('ITEM_NOT_FOUND');
  });

  it('authenticates streams before the handler runs', async () => {
    const stream = client.serverStream({ message: 'n:3' }, { tenantId: 'tenant-a' });
    const error = await failure((async () => {
      for await (const _ of stream) void _;
    })());
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });

  it('cancels the server call when the consumer stops early', async () => {
    for await (const message of client.serverStream({ message: 'slow:20' }, { token, tenantId: 'tenant-a' })) {
      expect(message.message).toBe('tenant-a-0');
      break;
    }
    // The handler would run for a second more; the cancel ends it at once.
    await waitFor(() => server.inFlight === 0, 500);
  });

  it('collects a client stream', async () => {
    const response = await client.clientStream([{ message: 'a' }, { message: 'b' }, { message: 'c' }], { token, tenantId: 'tenant-a' });
    expect(response.message).toBe('a+b+c');
  });

  it('echoes a bidi stream', async () => {
    const echoClient = createClient(testingV1.EchoServiceClient, { address: downstream.address, deadlineMs: 5_000 });
    async function* requests() {
      yield { message: 'one' };
      yield { message: 'two' };
    }
    const received: string[] = [];
    for await (const message of echoClient.echoStream(requests(), { token, tenantId: 'tenant-a' })) received.push(message.message);
    echoClient.close();
    expect(received).toEqual(['one', 'two']);
  });

  it('forwards tenant and authorization from ctx to the next service', async () => {
    const response = await client.relay(echoRequest({ message: 'via relay' }), { token, tenantId: 'tenant-a' });
    expect(response).toEqual({ message: 'via relay', tenantId: 'tenant-a' });
  });

  it('keeps the downstream call within the caller deadline', async () => {
    const started = Date.now();
    const error = await failure(client.relay(echoRequest({ delay: { seconds: 3, nanos: 0 } }), { token, tenantId: 'tenant-a', deadlineMs: 300 }));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(seen.relayDeadline).toBeLessThanOrEqual(started + 400);
    await waitFor(() => downstream.server.inFlight === 0, 2_000); // the downstream call was cancelled too
  });

  it('turns an unreachable dependency into UNAVAILABLE (retryable), not INTERNAL', async () => {
    const error = await failure(client.relay(echoRequest({ message: 'to-unreachable' }), { token, tenantId: 'tenant-a' }));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(decodeStatusDetails(error)?.errorInfo).toMatchObject({ reason: 'DEPENDENCY_UNAVAILABLE', domain: 'kinds.continuum.dev' });
  });

  it('fails fast when the caller aborts its signal', async () => {
    const controller = new AbortController();
    const call = client.relay(echoRequest({ delay: { seconds: 3, nanos: 0 } }), { token, tenantId: 'tenant-a', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(call)).code).toBe(status.CANCELLED);
  });
});

describe('createClient retries (AIP-194)', () => {
  async function flakyServer(failures: number, code: status): Promise<{ address: string; attempts: () => number; stop(): void }> {
    let attempts = 0;
    const server = new Server();
    server.addService(testingV1.EchoServiceService, {
      echo: (call: ServerUnaryCall<testingV1.EchoRequest, testingV1.EchoResponse>, callback: sendUnaryData<testingV1.EchoResponse>) => {
        attempts++;
        if (attempts <= failures) callback({ code, details: 'try again' });
        else callback(null, { message: call.request.message, tenantId: String(call.metadata.get('x-tenant-id')[0]) });
      },
      echoStream: () => undefined,
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    return { address: `127.0.0.1:${port}`, attempts: () => attempts, stop: () => server.forceShutdown() };
  }

  it('retries UNAVAILABLE until it succeeds', async () => {
    const flaky = await flakyServer(2, status.UNAVAILABLE);
    const client = createClient(testingV1.EchoServiceClient, { address: flaky.address, deadlineMs: 5_000 });
    await expect(client.echo(echoRequest(), { tenantId: 't' })).resolves.toEqual({ message: 'hello', tenantId: 't' });
    expect(flaky.attempts()).toBe(3);
    client.close();
    flaky.stop();
  });

  it('does not retry any other code', async () => {
    const flaky = await flakyServer(1, status.INTERNAL);
    const client = createClient(testingV1.EchoServiceClient, { address: flaky.address, deadlineMs: 5_000 });
    expect((await failure(client.echo(echoRequest(), { tenantId: 't' }))).code).toBe(status.INTERNAL);
    expect(flaky.attempts()).toBe(1);
    client.close();
    flaky.stop();
  });

  it('sends the default token when neither the call nor a ctx has one', async () => {
    const echo = await startEcho();
    const token = await echo.token('tenant-a');
    const client = createClient(testingV1.EchoServiceClient, { address: echo.address, deadlineMs: 5_000, token: () => token });
    await expect(client.echo(echoRequest(), { tenantId: 'tenant-a' })).resolves.toMatchObject({ tenantId: 'tenant-a' });
    client.close();
    await echo.stop();
  });
});
