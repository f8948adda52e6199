import { type Clock, NS_PER_SEC, realClock } from './clock';
import { ErrorCounts } from './error-codes';
import { LatencyHistogram, type LatencySummary } from './histogram';

/**
 * One open stream as the stream loop drives it. Acknowledgements must arrive in the order the
 * messages were written (an echo answers in order; a client stream that answers per batch acks
 * the whole batch at once), which lets the loop time each message from its write to its ack.
 */
export interface StreamSession {
  /** Writes message `i`; false when the transport wants the writer to wait for `drained()`. */
  write(i: number): boolean;
  drained(): Promise<void>;
  /** Registered once by the loop; call it with how many further messages were acknowledged. */
  onAck(listener: (count: number) => void): void;
  /** Ends the writing side; resolves when the stream finished cleanly, rejects on its error. */
  end(): Promise<void>;
  /** Rejects when the stream fails before `end()` (never resolves otherwise). */
  readonly failed: Promise<never>;
}

export interface StreamSpec {
  readonly name: string;
  readonly open: () => StreamSession | Promise<StreamSession>;
  /** Streams open at once, each driven by its own writer; default 1. */
  readonly streams?: number;
  /** Messages written but not yet acknowledged, per stream; default 256. */
  readonly window?: number;
  readonly durationSec: number;
  readonly warmupSec?: number;
  readonly clock?: Clock;
}

export interface StreamResult {
  readonly name: string;
  readonly streams: number;
  readonly window: number;
  readonly durationSec: number;
  /** Messages acknowledged per second inside the measured window. */
  readonly messagesPerSec: number;
  /** From write to acknowledgement, messages written inside the window. */
  readonly latency: LatencySummary;
  readonly errors: Readonly<Record<string, number>>;
}

/** Measures the message rate of streams kept busy with up to `window` unacknowledged messages each. */
export async function runStreamScenario(spec: StreamSpec): Promise<StreamResult> {
  const clock = spec.clock ?? realClock;
  const streams = spec.streams ?? 1;
  const window = spec.window ?? 256;
  const measureFrom = clock.now() + (spec.warmupSec ?? 2) * NS_PER_SEC;
  const measureUntil = measureFrom + spec.durationSec * NS_PER_SEC;
  const latency = new LatencyHistogram();
  const errors = new ErrorCounts();
  let ackedInWindow = 0;
  let nextMessage = 0;

  const drive = async (): Promise<void> => {
    const session = await spec.open();
    const writtenAt: number[] = [];
    // `writtenAt[head]` is the oldest unacknowledged message; `spliced` entries were dropped from the front.
    let head = 0;
    let spliced = 0;
    let written = 0;
    let wake: (() => void) | undefined;
    session.onAck((count) => {
      const now = clock.now();
      for (let k = 0; k < count && head < writtenAt.length; k++) {
        const at = writtenAt[head++] as number;
        if (at >= measureFrom && now <= measureUntil) latency.record(now - at);
        if (now >= measureFrom && now <= measureUntil) ackedInWindow++;
      }
      // Keep the FIFO from growing for the whole run.
      if (head > 65_536) {
        writtenAt.splice(0, head);
        spliced += head;
        head = 0;
      }
      wake?.();
    });
    const outstanding = (): number => written - (spliced + head);
    const writer = async (): Promise<void> => {
      let sinceYield = 0;
      while (clock.now() < measureUntil) {
        if (outstanding() >= window) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        writtenAt.push(clock.now());
        written++;
        const more = session.write(nextMessage++);
        if (!more) await session.drained();
        // Let acknowledgements in even when the transport never pushes back.
        if (++sinceYield >= 64) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await session.end();
    };
    await Promise.race([writer(), session.failed]);
  };

  const results = await Promise.allSettled(Array.from({ length: streams }, () => drive()));
  for (const r of results) if (r.status === 'rejected') errors.add(r.reason);
  return {
    name: spec.name,
    streams,
    window,
    durationSec: spec.durationSec,
    messagesPerSec: ackedInWindow / spec.durationSec,
    latency: latency.summary(),
    errors: errors.toRecord(),
  };
}
