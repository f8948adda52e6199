import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { testingV1 } from '@continuum/contracts';
import { startAdminServer, type AdminServer } from '../admin/admin-server';
import { echoRequest, startEcho, type EchoFixture } from '../echo/echo-fixture.test-util';
import { installInMemoryTracing } from '../telemetry/in-memory-tracing';
import { failure } from './test-helpers.test-util';

const tracing = installInMemoryTracing();

describe('tracing and logs', () => {
  let echo: EchoFixture;
  let token: string;
  beforeAll(async () => {
    echo = await startEcho();
    token = await echo.token();
  });
  afterAll(() => echo.stop());
  beforeEach(() => tracing.reset());

  const serverSpans = () => tracing.spans().filter((s) => s.kind === SpanKind.SERVER);
  const clientSpans = () => tracing.spans().filter((s) => s.kind === SpanKind.CLIENT);

  it('exports a SERVER span with rpc attributes and logs the call with the same trace id', async () => {
    echo.logs.lines.length = 0;
    await echo.client.echo(echoRequest({ message: 'personal: jane@example.com' }), { token, tenantId: 'tenant-a' });
    const [span] = serverSpans();
    expect(span).toBeDefined();
    expect(span?.name).toBe('continuum.testing.v1.EchoService/Echo');
    expect(span?.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'continuum.testing.v1.EchoService',
      'rpc.method': 'Echo',
      'rpc.grpc.status_code': 0,
      'continuum.tenant_id': 'tenant-a',
    });
    const traceId = span?.spanContext().traceId;
    const line = echo.logs.lines.find((l) => l['msg'] === 'call completed');
    expect(line).toMatchObject({ trace_id: traceId, span_id: span?.spanContext().spanId, grpc_code: 'OK', service: 'echo' });
    // No request content anywhere: not in the span, not in the log.
    expect(JSON.stringify(span?.attributes)).not.toContain('jane@example.com');
    expect(JSON.stringify(echo.logs.lines)).not.toContain('jane@example.com');
  });

  it('continues the caller trace: client and server spans share one trace id, server child of client', async () => {
    const root = trace.getTracer('test');
    const rootTraceId = await root.startActiveSpan('scenario', async (span) => {
      await echo.client.echo(echoRequest(), { token, tenantId: 'tenant-a' });
      span.end();
      return span.spanContext().traceId;
    });
    const [client] = clientSpans();
    const [server] = serverSpans();
    expect(client?.spanContext().traceId).toBe(rootTraceId);
    expect(server?.spanContext().traceId).toBe(rootTraceId);
    expect(server?.parentSpanContext?.spanId).toBe(client?.spanContext().spanId);
  });

  it('marks server faults as errors on the span, client errors not', async () => {
    await failure(echo.client.echo(echoRequest({ failWith: testingV1.FailureMode.FAILURE_MODE_UNEXPECTED }), { token, tenantId: 'tenant-a' }));
    await failure(echo.client.echo(echoRequest({ failWith: testingV1.FailureMode.FAILURE_MODE_NOT_FOUND }), { token, tenantId: 'tenant-a' }));
    const [internal, notFound] = serverSpans();
    expect(internal?.status.code).toBe(SpanStatusCode.ERROR);
    expect(internal?.attributes['rpc.grpc.status_code']).toBe(13);
    expect(JSON.stringify([internal?.attributes, internal?.events, internal?.status])).not.toMatch(/hunter2|secret/);
    expect(notFound?.status.code).toBe(SpanStatusCode.UNSET);
    expect(notFound?.attributes['error.type']).toBe('NOT_FOUND');
  });

  it('logs an unexpected error with the trace id of its call', async () => {
    echo.logs.lines.length = 0;
    await failure(echo.client.echo(echoRequest({ failWith: testingV1.FailureMode.FAILURE_MODE_UNEXPECTED }), { token, tenantId: 'tenant-a' }));
    const [span] = serverSpans();
    const line = echo.logs.lines.find((l) => l['msg'] === 'unexpected error in handler');
    expect(line).toMatchObject({ level: 'error', trace_id: span?.spanContext().traceId, error_type: 'Error' });
  });
});

describe('RED metrics on /metrics', () => {
  let echo: EchoFixture;
  let admin: AdminServer;
  let ready = true;
  beforeAll(async () => {
    echo = await startEcho();
    admin = await startAdminServer({ port: 0, host: '127.0.0.1', registry: echo.registry, isReady: () => ready });
  });
  afterAll(async () => {
    await admin.close();
    await echo.stop();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${admin.port}${path}`);

  it('counts started and handled calls by code, and times them', async () => {
    const token = await echo.token();
    await echo.client.echo(echoRequest(), { token, tenantId: 'tenant-a' });
    await echo.client.echo(echoRequest(), { token, tenantId: 'tenant-a' });
    await failure(echo.client.echo(echoRequest({ failWith: testingV1.FailureMode.FAILURE_MODE_NOT_FOUND }), { token, tenantId: 'tenant-a' }));
    await failure(echo.client.echo(echoRequest(), { tenantId: 'tenant-a' }));
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    const text = await response.text();
    const labels = 'grpc_type="unary",grpc_service="continuum.testing.v1.EchoService",grpc_method="Echo"';
    expect(text).toContain(`grpc_server_started_total{${labels}} 4`);
    expect(text).toContain(`grpc_server_handled_total{${labels},grpc_code="OK"} 2`);
    expect(text).toContain(`grpc_server_handled_total{${labels},grpc_code="NOT_FOUND"} 1`);
    expect(text).toContain(`grpc_server_handled_total{${labels},grpc_code="UNAUTHENTICATED"} 1`);
    expect(text).toContain(`grpc_server_handling_seconds_count{${labels}} 4`);
    // Process metrics come with it, and no label carries a tenant or a token.
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).not.toContain('tenant-a');
  });

  it('answers /healthz always and /readyz by readiness', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    ready = false;
    expect((await get('/readyz')).status).toBe(503);
    expect((await get('/nothing')).status).toBe(404);
  });

  it('lets several servers of one process count into one registry (the all-in-one)', async () => {
    const second = await startEcho({}, { registry: echo.registry });
    const token = await second.token();
    await second.client.echo(echoRequest(), { token, tenantId: 'tenant-a' });
    await second.stop();
    const text = await (await get('/metrics')).text();
    expect(text).toContain('grpc_server_handled_total{grpc_type="unary",grpc_service="continuum.testing.v1.EchoService",grpc_method="Echo",grpc_code="OK"} 3');
  });
});
