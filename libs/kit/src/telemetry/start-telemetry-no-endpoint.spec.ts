import { trace } from '@opentelemetry/api';
import { startTelemetry } from './start-telemetry';

describe('startTelemetry without an endpoint', () => {
  it('still gives spans real trace ids (for log correlation) and exports nothing', async () => {
    const telemetry = startTelemetry({ serviceName: 'quiet' });
    const ids = trace.getTracer('test').startActiveSpan('work', (span) => {
      span.end();
      return span.spanContext();
    });
    expect(trace.isSpanContextValid(ids)).toBe(true);
    await telemetry.shutdown();
  });
});
