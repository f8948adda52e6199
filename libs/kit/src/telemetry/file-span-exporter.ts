import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** One span as a line of the traces file. */
export interface SpanLine {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** SpanKind number: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  readonly kind: number;
  readonly service: string;
  readonly startMicros: number;
  readonly durationMicros: number;
  /** 0 unset, 1 ok, 2 error. */
  readonly status: number;
  readonly attributes: Record<string, unknown>;
}

/**
 * Appends every finished span as one JSON line to a file (OTEL_TRACES_FILE). For end-to-end tests
 * that collect the spans of several processes, and for looking at a trace without a collector.
 * Synchronous appends keep lines whole when several processes share the file.
 */
export class FileSpanExporter implements SpanExporter {
  constructor(private readonly path: string) {
    // A missing folder would make every export fail without a word; create it up front.
    mkdirSync(dirname(path), { recursive: true });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      const lines = spans.map((span) => JSON.stringify(toLine(span))).join('\n');
      if (lines !== '') appendFileSync(this.path, lines + '\n');
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function toLine(span: ReadableSpan): SpanLine {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: span.name,
    kind: span.kind,
    service: String(span.resource.attributes['service.name'] ?? ''),
    startMicros: hrTimeToMicroseconds(span.startTime),
    durationMicros: hrTimeToMicroseconds(span.duration),
    status: span.status.code,
    attributes: { ...span.attributes },
  };
}
