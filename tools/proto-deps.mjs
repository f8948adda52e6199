// Copies the few Google protos Continuum's API imports (google.rpc error model) from the
// `google-proto-files` package into .proto-deps/, the second module of the buf workspace.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const source = dirname(require.resolve('google-proto-files/package.json'));
const files = ['google/rpc/status.proto', 'google/rpc/error_details.proto', 'google/rpc/code.proto'];
for (const file of files) {
  const target = join('.proto-deps', file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(source, file), target);
}
