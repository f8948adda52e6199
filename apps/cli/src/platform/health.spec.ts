import { createServer, type Server } from 'node:net';
import { createEchoRegistration, createGrpcServer, createLogger, kitConfigSchema, loadConfig, type GrpcServer } from '@continuum/kit';
import { Registry } from 'prom-client';
import { PlatformUnreachableError } from '../errors';
import { checkListening, checkServing } from './health';

describe('reachability', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function listen(onConnection: (socket: import('node:net').Socket) => void = (s) => s.destroy()): Promise<number> {
    server = createServer(onConnection);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  it('names the service, the address and the start command when nothing listens', async () => {
    const port = await listen();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const error = await checkListening('identity', `127.0.0.1:${port}`, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect((error as Error).message).toContain(`identity service at 127.0.0.1:${port} (connection refused`);
    expect((error as Error).message).toContain('npm run continuum -- up');
    expect((error as PlatformUnreachableError).exitCode).toBe(3);
  });

  it('reports a listener that does not speak gRPC', async () => {
    const port = await listen((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const error = await checkServing('context', `127.0.0.1:${port}`, 'continuum.context.v1.ContextService', 800).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect((error as Error).message).toContain(`context service at 127.0.0.1:${port}`);
  });
});

describe('checkServing against a real Continuum gRPC server', () => {
  let server: GrpcServer;
  let address: string;

  beforeAll(async () => {
    server = createGrpcServer({
      serviceName: 'echo',
      domain: 'echo.continuum.dev',
      config: loadConfig(kitConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', AUTH_MODE: 'disabled' }),
      logger: createLogger({ service: 'echo', level: 'silent' }),
      registrations: [createEchoRegistration()],
      metricsRegistry: new Registry(),
    });
    address = `127.0.0.1:${await server.start()}`;
  });
  afterAll(() => server.shutdown(0));

  it('passes when the named service is served there', async () => {
    await expect(checkServing('echo', address, 'continuum.testing.v1.EchoService', 2000)).resolves.toBeUndefined();
  });

  it('says the port is probably wrong when another service answers there', async () => {
    const error = await checkServing('routing', address, 'continuum.routing.v1.RoutingService', 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect((error as Error).message).toContain('does not serve continuum.routing.v1.RoutingService: is the port right?');
  });
});
