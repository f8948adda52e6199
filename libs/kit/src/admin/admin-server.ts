import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { defaultMetricsRegistry } from '../server/grpc-metrics';

export interface AdminServerOptions {
  /** ADMIN_PORT; 0 picks a free port. */
  readonly port: number;
  /** Interface to bind; all by default (Prometheus and the kubelet reach it from outside the pod). */
  readonly host?: string;
  /** The registry `/metrics` exposes; prom-client's global one by default. */
  readonly registry?: Registry;
  /** Whether the process should receive traffic: started, dependencies up, not shutting down. */
  readonly isReady: () => boolean;
  /** Also expose process metrics (CPU, memory, event-loop lag, GC); default true. */
  readonly processMetrics?: boolean;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The admin HTTP port: `/metrics` (Prometheus exposition), `/healthz` (the process is alive and
 * its event loop answers: liveness) and `/readyz` (it should get traffic: readiness, 503 while
 * starting and shutting down). Nothing else is served here; no request body is ever read.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const registry = options.registry ?? defaultMetricsRegistry;
  // Once per registry: several admin servers (tests, embedding) must not register them twice.
  if ((options.processMetrics ?? true) && registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry });
  }
  const server = createServer((request, response) => {
    void handle(request, response, registry, options.isReady);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, registry: Registry, isReady: () => boolean): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'method not allowed\n');
  try {
    switch (path) {
      case '/metrics':
        return send(response, 200, await registry.metrics(), registry.contentType);
      case '/healthz':
        return send(response, 200, 'ok\n');
      case '/readyz':
        return isReady() ? send(response, 200, 'ready\n') : send(response, 503, 'not ready\n');
      default:
        return send(response, 404, 'not found\n');
    }
  } catch {
    return send(response, 500, 'internal error\n');
  }
}

function send(response: ServerResponse, statusCode: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(statusCode, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}
