// The scenarios against the distributed platform: identity, context and routing as separate
// processes (their main.ts, configured by environment, JWT auth) joined by a real nats-server.
// One platform is shared by the three scenarios; each scenario plays in its own tenant.
import { startDistributed } from './support/platforms';
import { describeEveryScenario } from './scenarios/every-scenario';

// Whole platforms and CLI processes: the project's own timeout (testTimeout is global in a multi-project run).
jest.setTimeout(60_000);

describeEveryScenario('distributed mode (three processes, nats-server)', 'distributed', startDistributed);
