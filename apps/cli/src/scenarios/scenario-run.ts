import { randomBytes } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ScenarioStepError } from '../errors';
import type { Reporter } from '../output/reporter';
import type { Platform } from '../platform/connection';

/** One interaction of a scenario and the trace it made. */
export interface InteractionRecord {
  /** Stable key (`web-visit`), what the e2e tests look interactions up by. */
  readonly key: string;
  readonly title: string;
  readonly traceId: string;
  /** The root span: the CLI's span of the interaction, parent of its first call. */
  readonly spanId: string;
  readonly startTime: string;
  readonly durationMs: number;
}

export interface ScenarioOptions {
  readonly fallbackSeconds: number;
  readonly waitTimeoutMs: number;
}

const tracer = trace.getTracer('continuum-cli');

/**
 * What a scenario plays with: the platform, the reporter, ids unique to this run, and the
 * interaction boundary. Every interaction is one span, active while its calls run, so the kit
 * clients put its trace in their `traceparent` and everything the interaction causes (gRPC hops
 * between services, events through the bus) lands in that one trace.
 */
export class ScenarioRun {
  readonly interactions: InteractionRecord[] = [];
  /** Short random id of this run: request ids, touchpoint ids and (in a reused tenant) identifiers. */
  readonly runId = randomBytes(3).toString('hex');
  private requestCounter = 0;
  private readonly cleanups: Array<() => void | Promise<void>> = [];
  private interactionCounter = 0;

  constructor(
    readonly scenario: string,
    readonly platform: Platform,
    readonly reporter: Reporter,
    readonly options: ScenarioOptions,
  ) {}

  get tenant(): string {
    return this.platform.target.tenant;
  }

  /** A request id for a mutating call: unique per run, so retries of a call are safe and reruns are not mistaken for retries. */
  requestId(what: string): string {
    this.requestCounter += 1;
    return `cli-${this.runId}-${this.requestCounter}-${what}`.slice(0, 64);
  }

  /** An id for a client-chosen resource (touchpoint ids). */
  id(what: string): string {
    return `${what}-${this.runId}`;
  }

  /**
   * A human-looking identifier value: as given in a fresh demo tenant, suffixed with the run id
   * when the tenant was chosen by the user (so a second run does not recognize the first run's
   * customer).
   */
  unique(value: string, separator = '-'): string {
    return this.platform.target.tenantGenerated ? value : `${value}${separator}${this.runId}`;
  }

  /** Registers something to release when the scenario ends, however it ends (offer streams). */
  onCleanup(release: () => void | Promise<void>): void {
    this.cleanups.push(release);
  }

  /** Releases everything registered, newest first, waiting at most `timeoutMs` for each. */
  async cleanup(timeoutMs = 2000): Promise<void> {
    for (const release of this.cleanups.splice(0).reverse()) {
      try {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([release(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
      } catch {
        // releasing is best effort: the process is about to end anyway
      }
    }
  }

  /** Runs one interaction inside its own root span and reports its heading with the trace id. */
  async interaction<T>(key: string, title: string, body: () => Promise<T>, label?: string): Promise<T> {
    const index = key === 'setup' ? undefined : ++this.interactionCounter;
    return tracer.startActiveSpan(
      `demo ${this.scenario} ${key}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: { 'continuum.scenario': this.scenario, 'continuum.interaction': key, 'continuum.tenant_id': this.tenant },
      },
      async (span) => {
        const { traceId, spanId } = span.spanContext();
        const started = Date.now();
        this.reporter.interaction(key, label ?? (index === undefined ? 'Setup' : String(index)), title, traceId);
        try {
          return await body();
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
          throw error;
        } finally {
          span.end();
          this.interactions.push({ key, title, traceId, spanId, startTime: new Date(started).toISOString(), durationMs: Date.now() - started });
        }
      },
    );
  }

  /**
   * Polls `check` until it returns a value, showing progress; fails the step with `what` after the
   * wait timeout. For things that happen asynchronously (an event reaching another service).
   */
  async waitFor<T>(what: string, check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
    const progress = this.reporter.progress(`waiting for ${what}`);
    const deadline = Date.now() + this.options.waitTimeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) {
        progress.done(what);
        return value;
      }
      if (Date.now() >= deadline) {
        progress.fail(`gave up waiting for ${what}`);
        throw new ScenarioStepError(`waiting for ${what}`, `not seen after ${this.options.waitTimeoutMs} ms`);
      }
      progress.update(`waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
