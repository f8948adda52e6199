import { freePort } from './free-port';
import { uniqueTenant } from './test-tenants';
import { waitFor, WaitForTimeoutError } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `done after ${calls}` : undefined), { intervalMs: 1 });
    expect(value).toBe('done after 3');
  });

  it('times out with the last error of a throwing condition', async () => {
    const failing = waitFor(
      () => {
        throw new Error('expected 3 events, saw 2');
      },
      { timeoutMs: 30, intervalMs: 5, description: 'all events applied' },
    );
    await expect(failing).rejects.toThrow(WaitForTimeoutError);
    await expect(failing).rejects.toThrow(/all events applied still not met after 30 ms: expected 3 events, saw 2/);
  });
});

describe('freePort and uniqueTenant', () => {
  it('gives a usable port and distinct subject-safe tenants', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const a = uniqueTenant('acme');
    expect(a).toMatch(/^acme-[0-9a-f]{8}$/);
    expect(uniqueTenant('acme')).not.toBe(a);
  });
});
