// A minimal main.ts for the runMain test: parses the kit configuration and reports the port.
import { kitConfigSchema } from '../config/kit-config';
import { loadConfig } from '../config/load-config';
import { runMain } from './run-main';

runMain(async () => {
  const config = loadConfig(kitConfigSchema);
  await Promise.resolve();
  process.stdout.write(`started on port ${config.GRPC_PORT}\n`);
});
