import { Client, credentials, Metadata, status, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { connect as tcpConnect } from 'node:net';
import { PlatformUnreachableError } from '../errors';

/** grpc.health.v1.Health/Check as grpc-health-check defines it (the kit serves the same definition). */
const check = healthService['Check'] as MethodDefinition<{ service: string }, { status?: string }>;

/**
 * Asks `grpc.health.v1.Health/Check` at `address` whether `grpcService` is served there, so a
 * wrong port (another service, or nothing at all) is reported before a scenario starts instead of
 * half-way through it.
 */
export async function checkServing(name: string, address: string, grpcService: string, timeoutMs: number): Promise<void> {
  await checkListening(name, address, timeoutMs);
  const client = new Client(address, credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(new PlatformUnreachableError(name, address, 'no gRPC server answers there')) : resolve()));
    });
    const servingStatus = await new Promise<string>((resolve, reject) => {
      client.makeUnaryRequest(
        check.path,
        check.requestSerialize,
        check.responseDeserialize,
        { service: grpcService },
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, value?: { status?: string }) => {
          if (error) {
            const detail =
              error.code === status.NOT_FOUND
                ? `a gRPC server answers there, but it does not serve ${grpcService}: is the port right?`
                : error.code === status.UNIMPLEMENTED
                  ? 'a gRPC server answers there, but without the health service: is it a Continuum service?'
                  : `health check failed: ${status[error.code] ?? error.code}`;
            reject(new PlatformUnreachableError(name, address, detail));
          } else resolve(value?.status ?? 'UNKNOWN');
        },
      );
    });
    if (servingStatus !== 'SERVING') {
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
