import type { Logger } from '../logging/logger';

export interface ShutdownManagerOptions {
  readonly logger: Logger;
  /**
   * SHUTDOWN_GRACE_MS: what the gRPC server gives calls in flight. The whole shutdown is allowed
   * twice that (plus closing the rest) before the process exits anyway.
   */
  readonly graceMs: number;
  /** How the process ends; injectable for tests. */
  readonly exit?: (code: number) => void;
}

interface Resource {
  readonly name: string;
  readonly close: () => Promise<void> | void;
}

/**
 * Closes what a process opened in the reverse order it was opened: register the store, the bus,
 * the admin server, the service module and the gRPC server as they start, and SIGTERM closes the
 * gRPC server first (NOT_SERVING, calls in flight finish) and the store last.
 */
export class ShutdownManager {
  private readonly resources: Resource[] = [];
  private running: Promise<boolean> | undefined;
  private readonly exit: (code: number) => void;

  constructor(private readonly options: ShutdownManagerOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Whether shutdown has begun (readiness turns false at once). */
  get isShuttingDown(): boolean {
    return this.running !== undefined;
  }

  /** Adds a resource; it is closed before everything registered earlier. */
  register(name: string, close: () => Promise<void> | void): void {
    this.resources.push({ name, close });
  }

  /**
   * Closes everything once, in reverse order; a failing close is logged and the rest still
   * close. Resolves to true when every resource closed cleanly.
   */
  shutdown(reason = 'requested'): Promise<boolean> {
    this.running ??= this.closeAll(reason);
    return this.running;
  }

  /**
   * SIGTERM / SIGINT: shut down, then exit 0 (1 if something failed to close or the shutdown
   * overran). A second signal exits at once, for an operator who does not want to wait.
   * Returns a function removing the handlers.
   */
  installSignalHandlers(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.isShuttingDown) {
        this.options.logger.warn({ signal }, 'second signal: exiting now');
        this.exit(1);
        return;
      }
      const overrun = setTimeout(() => {
        this.options.logger.error({ signal }, 'shutdown took too long: exiting');
        this.exit(1);
      }, this.options.graceMs * 2 + 5_000);
      overrun.unref();
      void this.shutdown(signal).then((clean) => {
        clearTimeout(overrun);
        this.exit(clean ? 0 : 1);
      });
    };
    for (const signal of signals) process.on(signal, onSignal);
    return () => signals.forEach((signal) => process.off(signal, onSignal));
  }

  private async closeAll(reason: string): Promise<boolean> {
    const log = this.options.logger;
    log.info({ reason, resources: this.resources.map((r) => r.name).reverse() }, 'shutting down');
    let clean = true;
    for (const resource of [...this.resources].reverse()) {
      try {
        await resource.close();
        log.info({ resource: resource.name }, 'closed');
      } catch (error) {
        clean = false;
        log.error({ resource: resource.name, error_type: (error as Error).name }, 'failed to close');
      }
    }
    log.info({ clean }, 'shutdown complete');
    return clean;
  }
}
