import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { createLogger } from '@continuum/kit';
import { startPlatform, type Platform } from './platform';

// grpc-health-check ships the grpc.health.v1 service definition; a generic client asks each port.
const HealthClient = makeGenericClientConstructor(healthService, 'Health');

function healthStatus(address: string, service: string): Promise<string> {
  const client = new HealthClient(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const check = client['check'] as (req: object, cb: (err: Error | null, res?: { status: string }) => void) => void;
    check.call(client, { service }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(String(res?.status));
    });
  });
}

describe('all-in-one platform', () => {
  let platform: Platform | undefined;
  const env = {
    IDENTITY_GRPC_PORT: '0',
    CONTEXT_GRPC_PORT: '0',
    ROUTING_GRPC_PORT: '0',
    ADMIN_PORT: '0',
    CONTINUUM_ADVERTISED_HOST: '127.0.0.1',
  };

  afterEach(async () => {
    await platform?.shutdown.shutdown('test over');
    platform = undefined;
  });

  it('starts every service on its own port with the embedded store and in-process bus, auth off by default', async () => {
    platform = await startPlatform({ env, logger: createLogger({ service: 'all-in-one-test', level: 'silent' }) });
    expect(platform.storeBackend).toBe('embedded');
    expect(platform.busKind).toBe('in-process');
    expect(platform.config.AUTH_MODE).toBe('disabled');
    const names = platform.services.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['identity', 'context']));
    const ports = new Set(platform.services.map((s) => s.port));
    expect(ports.size).toBe(platform.services.length);
    for (const service of platform.services) {
      expect(await healthStatus(service.address, service.grpcServices[0] ?? '')).toBe('SERVING');
    }
    const readyz = await fetch(`http://127.0.0.1:${platform.adminPort}/readyz`);
    expect(readyz.status).toBe(200);
  });

  it('shuts down cleanly and closes every port', async () => {
    platform = await startPlatform({ env, logger: createLogger({ service: 'all-in-one-test', level: 'silent' }) });
    const first = platform.services[0];
    if (!first) throw new Error('no service started');
    const clean = await platform.shutdown.shutdown('test');
    expect(clean).toBe(true);
    await expect(healthStatus(first.address, '')).rejects.toThrow();
    platform = undefined;
  });

  it('refuses a bad variable for one service, naming it, and leaves nothing running', async () => {
    await expect(
      startPlatform({ env: { ...env, IDENTITY_GRPC_PORT: 'not-a-port' }, logger: createLogger({ service: 't', level: 'silent' }) }),
    ).rejects.toThrow(/GRPC_PORT/);
  });
});
