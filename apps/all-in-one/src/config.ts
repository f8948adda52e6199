import { portVar, serviceConfigSchema } from '@continuum/kit';
import { z } from 'zod';

/**
 * The all-in-one process's own variables. Each hosted service also reads its own schema from the
 * same environment, where `<SERVICE>_<NAME>` overrides `<NAME>` for that service only
 * (`IDENTITY_GRPC_PORT=6001`). Auth is off unless AUTH_MODE=jwt is set: this is the mode for
 * trying Continuum on a laptop, and it says so loudly at start.
 */
export const allInOneConfigSchema = serviceConfigSchema('continuum', {
  ADMIN_PORT: portVar(9464).describe('Admin HTTP port of the all-in-one process (/metrics, /healthz, /readyz).'),
  AUTH_MODE: z
    .enum(['jwt', 'disabled'])
    .default('disabled')
    .describe('All-in-one default: `disabled` (development only, warns at start); `jwt` to verify tokens.'),
  MONGODB_URI: z.string().optional().describe('MongoDB replica-set URI; unset: the embedded in-memory store (one per service).'),
  NATS_URL: z.string().optional().describe('NATS JetStream URL(s), comma-separated; unset: the in-process event bus.'),
  CONTINUUM_ADVERTISED_HOST: z
    .string()
    .default('localhost')
    .describe('Host name printed in the start banner and used by services to reach each other.'),
});

export type AllInOneConfig = z.output<typeof allInOneConfigSchema>;

/** Variables that belong to the process as a whole and must not leak into one service's config. */
export const PROCESS_LEVEL_VARIABLES = ['GRPC_PORT', 'ADMIN_PORT', 'SERVICE_NAME'] as const;
