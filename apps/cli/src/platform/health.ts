import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { connect as tcpConnect } from 'node:net';
import { PlatformUnreachableError } from '../errors';

/**
 * Asks `grpc.health.v1.Health/Check` at `address` whether `grpcService` is served there, so a
 * wrong port (another service, or nothing at all) is reported before a scenario starts instead of
 * half-way through it. The two tiny messages are encoded by hand: HealthCheckRequest is field 1
 * (string service); HealthCheckResponse is field 1 (enum status, SERVING = 1).
 */
export async function checkServing(name: string, address: string, grpcService: string, timeoutMs: number): Promise<void> {
  await checkListening(name, address, timeoutMs);
  const client = new Client(address, credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(new PlatformUnreachableError(name, address, 'no gRPC server answers there')) : resolve()));
    });
    const servingStatus = await new Promise<number>((resolve, reject) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (service: string) => encodeStringField(1, service),
        decodeFirstVarint,
        grpcService,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, value?: number) => {
          if (error) {
            const detail =
              error.code === status.NOT_FOUND
                ? `a gRPC server answers there, but it does not serve ${grpcService}: is the port right?`
                : error.code === status.UNIMPLEMENTED
                  ? 'a gRPC server answers there, but without the health service: is it a Continuum service?'
                  : `health check failed: ${status[error.code] ?? error.code}`;
            reject(new PlatformUnreachableError(name, address, detail));
          } else resolve(value ?? 0);
        },
      );
    });
    if (servingStatus !== 1) {
      throw new PlatformUnreachableError(name, address, `${grpcService} is not serving (starting up or shutting down)`);
    }
  } finally {
    client.close();
  }
}

/**
 * A plain TCP connect first: a refused connection is reported at once with its reason, where the
 * gRPC channel would keep retrying until the deadline.
 */
export async function checkListening(name: string, address: string, timeoutMs: number): Promise<void> {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match || /^(dns|unix|ipv4|ipv6):/.test(address)) return;
  const [, host = '', port = ''] = match;
  await new Promise<void>((resolve, reject) => {
    const socket = tcpConnect({ host, port: Number(port), timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new PlatformUnreachableError(name, address, `no answer within ${timeoutMs} ms`));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      const reason = error.code === 'ECONNREFUSED' ? 'connection refused: nothing listens there' : error.code === 'ENOTFOUND' ? `unknown host ${host}` : (error.code ?? error.message);
      reject(new PlatformUnreachableError(name, address, reason));
    });
  });
}

/** Protobuf wire encoding of one string field (length-delimited, wire type 2). */
export function encodeStringField(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

/** The value of the first varint field of a message (0 when the message is empty: proto3 default). */
export function decodeFirstVarint(buffer: Buffer): number {
  if (buffer.length === 0) return 0;
  const key = buffer[0] ?? 0;
  if ((key & 7) !== 0) return 0;
  let result = 0;
  let shift = 0;
  for (let i = 1; i < buffer.length; i++) {
    const byte = buffer[i] ?? 0;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return result;
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
