import { Metadata, credentials, status } from '@grpc/grpc-js';
import { testingV1 } from '@continuum/contracts';
import { waitFor } from '@continuum/testing';
import { echoRequest, startEcho, type EchoFixture } from '../echo/echo-fixture.test-util';
import { fileContainingSymbol, healthClient, listServicesByReflection } from './health-reflection-clients.test-util';
import { failure } from './test-helpers.test-util';

const ECHO_SERVICE = 'continuum.testing.v1.EchoService';
const seconds = (s: number) => ({ seconds: Math.floor(s), nanos: Math.round((s % 1) * 1e9) });

describe('health and reflection', () => {
  let echo: EchoFixture;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.stop());

  it('reports SERVING overall and per service once started', async () => {
    const health = healthClient(echo.address);
    await expect(health.check('')).resolves.toBe('SERVING');
    await expect(health.check(ECHO_SERVICE)).resolves.toBe('SERVING');
    echo.server.setServing(false);
    await expect(health.check(ECHO_SERVICE)).resolves.toBe('NOT_SERVING');
    echo.server.setServing(true);
    health.close();
  });

  it('lists the served services through reflection and describes them', async () => {
    await expect(listServicesByReflection(echo.address)).resolves.toEqual([ECHO_SERVICE, 'grpc.health.v1.Health']);
    await expect(fileContainingSymbol(echo.address, ECHO_SERVICE)).resolves.toBeGreaterThan(0);
  });
});

describe('graceful shutdown', () => {
  it('reports NOT_SERVING, lets the call in flight finish, then refuses new calls', async () => {
    const echo = await startEcho();
    const token = await echo.token();
    const health = healthClient(echo.address);
    const statuses: string[] = [];
    const watch = health.watch('');
    watch.on('data', (update: { status: string }) => statuses.push(update.status));
    watch.on('error', () => undefined); // cancelled when the server stops
    await waitFor(() => statuses.includes('SERVING'));

    const inFlight = echo.client.echo(echoRequest({ message: 'slow', delay: seconds(0.4) }), { token, tenantId: 'tenant-a' });
    await waitFor(() => echo.server.inFlight === 1);
    const stopped = echo.server.shutdown(10_000);

    await waitFor(() => statuses.includes('NOT_SERVING'));
    expect(echo.server.inFlight).toBe(1); // NOT_SERVING is reported while the call still runs
    await expect(inFlight).resolves.toEqual({ message: 'slow', tenantId: 'tenant-a' });
    await stopped;
    const late = await failure(echo.client.echo(echoRequest(), { token, tenantId: 'tenant-a', deadlineMs: 1_000 }));
    expect(late.code).toBe(status.UNAVAILABLE);
    health.close();
    await echo.stop();
  });

  it('keeps answering NOT_SERVING to health checks during the drain delay', async () => {
    const echo = await startEcho();
    const health = healthClient(echo.address);
    const stopped = echo.server.shutdown(1_000, { drainDelayMs: 300 });
    await expect(health.check('')).resolves.toBe('NOT_SERVING');
    await stopped;
    health.close();
    await echo.stop();
  });

  it('cancels calls still running when the grace period is over (UNAVAILABLE)', async () => {
    const echo = await startEcho();
    const token = await echo.token();
    const slow = echo.client.echo(echoRequest({ delay: seconds(20) }), { token, tenantId: 'tenant-a', deadlineMs: 30_000 });
    await waitFor(() => echo.server.inFlight === 1);
    await echo.server.shutdown(100);
    const error = await failure(slow);
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(echo.server.inFlight).toBe(0);
    await echo.stop();
  });
});

describe('deadlines and limits', () => {
  let echo: EchoFixture;
  let token: string;
  beforeAll(async () => {
    echo = await startEcho({ GRPC_DEFAULT_DEADLINE_MS: '200', GRPC_MAX_DEADLINE_MS: '400', GRPC_MAX_MESSAGE_BYTES: '2048' });
    token = await echo.token();
  });
  afterAll(() => echo.stop());

  it('fails a call that outlives the client deadline with DEADLINE_EXCEEDED', async () => {
    const error = await failure(echo.client.echo(echoRequest({ delay: seconds(2) }), { token, tenantId: 'tenant-a', deadlineMs: 100 }));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    await waitFor(() => echo.server.inFlight === 0);
  });

  it('applies the default deadline when the client sets none', async () => {
    // The raw generated client: the kit client always sets a deadline.
    const raw = new testingV1.EchoServiceClient(echo.address, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    metadata.set('x-tenant-id', 'tenant-a');
    const started = Date.now();
    const error = await failure(
      new Promise((resolve, reject) => raw.echo(echoRequest({ delay: seconds(5) }), metadata, (e, r) => (e ? reject(e) : resolve(r)))),
    );
    raw.close();
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(4_000); // the server's 200 ms, not the 5 s the handler wanted
  });

  it('caps a long client deadline at the maximum', async () => {
    const error = await failure(echo.client.echo(echoRequest({ delay: seconds(3) }), { token, tenantId: 'tenant-a', deadlineMs: 60_000 }));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('refuses a message above GRPC_MAX_MESSAGE_BYTES with RESOURCE_EXHAUSTED', async () => {
    const error = await failure(echo.client.echo(echoRequest({ message: 'x'.repeat(4096) }), { token, tenantId: 'tenant-a' }));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});
