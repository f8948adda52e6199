/**
 * A FIFO mutual-exclusion lock for async code: the embedded store serializes its writers with it.
 * Ownership passes directly to the next waiter on release, so no newcomer can jump the queue. A
 * waiter gives up after `timeoutMs` (the caller turns that into an error), so a writer stuck
 * behind a transaction that waits for it in turn fails instead of hanging.
 */
export class AsyncLock {
  private held = false;
  private readonly waiters: Array<{ grant: () => void }> = [];

  /** True while someone holds the lock (or it is being handed over). */
  get locked(): boolean {
    return this.held;
  }

  /** Resolves when the lock is ours; resolves to false (without the lock) after `timeoutMs`. */
  acquire(timeoutMs: number): Promise<boolean> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next.grant();
    else this.held = false;
  }
}
