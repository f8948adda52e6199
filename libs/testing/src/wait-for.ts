/** Thrown when a condition awaited by `waitFor` is still false at its deadline. */
export class WaitForTimeoutError extends Error {
  constructor(
    message: string,
    /** The last error the condition threw, if any: usually the most useful clue. */
    readonly lastError?: unknown,
  ) {
    super(message);
    this.name = 'WaitForTimeoutError';
  }
}

export interface WaitForOptions {
  /** Give up after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** Pause between two checks in milliseconds (default 10). */
  intervalMs?: number;
  /** Says what was awaited, for the timeout message. */
  description?: string;
}

/**
 * Re-checks `condition` until it returns a truthy value (which is returned) or the timeout passes.
 * A condition that throws counts as false; the last error is attached to the timeout error, so a
 * test that waits on an assertion reports the assertion.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  timeoutOrOptions: number | WaitForOptions = {},
): Promise<NonNullable<T>> {
  const options = typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== null && value !== false && value !== 0 && value !== '') {
        return value as NonNullable<T>;
      }
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.description ?? 'condition';
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new WaitForTimeoutError(`${what} still not met after ${timeoutMs} ms${cause}`, lastError);
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
