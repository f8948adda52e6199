import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevTokenIssuer } from '@continuum/kit';
import { freePort, startNatsServer, type NatsServerFixture } from '@continuum/testing';
import { ManagedProcess } from './processes';

export type ServiceName = 'identity' | 'context' | 'routing';

/** A started platform the scenarios run against. */
export interface RunningPlatform {
  readonly mode: 'distributed' | 'all-in-one';
  readonly addresses: Readonly<Record<ServiceName, string>>;
  /** Where every process (and the CLI runs) append their spans. */
  readonly tracesDir: string;
  /** A bearer token for `tenant` with every scope, or undefined when the platform runs without auth. */
  token(tenant: string): Promise<string | undefined>;
  /** The `service.name` on spans of each service's process. */
  readonly spanService: Readonly<Record<ServiceName, string>>;
  readonly processes: readonly ManagedProcess[];
  /** Stops every process (SIGTERM, then SIGKILL) and the broker; removes temporary files. Safe to call twice. */
  stop(): Promise<void>;
}

export const ALL_SCOPES = ['identity', 'context', 'routing'].flatMap((s) => [`${s}.read`, `${s}.write`, `${s}.admin`]);

/** Variables of the test's own environment that must not leak into the platform's. */
const SCRUBBED = ['NATS_URL', 'MONGODB_URI', 'AUTH_MODE', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_FILE', 'GRPC_PORT', 'ADMIN_PORT', 'SERVICE_NAME'];

/** This process's environment without the variables that would configure the platform from outside the test. */
export function scrubbedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !SCRUBBED.includes(key)) env[key] = value;
  return env;
}

/**
 * The distributed mode: identity, context and routing as three processes started from their
 * main.ts, configured only by environment (free ports, JWT auth with a dev issuer's keys), sharing
 * a real nats-server (JetStream) through NATS_URL.
 */
export async function startDistributed(): Promise<RunningPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-e2e-distributed-'));
  const tracesDir = join(dir, 'traces');
  mkdirSync(tracesDir);
  const issuer = createDevTokenIssuer();
  const authEnv = issuer.authEnv(join(dir, 'jwks.json'));
  const processes: ManagedProcess[] = [];
  let nats: NatsServerFixture | undefined;
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    nats = await startNatsServer();
    const ports = { identity: await freePort(), context: await freePort(), routing: await freePort() };
    const admin = { identity: await freePort(), context: await freePort(), routing: await freePort() };
    const addresses = { identity: `127.0.0.1:${ports.identity}`, context: `127.0.0.1:${ports.context}`, routing: `127.0.0.1:${ports.routing}` };
    const common = (name: ServiceName) => ({
      ...scrubbedEnv(),
      ...authEnv,
      NATS_URL: nats?.url ?? '',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(ports[name]),
      ADMIN_PORT: String(admin[name]),
      LOG_LEVEL: process.env['E2E_LOG_LEVEL'] ?? 'warn',
      OTEL_TRACES_FILE: join(tracesDir, `${name}.jsonl`),
    });
    processes.push(ManagedProcess.start('identity', 'apps/identity/src/main.ts', common('identity')));
    processes.push(ManagedProcess.start('context', 'apps/context/src/main.ts', common('context')));
    processes.push(ManagedProcess.start('routing', 'apps/routing/src/main.ts', { ...common('routing'), ...routingToContextEnv(addresses.context) }));
    await Promise.all(processes.map((p) => p.ready(admin[p.name as ServiceName])));
    return {
      mode: 'distributed',
      addresses,
      tracesDir,
      token: (tenant) => issuer.issue({ tenant, scopes: ALL_SCOPES, subject: 'e2e-demo' }),
      spanService: { identity: 'identity', context: 'context', routing: 'routing' },
      processes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * How the routing process is told where context is. The context call's deadline is raised from
 * its 500 ms default: the first calls of freshly started tsx processes on a shared two-core
 * machine can take longer, and a missed deadline (routing without context) is not what these
 * tests are about.
 */
function routingToContextEnv(contextAddress: string): Record<string, string> {
  return { CONTEXT_ADDRESS: contextAddress, ROUTING_CONTEXT_DEADLINE_MS: '5000' };
}

/**
 * The all-in-one mode as a new user starts it: apps/all-in-one/src/main.ts with its defaults
 * (embedded store, in-process bus, auth off), only the ports moved to free ones so the test never
 * collides with a platform someone runs on the default ports.
 */
export async function startAllInOne(): Promise<RunningPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-e2e-all-in-one-'));
  const tracesDir = join(dir, 'traces');
  mkdirSync(tracesDir);
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = { identity: await freePort(), context: await freePort(), routing: await freePort() };
    const adminPort = await freePort();
    const platform = ManagedProcess.start('all-in-one', 'apps/all-in-one/src/main.ts', {
      ...scrubbedEnv(),
      IDENTITY_GRPC_PORT: String(ports.identity),
      CONTEXT_GRPC_PORT: String(ports.context),
      ROUTING_GRPC_PORT: String(ports.routing),
      ADMIN_PORT: String(adminPort),
      CONTINUUM_ADVERTISED_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      OTEL_TRACES_FILE: join(tracesDir, 'all-in-one.jsonl'),
      ROUTING_CONTEXT_DEADLINE_MS: '5000',
    });
    processes.push(platform);
    await platform.ready(adminPort);
    return {
      mode: 'all-in-one',
      addresses: { identity: `127.0.0.1:${ports.identity}`, context: `127.0.0.1:${ports.context}`, routing: `127.0.0.1:${ports.routing}` },
      tracesDir,
      token: () => Promise.resolve(undefined),
      spanService: { identity: 'continuum', context: 'continuum', routing: 'continuum' },
      processes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
