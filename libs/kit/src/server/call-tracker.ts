/** The calls in flight of one server, so shutdown can wait for them and then cancel the rest. */
export class CallTracker {
  private readonly active = new Set<AbortController>();
  private idleWaiters: Array<() => void> = [];
  private requestCount = 0;

  get size(): number {
    return this.active.size;
  }

  /** Request/response calls in flight (subscriptions excluded): what the overload limit counts. */
  get requests(): number {
    return this.requestCount;
  }

  /** Tracks a call until the returned function is called. */
  add(controller: AbortController, subscription = false): () => void {
    this.active.add(controller);
    if (!subscription) this.requestCount += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (!subscription) this.requestCount -= 1;
      this.active.delete(controller);
      if (this.active.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        waiters.forEach((resolve) => resolve());
      }
    };
  }

  /** Resolves once no call is in flight. */
  idle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts every call in flight with `reason` (their handlers see `ctx.signal` abort). */
  abortAll(reason: Error): void {
    for (const controller of this.active) controller.abort(reason);
  }
}
