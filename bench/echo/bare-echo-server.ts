/**
 * The baseline every figure is divided by: continuum.testing.v1.EchoService on a raw grpc-js
 * server with no kit interceptors (no auth, no error mapping, no metrics, no tracing), so the
 * ratio isolates what our code adds to one gRPC round trip on this machine, right now.
 */
import { Server, ServerCredentials, type ServerDuplexStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { testingV1 } from '@continuum/contracts';
import type { BenchServer } from '../harness/server-protocol';

export async function start(): Promise<BenchServer> {
  const server = new Server();
  const implementation: testingV1.EchoServiceServer = {
    echo(call: ServerUnaryCall<testingV1.EchoRequest, testingV1.EchoResponse>, callback: sendUnaryData<testingV1.EchoResponse>) {
      callback(null, { message: call.request.message, tenantId: '' });
    },
    echoStream(call: ServerDuplexStream<testingV1.EchoStreamRequest, testingV1.EchoStreamResponse>) {
      call.on('data', (request: testingV1.EchoStreamRequest) => {
        call.write({ message: request.message });
      });
      call.on('end', () => call.end());
    },
  };
  server.addService(testingV1.EchoServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    address: `127.0.0.1:${port}`,
    info: { server: 'bare grpc-js', grpcJs: grpcJsVersion() },
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}

function grpcJsVersion(): string {
  return (require('@grpc/grpc-js/package.json') as { version: string }).version;
}
