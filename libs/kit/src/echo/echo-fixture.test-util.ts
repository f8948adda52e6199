import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { testingV1 } from '@continuum/contracts';
import { Registry } from 'prom-client';
import { createDevTokenIssuer, type DevTokenIssuer } from '../auth/dev-token-issuer';
import { createClient, type KitClient } from '../client/create-client';
import { kitConfigSchema, type KitConfig } from '../config/kit-config';
import { loadConfig } from '../config/load-config';
import { createLogger, type Logger } from '../logging/logger';
import { createGrpcServer, type GrpcServer } from '../server/create-grpc-server';
import { createEchoRegistration, ECHO_DOMAIN, ECHO_SCOPE } from './echo-service';

/** Log lines written by a test logger, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

export interface EchoFixture {
  readonly port: number;
  readonly address: string;
  readonly server: GrpcServer;
  readonly config: KitConfig;
  readonly issuer: DevTokenIssuer;
  readonly registry: Registry;
  readonly logs: LogCapture;
  readonly logger: Logger;
  /** A kit client with no default token or tenant. */
  readonly client: KitClient<typeof testingV1.EchoServiceService>;
  /** A valid token for `tenant` with the echo scope. */
  token(tenant?: string, scopes?: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** The Echo service on a free port with JWT auth from a fresh dev issuer, its logs captured. */
export async function startEcho(env: Record<string, string> = {}, options: { registry?: Registry } = {}): Promise<EchoFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kit-echo-'));
  const issuer = createDevTokenIssuer();
  const config = loadConfig(kitConfigSchema, {
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    ...issuer.authEnv(join(dir, 'jwks.json')),
    ...env,
  });
  const logs = new LogCapture();
  const logger = createLogger({ service: 'echo', level: 'debug', destination: logs });
  const registry = options.registry ?? new Registry();
  const server = createGrpcServer({
    serviceName: 'echo',
    domain: ECHO_DOMAIN,
    config,
    logger,
    registrations: [createEchoRegistration()],
    metricsRegistry: registry,
  });
  const port = await server.start();
  const address = `127.0.0.1:${port}`;
  const client = createClient(testingV1.EchoServiceClient, { address, deadlineMs: 5_000 });
  return {
    port,
    address,
    server,
    config,
    issuer,
    registry,
    logs,
    logger,
    client,
    token: (tenant = 'tenant-a', scopes = [ECHO_SCOPE]) => issuer.issue({ tenant, scopes }),
    async stop() {
      client.close();
      await server.shutdown(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An Echo request with defaults for what a test does not care about. */
export function echoRequest(partial: Partial<testingV1.EchoRequest> = {}): testingV1.EchoRequest {
  return testingV1.EchoRequest.fromPartial({ message: 'hello', ...partial });
}
