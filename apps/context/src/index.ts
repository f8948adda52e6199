// Public surface of the context service: the module factory that main.ts, the all-in-one
// process, tests and benchmarks compose, and its configuration schema.
import type { Logger, ServiceModule } from '@continuum/kit';
import type { EventBus } from '@continuum/events';
import type { DocumentStore } from '@continuum/store';
import type { CoreDeps } from './application/deps';
import { sweepAbandoned } from './application/journeys';
import { WatchHub } from './application/watch-hub';
import { CONTEXT_DOMAIN } from './events/context-events';
import { startEventPlumbing, type EventPlumbing } from './events/plumbing';
import { contextRegistration } from './server';
import { defineContextCollections } from './store/collections';

export { contextConfigSchema, type ContextConfig } from './config';
export { CONTEXT_ERROR_DOMAIN, SCOPES as CONTEXT_SCOPES } from './server';
export { CONTEXT_DOMAIN } from './events/context-events';

/** What the context service needs from the process that hosts it. */
export interface ContextServiceDeps {
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** Defaults to the wall clock; tests inject one to move time. */
  readonly clock?: () => Date;
  /** How often idle journeys are closed as abandoned (ms); 0 disables the timer (tests sweep by hand). Default 30 s. */
  readonly abandonSweepMs?: number;
  /** Durable name of the identity-event consumer. */
  readonly identityDurable?: string;
}

/** The context service module, plus hooks tests and operators use. */
export interface ContextServiceModule extends ServiceModule {
  /** Closes journeys idle past their abandon period now (what the timer does); returns how many. */
  sweepAbandonedJourneys(): Promise<number>;
  /** Live WatchContext streams. */
  readonly watcherCount: number;
  /** Identity events applied by this process (from the inbox consumer). */
  readonly identityEventsApplied: number;
}

/**
 * Creates the context service: declares its collections, and returns its gRPC registration and
 * background work (outbox relay, identity-event projection, abandonment sweeper).
 */
export async function createContextService(deps: ContextServiceDeps): Promise<ContextServiceModule> {
  await defineContextCollections(deps.store);
  const hub = new WatchHub();
  const clock = deps.clock ?? (() => new Date());
  const log = deps.logger.child({ component: 'context' });
  let plumbing: EventPlumbing | undefined;
  const outbox = (): EventPlumbing['outbox'] => {
    if (!plumbing) throw new Error('the context service is not started');
    return plumbing.outbox;
  };
  const core: CoreDeps = {
    store: deps.store,
    outbox: { append: (session, type, event) => outbox().append(session, type, event), appendAll: (session, events) => outbox().appendAll(session, events) },
    clock,
    hub,
  };
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;
  const sweep = (): Promise<number> => {
    sweeping ??= sweepAbandoned(core).finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };

  return {
    name: 'context',
    registrations: [contextRegistration(core)],
    async start() {
      await deps.bus.ensureStreams([CONTEXT_DOMAIN, 'identity']);
      plumbing = await startEventPlumbing({ store: deps.store, bus: deps.bus, logger: log, hub, core: { store: deps.store, clock, hub }, identityDurable: deps.identityDurable ?? 'context-identity-events' });
      const every = deps.abandonSweepMs ?? 30_000;
      if (every > 0) {
        timer = setInterval(() => {
          sweep().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.name : 'unknown' }, 'abandoned-journey sweep failed; retrying on the next tick'));
        }, every);
        timer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      await sweeping?.catch(() => undefined);
      await plumbing?.stop();
    },
    sweepAbandonedJourneys: sweep,
    get watcherCount() {
      return hub.size;
    },
    get identityEventsApplied() {
      return plumbing?.identityConsumer.stats.applied ?? 0;
    },
  };
}
