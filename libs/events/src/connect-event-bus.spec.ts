import { startNatsServer, type NatsServerFixture } from '@continuum/testing';
import { connectEventBus } from './connect-event-bus';

describe('connectEventBus', () => {
  const warnings: string[] = [];
  const log = { warn: (_f: Record<string, unknown>, m: string) => void warnings.push(m), error: () => undefined };
  let nats: NatsServerFixture | undefined;
  afterAll(async () => {
    await nats?.stop();
  });

  it('uses the in-process bus without NATS_URL, and says so', async () => {
    const bus = await connectEventBus({ natsUrl: ' ', name: 'test', log });
    expect(bus.kind).toBe('in-process');
    expect(warnings.join('\n')).toMatch(/NATS_URL is not set/);
    await bus.close();
  });

  it('connects to JetStream when NATS_URL names servers', async () => {
    nats = await startNatsServer();
    const bus = await connectEventBus({ natsUrl: `${nats.url}, `, name: 'test', log });
    expect(bus.kind).toBe('jetstream');
    await bus.close();
  });
});
