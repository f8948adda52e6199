/**
 * The kit's Echo: continuum.testing.v1.EchoService (libs/kit's createEchoRegistration) served by
 * the kit's createGrpcServer with its whole call pipeline — authentication and tenancy, error
 * mapping, RED metrics, deadlines, health and reflection — so kit / bare is the price of the
 * runtime every service pays before it does any work.
 *
 * Not included: the OpenTelemetry SDK (the tracing API is a no-op here) and log output per call
 * (the kit logs successful calls at debug; this runs at the default `info`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  createDevTokenIssuer,
  createEchoRegistration,
  createGrpcServer,
  createLogger,
  ECHO_DOMAIN,
  ECHO_SCOPE,
  kitConfigSchema,
  loadConfig,
  TENANT_METADATA_KEY,
} from '@continuum/kit';
import type { BenchServer } from '../harness/server-protocol';

export interface KitEchoOptions {
  /** `jwt`: every call carries a bearer token the server verifies; `disabled`: development mode. */
  readonly auth?: 'jwt' | 'disabled';
  /** Tenant of the calls. */
  readonly tenant?: string;
}

export async function start(options: KitEchoOptions = {}): Promise<BenchServer> {
  const auth = options.auth ?? 'jwt';
  const tenant = options.tenant ?? 'bench';
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-kit-echo-'));
  const issuer = createDevTokenIssuer();
  const authEnv: Record<string, string> = auth === 'jwt' ? issuer.authEnv(path.join(dir, 'jwks.json')) : { AUTH_MODE: 'disabled' };
  const config = loadConfig(kitConfigSchema, {
    SERVICE_NAME: 'echo',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    ...authEnv,
  });
  const logger = createLogger({ service: 'echo', level: config.LOG_LEVEL });
  const server = createGrpcServer({
    serviceName: 'echo',
    domain: ECHO_DOMAIN,
    config,
    logger,
    registrations: [createEchoRegistration()],
  });
  const port = await server.start();
  const clientMetadata: Record<string, string> = { [TENANT_METADATA_KEY]: tenant };
  if (auth === 'jwt') clientMetadata['authorization'] = `Bearer ${await issuer.issue({ tenant, scopes: [ECHO_SCOPE], expiresIn: 24 * 3600 })}`;
  return {
    address: `127.0.0.1:${port}`,
    info: { server: 'kit createGrpcServer + createEchoRegistration', auth },
    clientMetadata,
    async stop() {
      await server.shutdown(1_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
