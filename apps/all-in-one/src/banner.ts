import type { Platform } from './platform';

/** What the start command prints: what started, where, in which mode, and what to try next. */
export function renderBanner(platform: Platform): string {
  const host = platform.config.CONTINUUM_ADVERTISED_HOST;
  const lines: string[] = [];
  const store = platform.storeBackend === 'embedded' ? 'embedded in-memory store (state is lost on exit)' : 'MongoDB';
  const bus = platform.busKind === 'in-process' ? 'in-process event bus' : `NATS JetStream at ${platform.config.NATS_URL ?? ''}`;
  lines.push('', `Continuum is up — all-in-one mode: ${store}, ${bus}.`, '');
  const width = Math.max(...platform.services.map((s) => s.name.length));
  for (const service of platform.services) {
    lines.push(`  ${service.name.padEnd(width)}  ${service.address.padEnd(16)}  ${service.grpcServices.join(', ')}`);
  }
  lines.push(`  ${'admin'.padEnd(width)}  http://${host}:${platform.adminPort}  /metrics /healthz /readyz`, '');
  if (platform.config.AUTH_MODE === 'disabled') {
    lines.push(
      '  !!! AUTHENTICATION IS OFF (AUTH_MODE=disabled): any caller may act for any tenant.',
      '  !!! Development only. Set AUTH_MODE=jwt with AUTH_JWKS_FILE for anything else.',
      '',
    );
  }
  lines.push(
    '  Try it (second terminal):  npm run continuum -- demo web-then-call',
    '  Health:                    grpc.health.v1 on every port; reflection is on',
    '  Stop:                      Ctrl-C (graceful: calls in flight finish)',
    '',
  );
  return lines.join('\n');
}
