import { effectiveDeadline, NO_DEADLINE } from './deadline';

describe('effectiveDeadline', () => {
  const policy = { defaultMs: 1_000, maxMs: 5_000 };
  const now = 1_000_000;

  it('gives a request without deadline the default', () => {
    expect(effectiveDeadline(Infinity, policy, now)).toBe(now + 1_000);
  });

  it('caps a client deadline at the maximum', () => {
    expect(effectiveDeadline(new Date(now + 60_000), policy, now)).toBe(now + 5_000);
    expect(effectiveDeadline(new Date(now + 2_000), policy, now)).toBe(now + 2_000);
  });

  it('leaves a subscription without deadline open-ended and keeps its own deadline uncapped', () => {
    expect(effectiveDeadline(Infinity, policy, now, true)).toBe(NO_DEADLINE);
    expect(effectiveDeadline(new Date(now + 3_600_000), policy, now, true)).toBe(now + 3_600_000);
  });
});
