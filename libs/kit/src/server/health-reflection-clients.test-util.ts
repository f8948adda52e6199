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

type ReflectionClient = Client & { ServerReflectionInfo(): ClientDuplexStream<object, ReflectionResponse> };

/** Sends one reflection v1 request and settles with `read` of the first response. */
function askReflection<T>(address: string, request: object, read: (response: ReflectionResponse) => T): Promise<T> {
  const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const client = serviceClient(reflectionProto, 'grpc.reflection.v1.ServerReflection', address) as ReflectionClient;
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (response: ReflectionResponse) => {
      stream.end();
      client.close();
      try {
        resolve(read(response));
      } catch (error) {
        reject(error as Error);
      }
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

/** Lists the services a server exposes through reflection v1. */
export function listServicesByReflection(address: string): Promise<string[]> {
  return askReflection(address, { list_services: '*' }, (response) =>
    (response.list_services_response?.service ?? []).map((s) => s.name).sort(),
  );
}

/** Asks reflection for the file declaring `symbol`; resolves to the number of descriptors returned. */
export function fileContainingSymbol(address: string, symbol: string): Promise<number> {
  return askReflection(address, { file_containing_symbol: symbol }, (response) => {
    if (response.error_response) throw new Error(response.error_response.error_message);
    return response.file_descriptor_response?.file_descriptor_proto.length ?? 0;
  });
}
