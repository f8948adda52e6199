import { Counter, Histogram, register, type Registry } from 'prom-client';

/** The RED metrics of gRPC servers, named as grpc-ecosystem's go-grpc-prometheus names them. */
export interface GrpcServerMetrics {
  readonly started: Counter<'grpc_type' | 'grpc_service' | 'grpc_method'>;
  readonly handled: Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly handling: Histogram<'grpc_type' | 'grpc_service' | 'grpc_method'>;
}

/** The registry `/metrics` serves unless told otherwise: prom-client's global one. */
export const defaultMetricsRegistry: Registry = register;

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The metrics on `registry`, created on first use and shared afterwards, so that several servers
 * in one process (the all-in-one) count into the same series, told apart by `grpc_service`.
 */
export function grpcServerMetrics(registry: Registry = defaultMetricsRegistry): GrpcServerMetrics {
  const existing = registry.getSingleMetric('grpc_server_started_total');
  if (existing !== undefined) {
    return {
      started: existing as GrpcServerMetrics['started'],
      handled: registry.getSingleMetric('grpc_server_handled_total') as GrpcServerMetrics['handled'],
      handling: registry.getSingleMetric('grpc_server_handling_seconds') as GrpcServerMetrics['handling'],
    };
  }
  const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
  return {
    started: new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames,
      registers: [registry],
    }),
    handled: new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...labelNames, 'grpc_code'],
      registers: [registry],
    }),
    handling: new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames,
      buckets: BUCKETS,
      registers: [registry],
    }),
  };
}
