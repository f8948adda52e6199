import type { Logger } from '@continuum/kit';
import { OutboxRelay, createInboxConsumer, createOutbox, outgoing, type EventBus, type InboxSubscription, type Outbox } from '@continuum/events';
import type { DocumentStore } from '@continuum/store';
import type { CoreDeps } from '../application/deps';
import { IdentityProjection, type ProjectionNotice } from '../application/identity-projection';
import type { WatchHub } from '../application/watch-hub';
import { ProfileContextChanged } from './context-events';
import { IDENTITY_DOMAIN, IDENTITY_EVENT_TYPES } from './identity-events';
import { WatchFanOut } from './watch-fanout';

/** The running event machinery of the context service. */
export interface EventPlumbing {
  readonly outbox: Outbox;
  /** The identity-event consumer (its stats say how many events were applied). */
  readonly identityConsumer: InboxSubscription;
  stop(): Promise<void>;
}

export interface PlumbingOptions {
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly hub: WatchHub;
  /** The use-case dependencies, without the outbox (made here). */
  readonly core: Omit<CoreDeps, 'outbox'>;
  readonly identityDurable: string;
}

/**
 * Starts the outbox (every event this service publishes goes through it), the relay that
 * publishes it to the bus, and the inbox consumer that applies identity's events to the profile
 * read model and to record ownership (merge, unmerge, erase).
 */
export async function startEventPlumbing(options: PlumbingOptions): Promise<EventPlumbing> {
  const log = options.logger;
  const outbox = createOutbox({ store: options.store, producer: 'context' });
  const relay = new OutboxRelay({ store: options.store, bus: options.bus, log });
  await relay.start();

  const projection = new IdentityProjection({ ...options.core, outbox });
  const announce = options.bus.kind === 'jetstream';
  // Watchers are told after the inbox transaction commits (afterCommit), never before.
  const pending = new Map<string, ProjectionNotice[]>();
  let identityConsumer: InboxSubscription;
  try {
    identityConsumer = await createInboxConsumer({
      store: options.store,
      bus: options.bus,
      spec: { durable: options.identityDurable, domain: IDENTITY_DOMAIN, types: IDENTITY_EVENT_TYPES.map((t) => t.type) },
      log,
      handler: async (event, session) => {
        const notices = await projection.apply(event.envelope, session);
        if (notices.length === 0) return;
        pending.set(event.envelope.eventId, notices);
        // The other replicas' watchers learn of it through the bus (erasure has its own event).
        // On the in-process bus there are no other replicas: nothing to announce.
        if (!announce) return;
        const changed = notices.filter((n) => n.notice.kind === 'profile');
        await outbox.appendAll(
          session,
          changed.map((n) =>
            outgoing(ProfileContextChanged, { tenantId: n.tenantId, subjectProfileId: n.profileIds[0] ?? '', payload: { profileIds: [...new Set(n.profileIds)] } }),
          ),
        );
      },
      afterCommit: (event) => {
        const notices = pending.get(event.envelope.eventId);
        pending.delete(event.envelope.eventId);
        for (const n of notices ?? []) options.hub.notify(n.tenantId, n.profileIds, n.notice);
      },
    });
  } catch (err) {
    await relay.stop();
    throw err;
  }

  // Across replicas (a shared broker), WatchContext streams also hear of changes made elsewhere.
  const fanOut = options.bus.kind === 'jetstream' ? new WatchFanOut({ bus: options.bus, hub: options.hub, log }) : undefined;

  return {
    outbox,
    identityConsumer,
    async stop() {
      await fanOut?.stop();
      await identityConsumer.drain();
      await relay.stop();
    },
  };
}
