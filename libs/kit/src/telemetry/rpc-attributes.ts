import { status } from '@grpc/grpc-js';
import { SpanStatusCode, type Span } from '@opentelemetry/api';

/** `/pkg.Service/Method` → its service and method names for rpc.* attributes and metric labels. */
export function splitMethodPath(path: string): { service: string; method: string } {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return match ? { service: match[1] ?? path, method: match[2] ?? path } : { service: 'unknown', method: path };
}

/** The upper-snake name of a gRPC code (`NOT_FOUND`), as grpc-ecosystem metrics label it. */
export function codeName(code: status): string {
  return status[code] ?? 'UNKNOWN';
}

/** Codes that are the server's fault; per the OTel RPC conventions only these mark a server span as an error. */
const SERVER_FAULT_CODES: ReadonlySet<status> = new Set([
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.UNIMPLEMENTED,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

/**
 * Records the outcome on a span: the numeric code as `rpc.grpc.status_code` and, for failures,
 * the code name as `error.type`. The error message is deliberately not recorded: it may carry
 * personal data from a request.
 */
export function endRpcSpan(span: Span, code: status, kind: 'server' | 'client'): void {
  span.setAttribute('rpc.grpc.status_code', code);
  if (code !== status.OK) span.setAttribute('error.type', codeName(code));
  const isError = kind === 'client' ? code !== status.OK : SERVER_FAULT_CODES.has(code);
  if (isError) span.setStatus({ code: SpanStatusCode.ERROR, message: codeName(code) });
  span.end();
}
