import { contextV1, identityV1, routingV1 } from '@continuum/contracts';
import { createClient, type ClientCallOptions, type KitClient } from '@continuum/kit';
import type { RunningPlatform } from './platforms';

/**
 * The test's own clients of the three services: what the scenario left behind is checked through
 * the services' APIs, not through what the CLI says it saw.
 */
export interface ApiClients {
  readonly identity: KitClient<typeof identityV1.IdentityServiceService>;
  readonly context: KitClient<typeof contextV1.ContextServiceService>;
  readonly routing: KitClient<typeof routingV1.RoutingServiceService>;
  /** Call options acting on the scenario's tenant. */
  readonly as: ClientCallOptions;
  close(): void;
}

export async function apiClients(platform: RunningPlatform, tenant: string): Promise<ApiClients> {
  const token = await platform.token(tenant);
  const options = { deadlineMs: 10_000 };
  const identity = createClient(identityV1.IdentityServiceClient, { address: platform.addresses.identity, ...options });
  const context = createClient(contextV1.ContextServiceClient, { address: platform.addresses.context, ...options });
  const routing = createClient(routingV1.RoutingServiceClient, { address: platform.addresses.routing, ...options });
  return {
    identity,
    context,
    routing,
    as: { tenantId: tenant, ...(token ? { token } : {}) },
    close: () => {
      identity.close();
      context.close();
      routing.close();
    },
  };
}
