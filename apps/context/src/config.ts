import { intVar, portVar, serviceConfigSchema } from '@continuum/kit';
import { z } from 'zod';

/** The context service's configuration: the kit's variables plus its own. */
export const contextConfigSchema = serviceConfigSchema('context', {
  GRPC_PORT: portVar(50052).describe('gRPC port of the context service; 0 picks a free port.'),
  ADMIN_PORT: portVar(9466).describe('Admin HTTP port (/metrics, /healthz, /readyz); 0 picks a free port.'),
  MONGODB_URI: z.string().optional().describe('MongoDB replica-set URI; unset: the embedded in-memory store.'),
  MONGODB_DB: z.string().default('continuum_context').describe('MongoDB database of the context service.'),
  NATS_URL: z.string().optional().describe('NATS JetStream URL(s), comma-separated; unset: the in-process bus (development only).'),
  CONTEXT_ABANDON_SWEEP_MS: intVar(30_000, 100, 3_600_000).describe('How often idle journeys are closed as abandoned, with their event (ms).'),
  CONTEXT_IDENTITY_DURABLE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, dashes or underscores')
    .default('context-identity-events')
    .describe('Durable consumer name of the identity-event projection.'),
});

export type ContextConfig = z.output<typeof contextConfigSchema>;
