import { readFileSync } from 'node:fs';
import type { Server } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { descriptorSetPath } from '@continuum/contracts';
import { protoPath as healthProtoPath } from 'grpc-health-check';

const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

let cached: PackageDefinition | undefined;

/**
 * Every Continuum proto (from the descriptor set built with the contracts) plus grpc.health.v1,
 * read once per process: the all-in-one builds five servers from it.
 */
function packageDefinition(): PackageDefinition {
  cached ??= {
    ...loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath)),
    ...loadSync(healthProtoPath),
  };
  return cached;
}

/** Adds server reflection describing exactly the services this server serves (and health). */
export function addReflection(server: Server, serviceNames: readonly string[]): void {
  new ReflectionService(packageDefinition(), { services: [...serviceNames, HEALTH_SERVICE_NAME] }).addToServer(server);
}
