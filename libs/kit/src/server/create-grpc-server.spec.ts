import { connect, type Settings } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { testingV1 } from '@continuum/contracts';
import { decodeStatusDetails } from '../errors/status-details';
import { echoRequest, startEcho, type EchoFixture } from '../echo/echo-fixture.test-util';
import { failure } from './test-helpers.test-util';

describe('createGrpcServer: errors', () => {
  let echo: EchoFixture;
  let token: string;
  beforeAll(async () => {
    echo = await startEcho();
    token = await echo.token();
  });
  afterAll(() => echo.stop());

  it('answers a valid call with the authenticated tenant', async () => {
    const response = await echo.client.echo(echoRequest({ message: 'hi' }), { token, tenantId: 'tenant-a' });
    expect(response).toEqual({ message: 'hi', tenantId: 'tenant-a' });
  });

  it('maps invalid input to INVALID_ARGUMENT with a BadRequest naming the field', async () => {
    const error = await failure(echo.client.echo(echoRequest({ message: '' }), { token, tenantId: 'tenant-a' }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    const details = decodeStatusDetails(error.metadata);
    expect(details?.errorInfo).toEqual({ reason: 'INVALID_ARGUMENT', domain: 'echo.continuum.dev', metadata: {} });
    expect(details?.badRequest?.fieldViolations).toEqual([{ field: 'message', description: 'is required', reason: 'REQUIRED' }]);
  });

  it('maps a not-found domain error to NOT_FOUND with its ErrorInfo reason', async () => {
    const error = await failure(
      echo.client.echo(echoRequest({ failWith: testingV1.FailureMode.FAILURE_MODE_NOT_FOUND }), { token, tenantId: 'tenant-a' }),
    );
    expect(error.code).toBe(status.NOT_FOUND);
    expect(decodeStatusDetails(error.metadata)?.errorInfo).toEqual({
      reason: 'ECHO_NOT_FOUND',
      domain: 'echo.continuum.dev',
      metadata: { resource: 'echo' },
    });
  });

  it('maps an unexpected exception to INTERNAL without leaking its message', async () => {
    const error = await failure(
      echo.client.echo(echoRequest({ failWith: testingV1.FailureMode.FAILURE_MODE_UNEXPECTED }), { token, tenantId: 'tenant-a' }),
    );
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe('internal error');
    expect(JSON.stringify(error)).not.toMatch(/hunter2|secret/);
    expect(decodeStatusDetails(error)?.errorInfo?.reason).toBe('INTERNAL');
    const logged = echo.logs.lines.find((line) => line['msg'] === 'unexpected error in handler');
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).not.toMatch(/hunter2/);
  });
});

describe('createGrpcServer: HTTP/2 flow control', () => {
  /** What a client connecting to the echo server is told about its receive windows. */
  async function windowsOffered(env: Record<string, string>): Promise<{ stream: number | undefined; connection: number }> {
    const echo = await startEcho(env);
    const session = connect(`http://${echo.address}`);
    try {
      const settings = await new Promise<Settings>((resolve) => session.once('remoteSettings', resolve));
      // A settings frame the server sends after its first one raises the stream window.
      const stream = await waitFor(() => (session.remoteSettings.initialWindowSize !== 65_535 ? session.remoteSettings.initialWindowSize : undefined), 2_000).catch(
        () => settings.initialWindowSize,
      );
      // The connection's window comes as a WINDOW_UPDATE.
      await waitFor(() => ((session.state.remoteWindowSize ?? 0) > 65_535 ? true : undefined), 2_000).catch(() => undefined);
      return { stream, connection: session.state.remoteWindowSize ?? 0 };
    } finally {
      session.destroy();
      await echo.stop();
    }
  }

  it('lets clients send 1 MiB ahead by default, per stream and per connection', async () => {
    expect(await windowsOffered({})).toEqual({ stream: 1024 * 1024, connection: 1024 * 1024 });
  });

  it('takes the window from GRPC_FLOW_CONTROL_WINDOW_BYTES', async () => {
    expect(await windowsOffered({ GRPC_FLOW_CONTROL_WINDOW_BYTES: '4194304' })).toEqual({ stream: 4 * 1024 * 1024, connection: 4 * 1024 * 1024 });
  });
});

/** Polls `read` until it returns a value (rejects after `ms`). */
async function waitFor<T>(read: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
