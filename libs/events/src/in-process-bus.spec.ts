import { sleep, waitFor } from '@continuum/testing';
import { describeEventBusContract } from './bus-contract.test-util';
import { decodePayload } from './envelope';
import { createInProcessBus } from './in-process-bus';
import { freshDomain, subscribeInto, testEnvelope, testEventType } from './test-support.test-util';

describeEventBusContract('in-process', () => {
  // One bus is the backend: a "restarted" consumer in the all-in-one process is a new
  // subscription on the same bus, which must resume where the durable stopped.
  const bus = createInProcessBus();
  return {
    open: async () => bus,
    close: async () => bus.close(),
  };
});

describe('in-process bus dedupe window', () => {
  it('forgets each event id once it is a window old, and only then', async () => {
    const bus = createInProcessBus({ duplicateWindowMs: 1_000 });
    try {
      const domain = freshDomain('window');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const received: string[] = [];
      const sub = await subscribeInto(bus, { durable: 'window', domain }, received, (event) => decodePayload(type, event.envelope).message);
      const first = testEnvelope(type, 'first');
      const second = testEnvelope(type, 'second');
      await bus.publish(first);
      await sleep(500);
      await bus.publish(second);
      await bus.publish(first); // 500 ms old: still a duplicate
      await sleep(700);
      // `first` is now 1,200 ms old and forgotten, `second` only 700 ms old (sleeps that overrun by up to 300 ms still pass).
      await bus.publish(first);
      await bus.publish(second);
      await bus.publish(testEnvelope(type, 'marker'));
      await waitFor(() => received.includes('marker'));
      await sleep(50);
      expect(received).toEqual(['first', 'second', 'first', 'marker']);
      await sub.drain();
    } finally {
      await bus.close();
    }
  });
});
