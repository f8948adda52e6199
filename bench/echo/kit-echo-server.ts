/**
 * The kit's Echo: continuum.testing.v1.EchoService served through the kit's gRPC server factory
 * with every interceptor (auth and tenancy in development mode, errors, metrics, deadlines,
 * tracing API), so bare-vs-kit is the price of the runtime every service pays.
 *
 * The kit's echo (libs/kit/src/echo) and server factory are looked up at run time: until they
 * land, start() fails with KitEchoUnavailableError and the echo benchmark reports the kit row as
 * not measured rather than pretending.
 */
import * as kit from '@continuum/kit';
import type { BenchServer } from '../harness/server-protocol';

/** Thrown when the kit does not (yet) export an echo service and a server factory. */
export class KitEchoUnavailableError extends Error {
  override readonly name = 'KitEchoUnavailableError';
}

export async function start(): Promise<BenchServer> {
  const exports = kit as Record<string, unknown>;
  const missing = ['createGrpcServer'].filter((name) => typeof exports[name] !== 'function');
  const echo = ['createEchoService', 'echoService', 'echoRegistration'].find((name) => name in exports);
  if (missing.length > 0 || !echo) {
    throw new KitEchoUnavailableError(
      `@continuum/kit exports ${Object.keys(exports).join(', ') || 'nothing'}; need createGrpcServer and an echo service`,
    );
  }
  throw new KitEchoUnavailableError('kit echo found but not wired yet in bench/echo/kit-echo-server.ts');
}
