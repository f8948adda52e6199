import * as path from 'node:path';
import { type CallOptions, credentials, Metadata } from '@grpc/grpc-js';
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

/**
 * Starts the kit's echo service (every kit interceptor) in its own process. `jwt`: a token from a
 * dev issuer is verified on every call (what production pays; the handle's clientMetadata carries
 * it); `disabled`: the development mode with auth off.
 */
export function startKitEcho(auth: 'jwt' | 'disabled' = 'jwt'): Promise<ServerHandle> {
  return startServer({ name: `kit-echo-${auth}`, module: KIT_ECHO_SERVER_MODULE, options: { auth } });
}

/** A gRPC target for an echo server; `channels` as in GrpcTarget. */
export function echoTarget(address: string, channels = 1): GrpcTarget<EchoClient> {
  return {
    address,
    channels,
    makeClient: (at) => new testingV1.EchoServiceClient(at, credentials.createInsecure()),
  };
}

/** The tenant echo calls act for when the server asks for none in particular. */
export const BENCH_TENANT = 'bench';

/** Default metadata of an echo call: a tenant (the kit requires one; the bare echo ignores it). */
export function echoMetadata(): Metadata {
  const metadata = new Metadata();
  metadata.set('x-tenant-id', BENCH_TENANT);
  return metadata;
}

const defaultEchoMetadata = echoMetadata();

/**
 * One unary Echo call. `metadata` is cloned per call; pass the target's (metadataOf(server)) so
 * the bare echo receives the same headers as the service it is compared with.
 */
export function echoCall(client: EchoClient, metadata: Metadata = defaultEchoMetadata): Promise<testingV1.EchoResponse> {
  return unary(client.echo.bind(client), testingV1.EchoRequest.fromPartial({ message: ECHO_MESSAGE }), metadata.clone());
}

/**
 * A bidirectional EchoStream as a StreamSession: every echoed message acknowledges one sent.
 * Give a stream that outlives the server's default deadline (the kit's is 10 s) a `deadline`.
 */
export function echoStreamSession(
  client: EchoClient,
  metadata: Metadata = defaultEchoMetadata,
  options: Partial<CallOptions> = {},
): StreamSession {
  const call = client.echoStream(metadata.clone(), options);
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
