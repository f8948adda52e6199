import { testingV1 } from '@continuum/contracts';
import { decodeStatusDetails } from '../errors/status-details';
import { startEcho, type EchoFixture } from '../echo/echo-fixture.test-util';

// An agent's offer stream or a desktop watching a customer stays open far longer than a request's
// default deadline; only unary-style calls get the default.
describe('streamed responses outlive the default deadline', () => {
  let echo: EchoFixture;
  beforeAll(async () => {
    echo = await startEcho({ GRPC_DEFAULT_DEADLINE_MS: '300', GRPC_MAX_DEADLINE_MS: '600' });
  });
  afterAll(() => echo.stop());

  it('keeps a bidi stream without a client deadline open past the default and the maximum', async () => {
    const token = await echo.token();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* requests() {
      yield { message: 'first' };
      await gate;
      yield { message: 'after the default deadline' };
    }
    const responses = echo.client.echoStream(requests(), { tenantId: 'tenant-a', token });
    const received: string[] = [];
    const reading = (async () => {
      for await (const response of responses) received.push(response.message);
    })();
    await new Promise((resolve) => setTimeout(resolve, 900));
    release();
    await reading;
    expect(received).toEqual(['first', 'after the default deadline']);
  });

  it('still caps a unary call at the maximum deadline', async () => {
    const token = await echo.token();
    await expect(
      echo.client.echo(testingV1.EchoRequest.fromPartial({ message: 'slow', delay: { seconds: 2, nanos: 0 } }), { tenantId: 'tenant-a', token, deadlineMs: 60_000 }),
    ).rejects.toMatchObject({ code: 4 });
  });
});

describe('overload limit', () => {
  let echo: EchoFixture;
  beforeAll(async () => {
    echo = await startEcho({ GRPC_MAX_CONCURRENT_CALLS: '2' });
  });
  afterAll(() => echo.stop());

  it('refuses calls past the limit at once with RESOURCE_EXHAUSTED and serves again once calls finish', async () => {
    const token = await echo.token();
    const options = { tenantId: 'tenant-a', token, deadlineMs: 10_000 };
    const slow = () => echo.client.echo(testingV1.EchoRequest.fromPartial({ message: 'slow', delay: { seconds: 0, nanos: 400_000_000 } }), options);
    const inFlight = [slow(), slow()];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await echo.client.echo(testingV1.EchoRequest.fromPartial({ message: 'one too many' }), options).catch((e: unknown) => e);
    expect(decodeStatusDetails(refused as { metadata?: import('@grpc/grpc-js').Metadata })).toMatchObject({ code: 8, errorInfo: { reason: 'SERVER_OVERLOADED' } });
    await Promise.all(inFlight);
    await expect(echo.client.echo(testingV1.EchoRequest.fromPartial({ message: 'after' }), options)).resolves.toMatchObject({ message: 'after' });
  });
});
