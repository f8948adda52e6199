import { status, type ServiceError } from '@grpc/grpc-js';
import { contextV1, identityV1, routingV1 } from '@continuum/contracts';
import { createClient, decodeStatusDetails, type ClientCallOptions, type GeneratedClientConstructor, type GeneratedMethod, type KitClient } from '@continuum/kit';
import type { Target } from '../args';
import { PlatformCallError, PlatformUnreachableError } from '../errors';
import { checkServing } from './health';

export type IdentityClient = KitClient<typeof identityV1.IdentityServiceService>;
export type ContextClient = KitClient<typeof contextV1.ContextServiceService>;
export type RoutingClient = KitClient<typeof routingV1.RoutingServiceService>;

/** Clients of the three services, every call acting on the target's tenant. */
export interface Platform {
  readonly identity: IdentityClient;
  readonly context: ContextClient;
  readonly routing: RoutingClient;
  readonly target: Target;
  close(): void;
}

type ServiceName = 'identity' | 'context' | 'routing';

const GRPC_SERVICES: Record<ServiceName, string> = {
  identity: 'continuum.identity.v1.IdentityService',
  context: 'continuum.context.v1.ContextService',
  routing: 'continuum.routing.v1.RoutingService',
};

/**
 * Checks that each needed service answers (health check naming its gRPC service) and returns
 * tenant-bound clients. Failures of later calls become PlatformCallError (or
 * PlatformUnreachableError for UNAVAILABLE) naming the service and the method.
 */
export async function connect(target: Target, needs: readonly ServiceName[] = ['identity', 'context', 'routing']): Promise<Platform> {
  const probeMs = Math.min(target.deadlineMs, 3000);
  await Promise.all(needs.map((name) => checkServing(name, target[name], GRPC_SERVICES[name], probeMs)));
  const make = <D extends Record<string, GeneratedMethod>>(name: ServiceName, ctor: GeneratedClientConstructor<D>): KitClient<D> =>
    bindTenant(createClient(ctor, { address: target[name], deadlineMs: target.deadlineMs, ...(target.token ? { token: target.token } : {}) }), name, target);
  const identity = make('identity', identityV1.IdentityServiceClient);
  const context = make('context', contextV1.ContextServiceClient);
  const routing = make('routing', routingV1.RoutingServiceClient);
  return {
    identity,
    context,
    routing,
    target,
    close: () => {
      identity.close();
      context.close();
      routing.close();
    },
  };
}

/**
 * The same client with the tenant on every call and failures turned into errors that say which
 * service and method failed and why (ErrorInfo reason, invalid fields).
 */
function bindTenant<D extends Record<string, GeneratedMethod>>(client: KitClient<D>, service: ServiceName, target: Target): KitClient<D> {
  const bound: Record<string, unknown> = { close: () => client.close() };
  for (const key of Object.keys(client)) {
    const method = (client as Record<string, unknown>)[key];
    if (key === 'close' || typeof method !== 'function') continue;
    bound[key] = (request: unknown, options: ClientCallOptions = {}) => {
      const result = (method as (r: unknown, o: ClientCallOptions) => unknown)(request, { tenantId: target.tenant, ...options });
      if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(describeCallError(error, service, key, target[service])));
      return result;
    };
  }
  return bound as KitClient<D>;
}

/** A failed call as an error for people: service, method, code, reason and invalid fields. */
export function describeCallError(error: unknown, service: string, method: string, address: string): Error {
  const serviceError = error as Partial<ServiceError>;
  if (typeof serviceError.code !== 'number') return error instanceof Error ? error : new Error(String(error));
  if (serviceError.code === status.UNAVAILABLE) return new PlatformUnreachableError(service, address, serviceError.details ?? 'unavailable');
  const details = decodeStatusDetails(serviceError as ServiceError);
  const parts: string[] = [];
  if (details?.errorInfo) parts.push(details.errorInfo.reason);
  if (details?.badRequest) parts.push(details.badRequest.fieldViolations.map((v) => `${v.field}: ${v.description}`).join('; '));
  if (parts.length === 0 && serviceError.details) parts.push(serviceError.details);
  if (serviceError.code === status.UNAUTHENTICATED) parts.push('the platform checks tokens: pass --token <jwt> or set CONTINUUM_TOKEN');
  if (serviceError.code === status.PERMISSION_DENIED) parts.push(`the token does not allow this (needs ${service}.* scopes for the tenant)`);
  return new PlatformCallError(service, method, status[serviceError.code] ?? String(serviceError.code), parts.join(' — '));
}
