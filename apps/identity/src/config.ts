import { intVar, portVar, serviceConfigSchema } from '@continuum/kit';
import { z } from 'zod';
import { isKnownRegion } from './domain';

/** The identity service's configuration: the kit's variables plus its own. */
export const identityConfigSchema = serviceConfigSchema('identity', {
  GRPC_PORT: portVar(50051).describe('gRPC port of the identity service; 0 picks a free port.'),
  ADMIN_PORT: portVar(9465).describe('Admin HTTP port (/metrics, /healthz, /readyz); 0 picks a free port.'),
  MONGODB_URI: z.string().optional().describe('MongoDB replica-set URI; unset: the embedded in-memory store.'),
  MONGODB_DB: z.string().default('continuum_identity').describe('MongoDB database of the identity service.'),
  NATS_URL: z.string().optional().describe('NATS JetStream URL(s), comma-separated; unset: the in-process bus (development only).'),
  IDENTITY_DEFAULT_PHONE_REGION: z
    .string()
    .default('')
    .refine(isKnownRegion, { message: 'must be an ISO 3166-1 alpha-2 region with phone numbering (ES, GB, US...) or empty' })
    .describe('Phone region of tenants without their own merge policy: numbers without a country code parse in it (empty: international format only).'),
  IDENTITY_LAST_SEEN_GRANULARITY_MS: intVar(15 * 60_000, 0, 86_400_000).describe(
    'How stale `last_seen_at` of an identifier may get before a Resolve rewrites it (ms); recognizing a customer seen more recently is a pure read.',
  ),
  IDENTITY_SETTINGS_CACHE_MS: intVar(2_000, 0, 60_000).describe(
    "How long a replica reuses a tenant's merge policy and segment list for reads (ms); writes always read them fresh.",
  ),
  IDENTITY_SEGMENT_BATCH_SIZE: intVar(200, 1, 5_000).describe('Profiles per transaction when a segment change is evaluated over a whole tenant.'),
});

export type IdentityConfig = z.output<typeof identityConfigSchema>;
