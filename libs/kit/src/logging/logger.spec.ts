import { trace } from '@opentelemetry/api';
import { LogCapture } from '../echo/echo-fixture.test-util';
import { installInMemoryTracing } from '../telemetry/in-memory-tracing';
import { createLogger } from './logger';

installInMemoryTracing();

describe('createLogger', () => {
  it('writes JSON lines with the service name, level and time', () => {
    const out = new LogCapture();
    createLogger({ service: 'identity', level: 'info', destination: out }).info({ profile_id: 'p-1' }, 'resolved');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({ service: 'identity', level: 'info', msg: 'resolved', profile_id: 'p-1' });
    expect(typeof out.lines[0]?.['time']).toBe('string');
  });

  it('adds trace_id and span_id of the active span, and nothing outside a span', () => {
    const out = new LogCapture();
    const log = createLogger({ service: 'identity', destination: out });
    log.info('outside');
    trace.getTracer('test').startActiveSpan('work', (span) => {
      log.child({ tenant_id: 't' }).info('inside');
      span.end();
      expect(out.lines[1]).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, trace_flags: '01' });
    });
    expect(out.lines[0]?.['trace_id']).toBeUndefined();
  });

  it('redacts personal data at any depth and never logs request bodies', () => {
    const out = new LogCapture();
    const log = createLogger({ service: 'identity', destination: out });
    log.info(
      {
        email: 'jane@example.com',
        profile: { first_name: 'Jane', last_name: 'Doe', traits: { vip: true }, phone: '+447700900123' },
        identifiers: [{ type: 'PHONE', value: '+447700900123' }],
        request: { message: 'anything the caller sent' },
        authorization: 'Bearer abc.def.ghi',
        profile_id: 'p-1',
      },
      'matched',
    );
    const line = JSON.stringify(out.lines[0]);
    for (const secret of ['jane@example.com', 'Jane', 'Doe', '+447700900123', 'anything the caller sent', 'abc.def.ghi', 'vip']) {
      expect(line).not.toContain(secret);
    }
    expect(out.lines[0]).toMatchObject({ email: '[REDACTED]', profile_id: 'p-1', profile: { first_name: '[REDACTED]' } });
  });

  it('respects the level', () => {
    const out = new LogCapture();
    const log = createLogger({ service: 'identity', level: 'warn', destination: out });
    log.info('quiet');
    log.warn('loud');
    expect(out.lines.map((l) => l['msg'])).toEqual(['loud']);
  });
});
