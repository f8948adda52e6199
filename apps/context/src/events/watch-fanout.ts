import { randomUUID } from 'node:crypto';
import { type DeliveredEvent, type EventBus, type EventEnvelope, type Subscription } from '@continuum/events';
import type { Logger } from '@continuum/kit';
import type { ContextChangeNotice, WatchHub } from '../application/watch-hub';
import {
  CONTEXT_DOMAIN,
  CaseClosed,
  CaseOpened,
  CaseReassigned,
  JourneyAbandoned,
  JourneyCompleted,
  JourneyStepReached,
  ProfileContextChanged,
  ProfileDataErased,
  TouchpointRecorded,
} from './context-events';
import { payloadIf } from './payload';

/** A change to tell the watchers of some profiles about. */
interface FanOutNotice {
  readonly profileIds: readonly string[];
  readonly notice: ContextChangeNotice;
}

/** What an event of this service's own domain means to WatchContext streams. */
function noticesOf(envelope: EventEnvelope): FanOutNotice[] {
  const ids = (...values: (string | undefined)[]): string[] => [...new Set(values.filter((v): v is string => !!v))];
  const recorded = payloadIf(TouchpointRecorded, envelope);
  if (recorded) {
    const t = recorded.touchpoint;
    if (!t) return [];
    const profiles = ids(t.profileId, t.originProfileId);
    const out: FanOutNotice[] = [{ profileIds: profiles, notice: { kind: 'touchpoint', id: t.touchpointId } }];
    if (t.caseId) out.push({ profileIds: profiles, notice: { kind: 'case', id: t.caseId } });
    return out;
  }
  const journey = payloadIf(JourneyStepReached, envelope)?.journey ?? payloadIf(JourneyCompleted, envelope)?.journey ?? payloadIf(JourneyAbandoned, envelope)?.journey;
  if (journey) return [{ profileIds: ids(journey.profileId, journey.originProfileId), notice: { kind: 'journey', id: journey.journeyId } }];
  const kase = payloadIf(CaseOpened, envelope)?.case ?? payloadIf(CaseReassigned, envelope)?.case ?? payloadIf(CaseClosed, envelope)?.case;
  if (kase) return [{ profileIds: ids(kase.profileId), notice: { kind: 'case', id: kase.caseId } }];
  const erased = payloadIf(ProfileDataErased, envelope);
  if (erased) return [{ profileIds: ids(erased.profileId, ...erased.mergedProfileIds), notice: { kind: 'erased', id: '' } }];
  const changed = payloadIf(ProfileContextChanged, envelope);
  if (changed) return [{ profileIds: ids(...changed.profileIds), notice: { kind: 'profile', id: '' } }];
  return [];
}

export interface WatchFanOutOptions {
  readonly bus: EventBus;
  readonly hub: WatchHub;
  readonly log?: Logger;
  /** How long the consumer stays after the last watcher left (default 30 s): watchers come and go. */
  readonly lingerMs?: number;
}

/**
 * Tells this replica's WatchContext streams about changes committed by other replicas. While at
 * least one stream is open, a consumer of its own (a fresh durable per activation that starts at
 * the next event and is removed by the broker a minute after it stops) reads the service's
 * domain and notifies the local hub. A change made here is notified twice (at once by the writer,
 * later by the consumer); a watch stream sends nothing when the context did not change.
 */
export class WatchFanOut {
  private subscription: Promise<Subscription | undefined> | undefined;
  private linger: NodeJS.Timeout | undefined;
  private activation = 0;
  private stopped = false;
  private readonly instance = randomUUID().slice(0, 8);
  private readonly unlisten: () => void;

  constructor(private readonly options: WatchFanOutOptions) {
    this.unlisten = options.hub.onActivity((active) => (active ? this.activate() : this.deactivateLater()));
  }

  private activate(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = undefined;
    if (this.subscription || this.stopped) return;
    const durable = `context-watch-${this.instance}-${++this.activation}`;
    this.subscription = this.options.bus
      .subscribe({ durable, domain: CONTEXT_DOMAIN, startAt: 'new', inactiveThresholdMs: 60_000, maxDeliveries: 1 }, async (event: DeliveredEvent) => {
        for (const n of noticesOf(event.envelope)) this.options.hub.notify(event.envelope.tenantId, n.profileIds, n.notice);
      })
      .catch((err: unknown) => {
        // Watchers still hear of this replica's own changes; other replicas' show on the next one.
        this.options.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'context: watch fan-out consumer did not start');
        this.subscription = undefined;
        return undefined;
      });
  }

  private deactivateLater(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = setTimeout(() => void this.deactivate(), this.options.lingerMs ?? 30_000);
    this.linger.unref();
  }

  private async deactivate(): Promise<void> {
    this.linger = undefined;
    const running = this.subscription;
    this.subscription = undefined;
    const sub = await running;
    await sub?.drain();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten();
    if (this.linger) clearTimeout(this.linger);
    await this.deactivate();
  }
}
