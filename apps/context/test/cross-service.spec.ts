// Context and identity together, as they run in production: a real nats-server (JetStream), the
// identity service as its own process (apps/identity/src/main.ts through tsx, configured by
// environment; never imported), and the context service consuming identity's events through its
// inbox. An anonymous cookie visitor's web touchpoints follow her into her known profile when she
// logs in (identity stitches and merges), go back on unmerge, and are gone after erasure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { commonV1, contextV1, identityV1 } from '@continuum/contracts';
import { createJetStreamBus, type EventBus } from '@continuum/events';
import { createClient, createDevTokenIssuer, createGrpcServer, createLogger, loadConfig, type GrpcServer, type KitClient } from '@continuum/kit';
import { createEmbeddedStore, type DocumentStore } from '@continuum/store';
import { freePort, startNatsServer, waitFor, type NatsServerFixture } from '@continuum/testing';
import { Registry } from 'prom-client';
import { CONTEXT_ERROR_DOMAIN, contextConfigSchema, createContextService, type ContextServiceModule } from '../src';
import { returnItemDefinition } from './fixture';

const ROOT = resolve(__dirname, '../../..');
const TENANT = 'acme';
const { Channel, Purpose, AssuranceLevel } = commonV1;
const { IdentifierType } = identityV1;

let nats: NatsServerFixture;
let identityProcess: ChildProcess | undefined;
let identityLog = '';
let identity: KitClient<typeof identityV1.IdentityServiceService>;
let context: KitClient<typeof contextV1.ContextServiceService>;
let contextModule: ContextServiceModule;
let contextServer: GrpcServer;
let store: DocumentStore;
let bus: EventBus;
let dir: string;
let auth: { tenantId: string; token: string };

/** What the test measured, printed at the end (and reported in bench/RESULTS.md by hand). */
const measured: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'context-x-'));
  const issuer = createDevTokenIssuer();
  const authEnv = issuer.authEnv(join(dir, 'jwks.json'));
  nats = await startNatsServer();

  // The identity service: its own process, configured like a deployment would configure it.
  const identityPort = await freePort();
  identityProcess = spawn(process.execPath, ['--conditions=@continuum/source', '--import', 'tsx', 'apps/identity/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...authEnv, NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(identityPort), ADMIN_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  identityProcess.stdout?.on('data', (d: Buffer) => (identityLog += d.toString()));
  identityProcess.stderr?.on('data', (d: Buffer) => (identityLog += d.toString()));

  // The context service in this process, on the same broker.
  const config = loadConfig(contextConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ...authEnv });
  const logger = createLogger({ service: 'context', level: 'silent' });
  store = createEmbeddedStore();
  bus = await createJetStreamBus({ servers: nats.url, name: 'context-test' });
  contextModule = await createContextService({ store, bus, logger, abandonSweepMs: 0 });
  await contextModule.start();
  contextServer = createGrpcServer({ serviceName: 'context', domain: CONTEXT_ERROR_DOMAIN, config, logger, registrations: contextModule.registrations, metricsRegistry: new Registry() });
  const contextPort = await contextServer.start();

  auth = { tenantId: TENANT, token: await issuer.issue({ tenant: TENANT, scopes: ['identity.read', 'identity.write', 'identity.admin', 'context.read', 'context.write', 'context.admin'] }) };
  identity = createClient(identityV1.IdentityServiceClient, { address: `127.0.0.1:${identityPort}`, deadlineMs: 10_000 });
  context = createClient(contextV1.ContextServiceClient, { address: `127.0.0.1:${contextPort}`, deadlineMs: 10_000 });
  await waitFor(
    async () => {
      if (identityProcess?.exitCode !== null) throw new Error(`identity exited: ${identityLog}`);
      await identity.getProfile({ profileId: 'prf_warmup' }, auth).catch((err: { code?: number }) => {
        if (err.code !== 5) throw err; // NOT_FOUND means it is up and answering
      });
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 250, description: 'the identity service answers' },
  );
  await context.createJourneyDefinition({ journeyDefinition: returnItemDefinition(), requestId: 'x-def' }, auth);
}, 120_000);

afterAll(async () => {
  identity?.close();
  context?.close();
  await contextServer?.shutdown(0);
  await contextModule?.stop();
  await bus?.close();
  await store?.close();
  if (identityProcess && identityProcess.exitCode === null) {
    const exited = new Promise((r) => identityProcess?.once('exit', r));
    identityProcess.kill('SIGTERM');
    await exited;
  }
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(`cross-service measurements: ${JSON.stringify(measured)}`);
}, 60_000);

const ctxOf = (profileId: string) => context.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 50, factLimit: 0 }, auth);
const ids = (c: contextV1.GetContextResponse) => c.recentTouchpoints.map((t) => t.touchpointId);

describe('context follows identity', () => {
  let cookieId = '';
  let mariaId = '';
  let mergeId = '';

  it('shows the anonymous visitor\'s web touchpoints in her known profile\'s context once she logs in', async () => {
    const visit = await identity.resolve({ identifiers: [{ type: IdentifierType.IDENTIFIER_TYPE_COOKIE, customType: '', value: 'c-81f', proof: AssuranceLevel.ASSURANCE_LEVEL_NONE }], channel: Channel.CHANNEL_WEB, requestId: 'r-visit' }, auth);
    cookieId = visit.profile?.profileId ?? '';
    expect(visit.profile?.anonymous).toBe(true);
    const known = await identity.resolve(
      {
        identifiers: [
          { type: IdentifierType.IDENTIFIER_TYPE_LOGIN, customType: '', value: 'maria.lopez', proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
          { type: IdentifierType.IDENTIFIER_TYPE_PHONE, customType: '', value: '+34 612 345 678', proof: AssuranceLevel.ASSURANCE_LEVEL_ASSERTED },
        ],
        channel: Channel.CHANNEL_MOBILE_APP,
        requestId: 'r-known',
      },
      auth,
    );
    mariaId = known.profile?.profileId ?? '';
    expect(mariaId).not.toBe(cookieId);

    // Anonymous browsing: the returns journey up to "label printed", with the order number.
    const now = Date.now();
    const web = (id: string, minutesAgo: number, step: string, facts: contextV1.Fact[] = []) =>
      context.recordTouchpoint(
        { touchpoint: contextV1.Touchpoint.fromPartial({ touchpointId: id, profileId: cookieId, channel: Channel.CHANNEL_WEB, direction: commonV1.Direction.DIRECTION_INBOUND, occurredAt: new Date(now - minutesAgo * 60_000), journeyDefinitionId: 'return-item', journeyStepId: step, facts }), requestId: '' },
        auth,
      );
    await web('x-web-1', 30, 'start');
    await web('x-web-2', 25, 'label-printed', [contextV1.Fact.fromPartial({ key: 'order_number', value: '1234' })]);
    await context.recordTouchpoint(
      { touchpoint: contextV1.Touchpoint.fromPartial({ touchpointId: 'x-app-1', profileId: mariaId, channel: Channel.CHANNEL_MOBILE_APP, direction: commonV1.Direction.DIRECTION_INBOUND, occurredAt: new Date(now - 3600_000) }), requestId: '' },
      auth,
    );
    // The read model has seen both profiles created (identity → NATS → context inbox).
    await waitFor(async () => (await ctxOf(mariaId)).profile?.knownToIdentity && (await ctxOf(cookieId)).profile?.knownToIdentity, { timeoutMs: 15_000, description: 'profile_created applied' });
    expect(ids(await ctxOf(mariaId))).toEqual(['x-app-1']);

    // She logs in on the web: the cookie and her login in one Resolve; identity stitches.
    const login = await identity.resolve(
      {
        identifiers: [
          { type: IdentifierType.IDENTIFIER_TYPE_COOKIE, customType: '', value: 'c-81f', proof: AssuranceLevel.ASSURANCE_LEVEL_NONE },
          { type: IdentifierType.IDENTIFIER_TYPE_LOGIN, customType: '', value: 'maria.lopez', proof: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED },
        ],
        channel: Channel.CHANNEL_WEB,
        requestId: 'r-login',
      },
      auth,
    );
    const mergedAt = process.hrtime.bigint();
    expect(login.profile?.profileId).toBe(mariaId);
    expect(login.merges.map((m) => m.mergedProfileId)).toEqual([cookieId]);
    mergeId = login.merges[0]?.mergeId ?? '';

    const after = await waitFor(
      async () => {
        const c = await ctxOf(mariaId);
        return ids(c).includes('x-web-2') ? c : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 2, description: 'the web touchpoints in her context' },
    );
    measured.mergeVisibleMs = Number(process.hrtime.bigint() - mergedAt) / 1e6;
    expect(ids(after)).toEqual(['x-web-2', 'x-web-1', 'x-app-1']);
    expect(after.activeJourneys.map((j) => j.currentStepId)).toEqual(['label-printed']);
    expect(after.facts.map((f) => [f.key, f.value])).toEqual([['order_number', '1234']]);
    expect(after.profile).toMatchObject({ profileId: mariaId, anonymous: false, mergedProfileIds: [cookieId], bestAssurance: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED });
    expect(after.likelyIntent?.intent).toBe('return_item');
  }, 60_000);

  it('splits them back when identity undoes the merge', async () => {
    const started = process.hrtime.bigint();
    await identity.unmergeProfiles({ mergeId, requestId: 'r-unmerge' }, auth);
    await waitFor(async () => ids(await ctxOf(cookieId)).includes('x-web-1'), { timeoutMs: 15_000, intervalMs: 2, description: 'the cookie profile has its touchpoints back' });
    measured.unmergeVisibleMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(ids(await ctxOf(mariaId))).toEqual(['x-app-1']);
    expect(ids(await ctxOf(cookieId))).toEqual(['x-web-2', 'x-web-1']);
    expect((await ctxOf(cookieId)).facts.map((f) => f.value)).toEqual(['1234']);
  }, 60_000);

  it('removes everything of an erased profile, and nothing of anyone else', async () => {
    const started = process.hrtime.bigint();
    await identity.eraseProfile({ profileId: cookieId, privacyRequestId: 'prq-1', requestId: 'r-erase' }, auth);
    await waitFor(async () => (await ctxOf(cookieId)).touchpointCount === 0, { timeoutMs: 15_000, intervalMs: 2, description: 'the erased profile is empty' });
    measured.eraseVisibleMs = Number(process.hrtime.bigint() - started) / 1e6;
    const gone = await ctxOf(cookieId);
    expect(gone).toMatchObject({ recentTouchpoints: [], facts: [], activeJourneys: [], openCases: [] });
    expect((await context.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId: cookieId }), auth)).touchpoints).toEqual([]);
    expect(ids(await ctxOf(mariaId))).toEqual(['x-app-1']);
  }, 60_000);
});
