/**
 * The routing service on a free port with real JWT auth, an embedded store and an in-process bus
 * (or the ones given), plus a context service test double: a real grpc-js server implementing the
 * generated ContextService definition, whose GetContext answers are set per profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Server, ServerCredentials, status, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { contextV1, routingV1, type eventsV1 } from '@continuum/contracts';
import { createInProcessBus, OUTBOX_COLLECTION, type EventBus, type Subscription } from '@continuum/events';
import {
  createClient,
  createDevTokenIssuer,
  createGrpcServer,
  createLogger,
  decodeStatusDetails,
  kitConfigSchema,
  loadConfig,
  type DevTokenIssuer,
  type GrpcServer,
  type KitClient,
  type StatusDetails,
} from '@continuum/kit';
import { createEmbeddedStore, type DocumentStore } from '@continuum/store';
import { waitFor } from '@continuum/testing';
import { Registry } from 'prom-client';
import { createRoutingService, ROUTING_ERROR_DOMAIN, ROUTING_SCOPES, type RoutingServiceModule } from '../src';
import { COLLECTIONS } from '../src/store/documents';

export type RoutingClient = KitClient<typeof routingV1.RoutingServiceService>;
export type CallAs = { token: string; tenantId: string };

export const ALL_SCOPES = [ROUTING_SCOPES.read, ROUTING_SCOPES.write, ROUTING_SCOPES.admin];
const C = routingV1;

/** Log lines written by the service (to check that nothing personal is logged). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

/** The context service double: GetContext and BatchGetContext answers per profile id; `mode` makes it fail or hang. */
export class ContextDouble {
  readonly answers = new Map<string, contextV1.GetContextResponse>();
  mode: 'answer' | 'unavailable' | 'hang' = 'answer';
  calls: { profileId: string; tenant: string; traceparent: string }[] = [];
  /** Sizes of the BatchGetContext calls received. */
  batchCalls: number[] = [];
  /** False: BatchGetContext answers UNIMPLEMENTED, like a context service from before it existed. */
  batchSupported = true;
  private server: Server | undefined;
  address = '';

  async start(): Promise<void> {
    const server = new Server();
    const unimplemented = (_call: unknown, callback: (e: Partial<ServiceError>) => void): void => callback({ code: status.UNIMPLEMENTED, details: 'not in the double' });
    const impl: UntypedServiceImplementation = {};
    for (const name of Object.keys(contextV1.ContextServiceService)) impl[name] = unimplemented;
    impl['getContext'] = (
      call: { request: contextV1.GetContextRequest; metadata: { get(k: string): unknown[] } },
      callback: (e: Partial<ServiceError> | null, r?: contextV1.GetContextResponse) => void,
    ) => {
      this.calls.push({
        profileId: call.request.profileId,
        tenant: String(call.metadata.get('x-tenant-id')[0] ?? ''),
        traceparent: String(call.metadata.get('traceparent')[0] ?? ''),
      });
      if (this.mode === 'unavailable') return callback({ code: status.UNAVAILABLE, details: 'context is down' });
      if (this.mode === 'hang') return; // never answers: the caller's deadline decides
      const answer = this.answers.get(call.request.profileId) ?? contextV1.GetContextResponse.fromPartial({ profile: { profileId: call.request.profileId } });
      callback(null, answer);
    };
    impl['batchGetContext'] = (
      call: { request: contextV1.BatchGetContextRequest; metadata: { get(k: string): unknown[] } },
      callback: (e: Partial<ServiceError> | null, r?: contextV1.BatchGetContextResponse) => void,
    ) => {
      this.batchCalls.push(call.request.requests.length);
      if (!this.batchSupported) return callback({ code: status.UNIMPLEMENTED, details: 'an older context service' });
      for (const r of call.request.requests) {
        this.calls.push({ profileId: r.profileId, tenant: String(call.metadata.get('x-tenant-id')[0] ?? ''), traceparent: String(call.metadata.get('traceparent')[0] ?? '') });
      }
      if (this.mode === 'unavailable') return callback({ code: status.UNAVAILABLE, details: 'context is down' });
      if (this.mode === 'hang') return;
      callback(null, {
        contexts: call.request.requests.map((r) => this.answers.get(r.profileId) ?? contextV1.GetContextResponse.fromPartial({ profile: { profileId: r.profileId } })),
      });
    };
    server.addService(contextV1.ContextServiceService, impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.server = server;
    this.address = `127.0.0.1:${port}`;
  }

  /** A GetContext answer naming a case owner and team, a last agent and segments. */
  answer(profileId: string, partial: { ownerAgentId?: string; teamId?: string; caseId?: string; lastAgentId?: string; segmentIds?: string[]; intent?: string }): void {
    this.answers.set(
      profileId,
      contextV1.GetContextResponse.fromPartial({
        profile: { profileId, segmentIds: partial.segmentIds ?? [] },
        openCases: partial.ownerAgentId ? [{ caseId: partial.caseId ?? 'cas-1', profileId, ownerAgentId: partial.ownerAgentId, teamId: partial.teamId ?? '' }] : [],
        lastAgentId: partial.lastAgentId ?? '',
        likelyIntent: { intent: partial.intent ?? '', confidence: 0.9, source: 'active_journey' },
      }),
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    server.forceShutdown();
  }
}

export interface RoutingFixture {
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly module: RoutingServiceModule;
  readonly server: GrpcServer;
  readonly address: string;
  readonly issuer: DevTokenIssuer;
  readonly client: RoutingClient;
  readonly context: ContextDouble;
  readonly logs: LogCapture;
  /** Call options for a tenant with the given scopes (default: read, write and admin). */
  as(tenant: string, scopes?: readonly string[]): Promise<CallAs>;
  /** Every stored document of routing's collections and the outbox, for "nothing written" checks. */
  snapshot(): Promise<string>;
  /** Stops the gRPC server and the module; keeps the store, bus and context double unless `all`. */
  stop(all?: boolean): Promise<void>;
}

export interface FixtureOptions {
  readonly store?: DocumentStore;
  readonly bus?: EventBus;
  readonly context?: ContextDouble;
  readonly offerTimeoutMs?: number;
  readonly contextDeadlineMs?: number;
  readonly issuer?: DevTokenIssuer;
}

export async function startRouting(options: FixtureOptions = {}): Promise<RoutingFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'routing-test-'));
  const issuer = options.issuer ?? createDevTokenIssuer();
  const config = loadConfig(kitConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ...issuer.authEnv(join(dir, 'jwks.json')) });
  const logs = new LogCapture();
  const logger = createLogger({ service: 'routing', level: 'debug', destination: logs });
  const store = options.store ?? createEmbeddedStore();
  const bus = options.bus ?? createInProcessBus();
  const context = options.context ?? new ContextDouble();
  if (!context.address) await context.start();
  const module = await createRoutingService({
    store,
    bus,
    logger,
    contextAddress: context.address,
    contextDeadlineMs: options.contextDeadlineMs ?? 300,
    offerTimeoutMs: options.offerTimeoutMs ?? 30_000,
  });
  await module.start();
  const server = createGrpcServer({ serviceName: 'routing', domain: ROUTING_ERROR_DOMAIN, config, logger, registrations: module.registrations, metricsRegistry: new Registry() });
  const port = await server.start();
  const address = `127.0.0.1:${port}`;
  const client = createClient(routingV1.RoutingServiceClient, { address, deadlineMs: 10_000 });
  return {
    store,
    bus,
    module,
    server,
    address,
    issuer,
    client,
    context,
    logs,
    as: async (tenant, scopes = ALL_SCOPES) => ({ token: await issuer.issue({ tenant, scopes, subject: `ops-of-${tenant}` }), tenantId: tenant }),
    snapshot: async () => {
      await module.flushed();
      const parts: string[] = [];
      for (const name of [...Object.values(COLLECTIONS), OUTBOX_COLLECTION]) {
        const docs = await store.unscoped(name).find({}, { sort: { _id: 1 } });
        parts.push(`${name}:${JSON.stringify(docs.map((d) => ({ ...d, state: undefined, sentAt: undefined, leaseUntil: undefined })))}`);
      }
      return parts.join('\n');
    },
    stop: async (all = true) => {
      client.close();
      await server.shutdown(0);
      await module.stop();
      if (all) {
        if (!options.bus) await bus.close();
        if (!options.context) await context.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error a call failed with, and its decoded details; fails the test if the call succeeded. */
export async function failure(promise: Promise<unknown>): Promise<{ error: ServiceError; details: StatusDetails | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as ServiceError;
    return { error: e, details: decodeStatusDetails(e.metadata) ?? undefined };
  }
  throw new Error('expected the call to fail');
}

// ------------------------------------------------------------------ builders

export function queue(id: string, channel: number, skills: [string, number][] = [], partial: Partial<routingV1.Queue> = {}): routingV1.Queue {
  return routingV1.Queue.fromPartial({
    queueId: id,
    displayName: id,
    channel,
    serviceLevel: { fraction: 0.8, thresholdSeconds: 20 },
    patienceSeconds: 60,
    requiredSkills: skills.map(([skill, minProficiency]) => ({ skill, minProficiency })),
    priority: 10,
    ...partial,
  });
}

export function agent(id: string, skills: [string, number][], capacities: [number, number][], teamId = ''): routingV1.Agent {
  return routingV1.Agent.fromPartial({
    agentId: id,
    displayName: `Agent ${id}`,
    teamId,
    skills: skills.map(([skill, proficiency]) => ({ skill, proficiency })),
    capacities: capacities.map(([channel, maxConcurrent]) => ({ channel, maxConcurrent })),
  });
}

let requestSeq = 0;
export function submit(client: RoutingClient, o: CallAs, task: Partial<routingV1.TaskSubmission>, requestId = `req-${++requestSeq}`): Promise<routingV1.SubmitTaskResponse> {
  return client.submitTask(routingV1.SubmitTaskRequest.fromPartial({ task, requestId }), o);
}

/** An agent's offer stream, collecting what arrives. */
export class OfferStream {
  readonly messages: routingV1.ConnectAgentResponse[] = [];
  ended = false;
  error: ServiceError | undefined;
  private readonly call: ReturnType<RoutingClient['connectAgent']>;
  readonly done: Promise<void>;

  constructor(client: RoutingClient, o: CallAs, agentId: string) {
    const call = client.connectAgent({ agentId }, o);
    this.call = call;
    this.done = (async () => {
      try {
        for await (const m of call) this.messages.push(m);
      } catch (error) {
        this.error = error as ServiceError;
      } finally {
        this.ended = true;
      }
    })();
  }

  get offers(): routingV1.Offer[] {
    return this.messages.flatMap((m) => (m.offer ? [m.offer] : []));
  }

  get withdrawals(): routingV1.OfferWithdrawn[] {
    return this.messages.flatMap((m) => (m.withdrawn ? [m.withdrawn] : []));
  }

  /** Waits for the `connected` message (the agent now counts as connected). */
  async connected(): Promise<routingV1.Connected> {
    await waitFor(() => this.messages.some((m) => m.connected) || this.ended, { timeoutMs: 5_000 });
    const c = this.messages.find((m) => m.connected)?.connected;
    if (!c) throw new Error(`stream ended before connected: ${this.error?.message ?? 'no error'}`);
    return c;
  }

  private taken = 0;

  /** The next offer not returned yet (or the `count`-th offer of the stream, 1-based). */
  async nextOffer(count?: number): Promise<routingV1.Offer> {
    const want = count ?? this.taken + 1;
    await waitFor(() => this.offers.length >= want || this.ended, { timeoutMs: 5_000 });
    const offer = this.offers[want - 1];
    if (!offer) throw new Error(`no offer #${want} (stream ended: ${this.ended}${this.error ? `, ${this.error.message}` : ''})`);
    this.taken = Math.max(this.taken, want);
    return offer;
  }

  close(): void {
    this.call.cancel();
  }
}

/** Connects an agent and sets it available; resolves once connected. */
export async function online(client: RoutingClient, o: CallAs, agentId: string): Promise<OfferStream> {
  const stream = new OfferStream(client, o, agentId);
  await stream.connected();
  await client.setPresence({ agentId, presence: C.Presence.PRESENCE_AVAILABLE, requestId: '' }, o);
  return stream;
}

/** Routing events as they arrive on the bus (after the outbox relay). */
export class EventLog {
  readonly events: eventsV1.EventEnvelope[] = [];
  private sub: Subscription | undefined;

  async start(bus: EventBus, durable: string): Promise<void> {
    this.sub = await bus.subscribe({ durable, domain: 'routing' }, async (e) => {
      this.events.push(e.envelope);
    });
  }

  of(type: string, taskId?: string): eventsV1.EventEnvelope[] {
    return this.events.filter((e) => e.type === type && (taskId === undefined || this.payloadTaskId(e) === taskId));
  }

  /** The decoded payload of an envelope, with the codec of its type. */
  payload<T>(e: eventsV1.EventEnvelope, codec: { decode(b: Uint8Array): T }): T {
    return codec.decode(e.payload?.value ?? new Uint8Array());
  }

  private payloadTaskId(e: eventsV1.EventEnvelope): string {
    // Every routing payload starts with field 1 = TaskRef, whose field 1 is the task id.
    return routingV1.TaskCreatedEvent.decode(e.payload?.value ?? new Uint8Array()).task?.taskId ?? '';
  }

  async waitFor(type: string, taskId: string, count = 1): Promise<eventsV1.EventEnvelope[]> {
    await waitFor(() => this.of(type, taskId).length >= count, { timeoutMs: 5_000 });
    return this.of(type, taskId);
  }

  async stop(): Promise<void> {
    await this.sub?.drain();
  }
}
