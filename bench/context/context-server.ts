/**
 * The context service as the benchmark's target, in its own process: the real module from
 * apps/context behind the kit's gRPC server, the embedded store and the in-process bus, seeded
 * with `customers` customers of `touchpointsPerCustomer` touchpoints each plus one customer
 * (`prf_target`) with `targetTouchpoints` touchpoints, an active journey, an open case and facts.
 */
import { commonV1, contextV1 } from '@continuum/contracts';
import { createGrpcServer, createLogger, loadConfig, type CallContext } from '@continuum/kit';
import { createInProcessBus } from '@continuum/events';
import { createEmbeddedStore } from '@continuum/store';
import { CONTEXT_ERROR_DOMAIN, contextConfigSchema, createContextService } from '@continuum/context';
import type { BenchServer } from '../harness/server-protocol';

export const BENCH_TENANT = 'bench';
export const TARGET_PROFILE = 'prf_target';

export interface ContextServerOptions {
  readonly customers: number;
  readonly touchpointsPerCustomer: number;
  readonly targetTouchpoints: number;
}

const FACT_KEYS = ['order_number', 'contact_reason', 'preferred_language', 'delivery_slot', 'card_last4'];

export async function start(options: ContextServerOptions): Promise<BenchServer> {
  const config = loadConfig(contextConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', AUTH_MODE: 'disabled', LOG_LEVEL: 'silent' });
  const logger = createLogger({ service: 'context', level: 'silent' });
  const store = createEmbeddedStore();
  const bus = createInProcessBus();
  const module = await createContextService({ store, bus, logger, abandonSweepMs: 0 });
  await module.start();
  const registration = module.registrations[0];
  if (!registration) throw new Error('the context module registered no service');
  const handlers = registration.handlers as unknown as {
    recordTouchpoint(req: contextV1.RecordTouchpointRequest, ctx: CallContext): Promise<contextV1.RecordTouchpointResponse>;
    createJourneyDefinition(req: contextV1.CreateJourneyDefinitionRequest, ctx: CallContext): Promise<unknown>;
    openCase(req: contextV1.OpenCaseRequest, ctx: CallContext): Promise<unknown>;
  };
  // Seeding goes straight to the handlers (the same validation and transactions, no network).
  const ctx = { tenantId: BENCH_TENANT } as CallContext;
  const now = Date.now();
  const started = Date.now();
  await handlers.createJourneyDefinition(
    contextV1.CreateJourneyDefinitionRequest.fromPartial({
      requestId: 'seed-def',
      journeyDefinition: {
        journeyDefinitionId: 'return-item',
        displayName: 'Return an item',
        steps: [{ stepId: 'start' }, { stepId: 'label-printed', action: 'offer_prepaid_label' }, { stepId: 'parcel-dropped', action: 'share_drop_off_points' }, { stepId: 'refunded' }],
        abandonAfter: { seconds: 30 * 24 * 3600, nanos: 0 },
        intent: 'return_item',
      },
    }),
    ctx,
  );
  const seed = (profileId: string, i: number, total: number): contextV1.RecordTouchpointRequest =>
    contextV1.RecordTouchpointRequest.fromPartial({
      touchpoint: {
        touchpointId: `${profileId}-${i}`,
        profileId,
        channel: 1 + (i % 7),
        direction: commonV1.Direction.DIRECTION_INBOUND,
        occurredAt: new Date(now - (total - i) * 60_000),
        intent: i % 5 === 0 ? 'billing_question' : '',
        agentId: i % 4 === 0 ? `agent-${i % 50}` : '',
        summary: 'viewed a page',
        attributes: { page: `/help/${i % 30}` },
        facts: i % 10 === 0 ? [{ key: FACT_KEYS[i % FACT_KEYS.length], value: `value-${i}`, sensitivity: 1 + (i % 3) }] : [],
        ...(i === total - 2 ? { journeyDefinitionId: 'return-item', journeyStepId: 'start' } : {}),
        ...(i === total - 1 ? { journeyDefinitionId: 'return-item', journeyStepId: 'label-printed' } : {}),
      },
    });
  for (let c = 0; c < options.customers; c++) {
    const profileId = `prf_${c}`;
    for (let i = 0; i < options.touchpointsPerCustomer; i++) await handlers.recordTouchpoint(seed(profileId, i, options.touchpointsPerCustomer), ctx);
  }
  for (let i = 0; i < options.targetTouchpoints; i++) await handlers.recordTouchpoint(seed(TARGET_PROFILE, i, options.targetTouchpoints), ctx);
  await handlers.openCase(contextV1.OpenCaseRequest.fromPartial({ profileId: TARGET_PROFILE, subject: 'Damaged parcel', ownerAgentId: 'agent-chen', teamId: 'returns', requestId: 'seed-case' }), ctx);
  const seedSec = (Date.now() - started) / 1000;

  const server = createGrpcServer({ serviceName: 'context', domain: CONTEXT_ERROR_DOMAIN, config, logger, registrations: module.registrations });
  const port = await server.start();
  return {
    address: `127.0.0.1:${port}`,
    info: {
      customers: options.customers + 1,
      touchpoints: options.customers * options.touchpointsPerCustomer + options.targetTouchpoints,
      targetTouchpoints: options.targetTouchpoints,
      seedSeconds: Math.round(seedSec),
      store: 'embedded',
      bus: 'in-process',
      auth: 'disabled',
    },
    clientMetadata: { 'x-tenant-id': BENCH_TENANT },
    async stop() {
      await server.shutdown(1_000);
      await module.stop();
      await bus.close();
      await store.close();
    },
  };
}
