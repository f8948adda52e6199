import { startNatsServer, type NatsServerFixture } from '@continuum/testing';
import { describeEventBusContract } from './bus-contract.test-util';
import { createJetStreamBus } from './jetstream-bus';
import type { EventBus } from './types';

describeEventBusContract('JetStream (real nats-server)', () => {
  let server: NatsServerFixture | undefined;
  const buses: EventBus[] = [];
  return {
    open: async () => {
      server ??= await startNatsServer();
      // Each open is a separate connection, as a restarted process would make.
      const bus = await createJetStreamBus({ servers: server.url, name: 'contract' });
      buses.push(bus);
      return bus;
    },
    close: async () => {
      await Promise.all(buses.map((bus) => bus.close()));
      await server?.stop();
    },
  };
});
