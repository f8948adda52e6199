import type { Server, ServerWritableStream } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

type HealthServer = Parameters<HealthImplementation['addToServer']>[0];

/**
 * grpc.health.v1 for one server: a status per served service plus the overall status under ""
 * (what Kubernetes gRPC probes ask). Everything is NOT_SERVING until the server starts. Watch
 * streams are tracked so shutdown can end them: they never end by themselves and would
 * otherwise hold the graceful stop until its grace period runs out.
 */
export class HealthReporter {
  private readonly health: HealthImplementation;
  private readonly watches = new Set<ServerWritableStream<unknown, unknown>>();
  private serving = false;

  constructor(private readonly serviceNames: readonly string[]) {
    this.health = new HealthImplementation(
      Object.fromEntries(['', ...serviceNames].map((name) => [name, 'NOT_SERVING' as ServingStatus])),
    );
  }

  addToServer(server: Server): void {
    const tracking: HealthServer = {
      addService: (definition, implementation) => {
        const watch = implementation['watch'] as ((call: ServerWritableStream<unknown, unknown>) => void) | undefined;
        server.addService(definition, {
          ...implementation,
          ...(watch && {
            watch: (call: ServerWritableStream<unknown, unknown>) => {
              this.watches.add(call);
              const forget = (): void => {
                this.watches.delete(call);
              };
              call.on('cancelled', forget);
              call.on('finish', forget);
              watch(call);
            },
          }),
        });
      },
    };
    this.health.addToServer(tracking);
  }

  get isServing(): boolean {
    return this.serving;
  }

  setServing(serving: boolean): void {
    this.serving = serving;
    const value: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    for (const name of ['', ...this.serviceNames]) this.health.setStatus(name, value);
  }

  /** Ends every Watch stream with OK (after NOT_SERVING was sent), so the server can close. */
  endWatches(): void {
    for (const call of this.watches) call.end();
    this.watches.clear();
  }
}
