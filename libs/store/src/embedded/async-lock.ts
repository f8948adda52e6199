/**
 * A FIFO mutual-exclusion lock for async code: the embedded store serializes its writers with it.
 * Ownership passes directly to the next waiter on release, so no newcomer can jump the queue.
 */
export class AsyncLock {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  /** True while someone holds the lock (or it is being handed over). */
  get locked(): boolean {
    return this.held;
  }

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.held = false;
  }
}
