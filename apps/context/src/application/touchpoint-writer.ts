import { context, type Context } from '@opentelemetry/api';
import type { CoreDeps } from './deps';
import { recordTouchpoint, recordTouchpointBatch, type RecordResult, type TouchpointInput } from './record-touchpoint';

interface Waiting {
  readonly input: TouchpointInput;
  readonly origin: Context;
  readonly resolve: (result: RecordResult) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit for unary RecordTouchpoint. Calls of a tenant that arrive in the same turn of the
 * event loop (a socket read often carries many requests), or while a commit of that tenant is
 * under way, are recorded together in one transaction (`recordTouchpointBatch`: the same effects
 * and events as one by one, each input refused alone if it must be, each event continuing its own
 * caller's trace); a call that arrives alone is recorded alone (`recordTouchpoint`). The wait is
 * one event-loop turn (`setImmediate`), so without load nothing waits noticeably; under load the
 * store work per touchpoint halves. Every caller is answered only after its own touchpoint
 * committed.
 */
export class TouchpointWriter {
  private readonly waiting = new Map<string, Waiting[]>();
  /** Tenants with a commit under way or scheduled. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly deps: CoreDeps,
    /** Most touchpoints committed in one transaction. */
    private readonly maxBatch = 256,
  ) {}

  record(tenantId: string, input: TouchpointInput): Promise<RecordResult> {
    return new Promise<RecordResult>((resolve, reject) => {
      const queue = this.waiting.get(tenantId);
      const entry = { input, origin: context.active(), resolve, reject };
      if (queue) queue.push(entry);
      else this.waiting.set(tenantId, [entry]);
      if (!this.busy.has(tenantId)) {
        this.busy.add(tenantId);
        setImmediate(() => this.next(tenantId));
      }
    });
  }

  /** Records what waited, then looks again; frees the tenant when nothing is left. */
  private next(tenantId: string): void {
    const queue = this.waiting.get(tenantId);
    if (!queue || queue.length === 0) {
      this.waiting.delete(tenantId);
      this.busy.delete(tenantId);
      return;
    }
    const batch = queue.splice(0, this.maxBatch);
    if (queue.length === 0) this.waiting.delete(tenantId);
    // The next round waits a turn too, so calls read meanwhile join it.
    void this.commit(tenantId, batch).finally(() => setImmediate(() => this.next(tenantId)));
  }

  private async commit(tenantId: string, batch: readonly Waiting[]): Promise<void> {
    try {
      const outcomes =
        batch.length === 1
          ? [await context.with((batch[0] as Waiting).origin, () => recordTouchpoint(this.deps, tenantId, (batch[0] as Waiting).input))]
          : await context.with((batch[0] as Waiting).origin, () =>
              recordTouchpointBatch(
                this.deps,
                tenantId,
                batch.map((w) => w.input),
                batch.map((w) => w.origin),
              ),
            );
      batch.forEach((waiting, i) => {
        const outcome = outcomes[i];
        if (outcome && 'error' in outcome) waiting.reject(outcome.error);
        else if (outcome) waiting.resolve(outcome);
        else waiting.reject(new Error('the touchpoint batch gave no outcome'));
      });
    } catch (err) {
      for (const waiting of batch) waiting.reject(err);
    }
  }
}
