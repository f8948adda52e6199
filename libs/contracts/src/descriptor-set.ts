import { dirname, join } from 'node:path';

/**
 * Path of the FileDescriptorSet of every Continuum proto (and its imports), built by
 * `nx run contracts:generate` and committed beside the generated code (the same file serves the
 * sources and the compiled package). Servers load it for gRPC server reflection.
 */
export const descriptorSetPath: string = join(
  dirname(require.resolve('@continuum/contracts/package.json')),
  'src',
  'gen',
  'descriptors.binpb',
);
