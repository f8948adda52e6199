import * as path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { testingV1 } from '@continuum/contracts';
import { unary } from './grpc';
import { type ServerHandle, startServer } from './server-process';
import type { GrpcTarget } from './scenario';
import type { StreamSession } from './stream';

/** Module paths of the two echo servers (each runs in its own process through startServer). */
export const BARE_ECHO_SERVER_MODULE = path.join(__dirname, '..', 'echo', 'bare-echo-server.ts');
export const KIT_ECHO_SERVER_MODULE = path.join(__dirname, '..', 'echo', 'kit-echo-server.ts');

/** The echo text: short, like the identifiers and ids most Continuum requests carry. */
export const ECHO_MESSAGE = 'continuum-bench-echo-0123456789';

export type EchoClient = testingV1.EchoServiceClient;

/** Starts the bare grpc-js echo (no kit) in its own process: the baseline of every ratio. */
export function startBareEcho(): Promise<ServerHandle> {
  return startServer({ name: 'bare-echo', module: BARE_ECHO_SERVER_MODULE });
}

/** Starts the kit's echo service (all kit interceptors, auth off) in its own process. */
export function startKitEcho(): Promise<ServerHandle> {
  return startServer({ name: 'kit-echo', module: KIT_ECHO_SERVER_MODULE });
}

/** A gRPC target for an echo server; `channels` as in GrpcTarget. */
export function echoTarget(address: string, channels = 1): GrpcTarget<EchoClient> {
  return {
    address,
    channels,
    makeClient: (at) => new testingV1.EchoServiceClient(at, credentials.createInsecure()),
  };
}

/** Metadata every echo call carries: the kit's echo needs a tenant; the bare one ignores it. */
export function echoMetadata(): Metadata {
  const metadata = new Metadata();
  metadata.set('x-tenant-id', 'bench');
  return metadata;
}

/** One unary Echo call. */
export function echoCall(client: EchoClient): Promise<testingV1.EchoResponse> {
  return unary(client.echo.bind(client), testingV1.EchoRequest.fromPartial({ message: ECHO_MESSAGE }), echoMetadata());
}

/** A bidirectional EchoStream as a StreamSession: every echoed message acknowledges one sent. */
export function echoStreamSession(client: EchoClient): StreamSession {
  const call = client.echoStream(echoMetadata());
  let ack: ((count: number) => void) | undefined;
  call.on('data', () => ack?.(1));
  const finished = new Promise<void>((resolve, reject) => {
    call.on('status', (status: { code: number }) => {
      if (status.code === 0) resolve();
    });
    call.on('error', reject);
  });
  const failed = finished.then(() => new Promise<never>(() => undefined));
  // The race in the stream loop observes failures; avoid an unhandled rejection if it never looks.
  failed.catch(() => undefined);
  return {
    write: () => call.write({ message: ECHO_MESSAGE }),
    drained: () => new Promise<void>((resolve) => call.once('drain', resolve)),
    onAck: (listener) => {
      ack = listener;
    },
    end: () => {
      call.end();
      return finished;
    },
    failed,
  };
}
