import { type CallOptions, Metadata, type ServiceError } from '@grpc/grpc-js';

/** A generated unary method in its fullest overload: (request, metadata, options, callback). */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/**
 * Calls a generated grpc-js unary method as a promise, always with a deadline (30 s unless
 * given) so a wedged server shows up as DEADLINE_EXCEEDED instead of a hung benchmark.
 * `unary(client.echo.bind(client), request, metadata)`.
 */
export function unary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata = new Metadata(),
  options: Partial<CallOptions> = {},
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    method(request, metadata, { deadline: Date.now() + 30_000, ...options }, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}
