// The scenarios against the distributed platform: identity, context and routing as separate
// processes (their main.ts, configured by environment, JWT auth) joined by a real nats-server.
// One platform is shared by the three scenarios; each scenario plays in its own tenant.
import { startDistributed, type RunningPlatform } from './support/platforms';
import { caseOwnerSuite } from './scenarios/case-owner';
import { vipServiceSuite } from './scenarios/vip-service';
import { webThenCallSuite } from './scenarios/web-then-call';

// Whole platforms and CLI processes: the project's own timeout (testTimeout is global in a multi-project run).
jest.setTimeout(60_000);

describe('distributed mode (three processes, nats-server)', () => {
  let platform: RunningPlatform | undefined;
  const started = () => {
    if (!platform) throw new Error('the distributed platform did not start (see beforeAll)');
    return platform;
  };

  beforeAll(async () => {
    platform = await startDistributed();
  }, 150_000);
  afterAll(async () => {
    await platform?.stop();
  }, 60_000);

  webThenCallSuite(started);
  caseOwnerSuite(started);
  vipServiceSuite(started);
});
