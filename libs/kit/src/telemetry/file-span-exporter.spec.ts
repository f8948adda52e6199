import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace, context, ROOT_CONTEXT } from '@opentelemetry/api';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { FileSpanExporter, type SpanLine } from './file-span-exporter';

describe('FileSpanExporter', () => {
  it('writes each finished span as one JSON line with its trace, parent and service', async () => {
    // The folder does not exist yet: the exporter creates it.
    const file = join(mkdtempSync(join(tmpdir(), 'spans-')), 'not-yet', 'spans.jsonl');
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'file-exporter-test' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new FileSpanExporter(file) })],
    });
    const tracer = provider.getTracer('test');
    const parent = tracer.startSpan('parent', {}, ROOT_CONTEXT);
    const child = tracer.startSpan('child', { attributes: { 'rpc.method': 'Resolve' } }, trace.setSpan(context.active(), parent));
    child.end();
    parent.end();
    await provider.forceFlush();

    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpanLine);
    expect(lines.map((l) => l.name)).toEqual(['child', 'parent']);
    const [childLine, parentLine] = lines;
    expect(childLine?.traceId).toBe(parentLine?.traceId);
    expect(childLine?.parentSpanId).toBe(parentLine?.spanId);
    expect(parentLine?.parentSpanId).toBe('');
    expect(childLine?.service).toBe('file-exporter-test');
    expect(childLine?.attributes['rpc.method']).toBe('Resolve');
    await provider.shutdown();
  });
});
