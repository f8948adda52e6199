import type { Server } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

/**
 * grpc.health.v1 for one server: a status per served service plus the overall status under ""
 * (what Kubernetes gRPC probes ask). Everything is NOT_SERVING until the server starts.
 */
export class HealthReporter {
  private readonly health: HealthImplementation;
  private serving = false;

  constructor(private readonly serviceNames: readonly string[]) {
    this.health = new HealthImplementation(
      Object.fromEntries(['', ...serviceNames].map((name) => [name, 'NOT_SERVING' as ServingStatus])),
    );
  }

  addToServer(server: Server): void {
    this.health.addToServer(server);
  }

  get isServing(): boolean {
    return this.serving;
  }

  setServing(serving: boolean): void {
    this.serving = serving;
    const value: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    for (const name of ['', ...this.serviceNames]) this.health.setStatus(name, value);
  }
}
