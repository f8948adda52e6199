import type { EventLog } from './consumer-runner';
import { createInProcessBus } from './in-process-bus';
import { createJetStreamBus } from './jetstream-bus';
import type { EventBus } from './types';

export interface ConnectEventBusOptions {
  /** NATS_URL: one or more `nats://host:port`, comma-separated; empty or unset: the in-process bus. */
  readonly natsUrl?: string | undefined;
  /** Connection name the NATS server shows (the service name). */
  readonly name: string;
  readonly log: EventLog;
}

/**
 * The bus a process runs on: JetStream when NATS_URL names servers, else the in-process bus — which
 * only connects services of this same process, so it says so.
 */
export async function connectEventBus(options: ConnectEventBusOptions): Promise<EventBus> {
  const servers = (options.natsUrl ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length > 0) return createJetStreamBus({ servers, name: options.name, log: options.log });
  options.log.warn({}, 'NATS_URL is not set: events stay in this process (the in-process bus)');
  return createInProcessBus({ log: options.log });
}
