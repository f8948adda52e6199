// The scenarios against the all-in-one platform as a new user starts it (embedded store,
// in-process bus, auth off): one process, every service on its own gRPC port.
import { startAllInOne } from './support/platforms';
import { describeEveryScenario } from './scenarios/every-scenario';

// Whole platforms and CLI processes: the project's own timeout (testTimeout is global in a multi-project run).
jest.setTimeout(60_000);

describeEveryScenario('all-in-one mode (one process)', 'all-in-one', startAllInOne);
