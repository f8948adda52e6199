import { credentials, loadPackageDefinition, type Client, type ClientDuplexStream, type ClientReadableStream, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** Raw grpc.health.v1 and grpc.reflection.v1 clients, loaded from the protos shipped with the packages. */
function serviceClient(protoFile: string, fqn: string, address: string): Client {
  const definition = loadPackageDefinition(loadSync(protoFile, { keepCase: true, enums: String, defaults: true }));
  const ctor = fqn.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], definition) as ServiceClientConstructor;
  return new ctor(address, credentials.createInsecure());
}

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_message: string };
}

export interface HealthClient {
  check(service: string): Promise<string>;
  watch(service: string): ClientReadableStream<{ status: string }>;
  close(): void;
}

export function healthClient(address: string): HealthClient {
  const client = serviceClient(healthProtoPath, 'grpc.health.v1.Health', address) as Client & {
    Check(req: object, cb: (e: Error | null, r: { status: string }) => void): void;
    Watch(req: object): ClientReadableStream<{ status: string }>;
  };
  return {
    check: (service) =>
      new Promise((resolve, reject) => client.Check({ service }, (error, response) => (error ? reject(error) : resolve(response.status)))),
    watch: (service) => client.Watch({ service }),
    close: () => client.close(),
  };
}

/** Lists the services a server exposes through reflection v1. */
export function listServicesByReflection(address: string): Promise<string[]> {
  const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const client = serviceClient(reflectionProto, 'grpc.reflection.v1.ServerReflection', address) as Client & {
    ServerReflectionInfo(): ClientDuplexStream<object, ReflectionResponse>;
  };
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (response: ReflectionResponse) => {
      resolve((response.list_services_response?.service ?? []).map((s) => s.name).sort());
      stream.end();
      client.close();
    });
    stream.on('error', reject);
    stream.write({ list_services: '*' });
  });
}

/** Asks reflection for the file declaring `symbol`; resolves to the number of descriptors returned. */
export function fileContainingSymbol(address: string, symbol: string): Promise<number> {
  const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const client = serviceClient(reflectionProto, 'grpc.reflection.v1.ServerReflection', address) as Client & {
    ServerReflectionInfo(): ClientDuplexStream<object, ReflectionResponse>;
  };
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (response: ReflectionResponse) => {
      stream.end();
      client.close();
      if (response.error_response) reject(new Error(response.error_response.error_message));
      else resolve(response.file_descriptor_response?.file_descriptor_proto.length ?? 0);
    });
    stream.on('error', reject);
    stream.write({ file_containing_symbol: symbol });
  });
}
