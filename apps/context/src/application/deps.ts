import type { Outbox } from '@continuum/events';
import type { DocumentStore } from '@continuum/store';
import type { WatchHub } from './watch-hub';

/** What the use cases need: storage, the outbox, a clock and the watch hub. */
export interface CoreDeps {
  readonly store: DocumentStore;
  readonly outbox: Outbox;
  /** Injected so tests can move time (journey abandonment). */
  readonly clock: () => Date;
  readonly hub: WatchHub;
}
