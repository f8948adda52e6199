import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { REDACTED, redactionPaths } from './redaction';

/** The logger every service and handler uses (`ctx.log` in handlers). */
export type Logger = pino.Logger;

export interface LoggerOptions {
  /** Service name, on every line as `service`. */
  readonly service: string;
  /** pino level; `silent` logs nothing. */
  readonly level?: string;
  /**
   * Where lines go; stdout by default, written synchronously so the last lines before an exit are
   * never lost (tests pass a stream to read them back).
   */
  readonly destination?: pino.DestinationStream;
}

/**
 * A pino JSON logger. Each line carries `trace_id`/`span_id` of the span active when it is
 * written (so logs and traces join up), and known personal-data fields are redacted wherever
 * they appear: a careless `log.info({ profile }, ...)` still leaks nothing.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactionPaths(), censor: REDACTED },
      mixin: traceFields,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!trace.isSpanContextValid(spanContext)) return {};
  const { traceId, spanId, traceFlags } = spanContext;
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}`.slice(-2) };
}
