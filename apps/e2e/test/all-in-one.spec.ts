// The scenarios against the all-in-one platform as a new user starts it (embedded store,
// in-process bus, auth off): one process, every service on its own gRPC port.
import { startAllInOne, type RunningPlatform } from './support/platforms';
import { caseOwnerSuite } from './scenarios/case-owner';
import { vipServiceSuite } from './scenarios/vip-service';
import { webThenCallSuite } from './scenarios/web-then-call';

// Whole platforms and CLI processes: the project's own timeout (testTimeout is global in a multi-project run).
jest.setTimeout(60_000);

describe('all-in-one mode (one process)', () => {
  let platform: RunningPlatform | undefined;
  const started = () => {
    if (!platform) throw new Error('the all-in-one platform did not start (see beforeAll)');
    return platform;
  };

  beforeAll(async () => {
    platform = await startAllInOne();
  }, 150_000);
  afterAll(async () => {
    await platform?.stop();
  }, 60_000);

  webThenCallSuite(started);
  caseOwnerSuite(started);
  vipServiceSuite(started);
});
