import { describeEventBusContract } from './bus-contract.test-util';
import { createInProcessBus } from './in-process-bus';

describeEventBusContract('in-process', () => {
  // One bus is the backend: a "restarted" consumer in the all-in-one process is a new
  // subscription on the same bus, which must resume where the durable stopped.
  const bus = createInProcessBus();
  return {
    open: async () => bus,
    close: async () => bus.close(),
  };
});
