import { intVar, portVar, serviceConfigSchema } from '@continuum/kit';
import { z } from 'zod';

/** The routing service's configuration: the kit's variables plus its own. */
export const routingConfigSchema = serviceConfigSchema('routing', {
  GRPC_PORT: portVar(50053).describe('gRPC port of the routing service; 0 picks a free port.'),
  ADMIN_PORT: portVar(9467).describe('Admin HTTP port (/metrics, /healthz, /readyz); 0 picks a free port.'),
  MONGODB_URI: z.string().optional().describe('MongoDB replica-set URI; unset: the embedded in-memory store.'),
  MONGODB_DB: z.string().default('continuum_routing').describe('MongoDB database of the routing service.'),
  NATS_URL: z.string().optional().describe('NATS JetStream URL(s), comma-separated; unset: the in-process bus (development only).'),
  CONTEXT_ADDRESS: z
    .string()
    .default('')
    .describe('Address (host:port) of the context service, asked once per submitted task for case owner, last agent and segments; empty: tasks are routed on what they say.'),
  ROUTING_CONTEXT_DEADLINE_MS: intVar(500, 10, 10_000).describe('Deadline of the context call made on submission (ms); past it the task is routed without context and says so.'),
  ROUTING_OFFER_TIMEOUT_MS: intVar(20_000, 1_000, 600_000).describe('How long an agent has to accept or reject an offer before it goes to the next agent (ms).'),
});

export type RoutingConfig = z.output<typeof routingConfigSchema>;
