import type { RunningPlatform } from '../support/platforms';
import { caseOwnerSuite } from './case-owner';
import { vipServiceSuite } from './vip-service';
import { webThenCallSuite } from './web-then-call';

/**
 * Every scenario suite against one platform, started once for all of them (each scenario plays in
 * its own tenant) and stopped at the end.
 */
export function describeEveryScenario(title: string, mode: string, start: () => Promise<RunningPlatform>): void {
  describe(title, () => {
    let platform: RunningPlatform | undefined;
    const started = () => {
      if (!platform) throw new Error(`the ${mode} platform did not start (see beforeAll)`);
      return platform;
    };

    beforeAll(async () => {
      platform = await start();
    }, 150_000);
    afterAll(async () => {
      await platform?.stop();
    }, 60_000);

    webThenCallSuite(started);
    caseOwnerSuite(started);
    vipServiceSuite(started);
  });
}
