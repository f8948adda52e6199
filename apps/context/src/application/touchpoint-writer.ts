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
 * Group commit for unary RecordTouchpoint. A call that finds no recording of its tenant under way
 * is recorded at once, alone (`recordTouchpoint`). Calls that arrive while one is under way wait
 * for it and are then recorded together in one transaction (`recordTouchpointBatch`: the same
 * effects and events as one by one, each input refused alone if it must be, each event continuing
 * its own caller's trace). Under load this halves the store work per touchpoint; without load
 * nothing waits. Every caller is answered only after its own touchpoint committed.
 */
export class TouchpointWriter {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly deps: CoreDeps,
    /** Most touchpoints committed in one transaction. */
    private readonly maxBatch = 256,
  ) {}

  record(tenantId: string, input: TouchpointInput): Promise<RecordResult> {
    if (!this.busy.has(tenantId)) {
      this.busy.add(tenantId);
      return recordTouchpoint(this.deps, tenantId, input).finally(() => this.next(tenantId));
    }
    return new Promise<RecordResult>((resolve, reject) => {
      const queue = this.waiting.get(tenantId);
      const entry = { input, origin: context.active(), resolve, reject };
      if (queue) queue.push(entry);
      else this.waiting.set(tenantId, [entry]);
    });
  }

  /** Records what waited meanwhile, or frees the tenant. */
  private next(tenantId: string): void {
    const queue = this.waiting.get(tenantId);
    if (!queue || queue.length === 0) {
      this.waiting.delete(tenantId);
      this.busy.delete(tenantId);
      return;
    }
    const batch = queue.splice(0, this.maxBatch);
    if (queue.length === 0) this.waiting.delete(tenantId);
    void this.commit(tenantId, batch).finally(() => this.next(tenantId));
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
