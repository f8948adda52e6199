import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { testingV1 } from '@continuum/contracts';
import { SignJWT } from 'jose';
import { createDevTokenIssuer } from '../auth/dev-token-issuer';
import { decodeStatusDetails } from '../errors/status-details';
import { echoRequest, startEcho, type EchoFixture } from '../echo/echo-fixture.test-util';
import { failure } from './test-helpers.test-util';

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('authentication and tenancy (AUTH_MODE=jwt, JWKS)', () => {
  let echo: EchoFixture;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.stop());

  const call = (token: string | undefined, tenantId = 'tenant-a', request = echoRequest()) =>
    echo.client.echo(request, { ...(token !== undefined ? { token } : {}), tenantId });

  async function expectUnauthenticated(token: string | undefined, reason: string): Promise<void> {
    const error = await failure(call(token));
    expect(error.code).toBe(status.UNAUTHENTICATED);
    expect(decodeStatusDetails(error.metadata)?.errorInfo?.reason).toBe(reason);
  }

  it('accepts a valid token for the tenant in the metadata', async () => {
    await expect(call(await echo.token('tenant-a'))).resolves.toEqual({ message: 'hello', tenantId: 'tenant-a' });
  });

  it('refuses a call without a token', async () => {
    await expectUnauthenticated(undefined, 'TOKEN_MISSING');
  });

  it('refuses an expired token', async () => {
    await expectUnauthenticated(await echo.issuer.issue({ tenant: 'tenant-a', scopes: ['echo.read'], expiresIn: -120 }), 'TOKEN_EXPIRED');
  });

  it('refuses a token for another audience', async () => {
    await expectUnauthenticated(await echo.issuer.issue({ tenant: 'tenant-a', scopes: ['echo.read'], audience: 'someone-else' }), 'TOKEN_INVALID');
  });

  it('refuses a token from another issuer', async () => {
    await expectUnauthenticated(await echo.issuer.issue({ tenant: 'tenant-a', scopes: ['echo.read'], issuer: 'https://evil.example' }), 'TOKEN_INVALID');
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
      sub: 'mallory', iss: echo.issuer.issuer, aud: echo.issuer.audience, exp: now + 600, iat: now, tenant: '*', scope: 'echo.read',
    })}.`;
    await expectUnauthenticated(unsigned, 'TOKEN_INVALID');
  });

  it('refuses an HMAC token signed with the public key as secret (algorithm confusion)', async () => {
    const forged = await new SignJWT({ tenant: 'tenant-a', scope: 'echo.read' })
      .setProtectedHeader({ alg: 'HS256', kid: echo.issuer.keyId })
      .setSubject('mallory')
      .setIssuer(echo.issuer.issuer)
      .setAudience(echo.issuer.audience)
      .setExpirationTime('5m')
      .sign(Buffer.from(echo.issuer.publicKeyPem));
    await expectUnauthenticated(forged, 'TOKEN_INVALID');
  });

  it('refuses a token signed with another key', async () => {
    const stranger = createDevTokenIssuer();
    await expectUnauthenticated(await stranger.issue({ tenant: 'tenant-a', scopes: ['echo.read'] }), 'TOKEN_INVALID');
  });

  it('refuses a malformed authorization header', async () => {
    await expectUnauthenticated('not a jwt', 'TOKEN_INVALID');
  });

  it('denies a tenant-A token acting on tenant B', async () => {
    const error = await failure(call(await echo.token('tenant-a'), 'tenant-b'));
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(decodeStatusDetails(error.metadata)?.errorInfo?.reason).toBe('TENANT_NOT_ALLOWED');
  });

  it('accepts any tenant listed in `tenants`, and every tenant for `*`', async () => {
    const several = await echo.issuer.issue({ tenants: ['tenant-a', 'tenant-b'], scopes: ['echo.read'] });
    await expect(call(several, 'tenant-b')).resolves.toMatchObject({ tenantId: 'tenant-b' });
    expect((await failure(call(several, 'tenant-c'))).code).toBe(status.PERMISSION_DENIED);
    const platform = await echo.issuer.issue({ tenant: '*', scopes: ['echo.read'] });
    await expect(call(platform, 'tenant-z')).resolves.toMatchObject({ tenantId: 'tenant-z' });
  });

  it('denies a call whose token lacks the method scope, before the handler runs (permission before existence)', async () => {
    const token = await echo.issuer.issue({ tenant: 'tenant-a', scopes: ['identity.read'] });
    const error = await failure(call(token, 'tenant-a', echoRequest({ failWith: testingV1.FailureMode.FAILURE_MODE_NOT_FOUND })));
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(decodeStatusDetails(error.metadata)?.errorInfo).toMatchObject({ reason: 'MISSING_SCOPE', metadata: { scope: 'echo.read' } });
  });

  it('reads scopes from `scp` as well as `scope`', async () => {
    const viaScope = await echo.issuer.issue({ tenant: 'tenant-a', scopes: ['other', 'echo.read'] });
    await expect(call(viaScope)).resolves.toMatchObject({ tenantId: 'tenant-a' });
    const viaScp = await echo.issuer.issue({ tenant: 'tenant-a', claims: { scp: ['other', 'echo.read'] } });
    await expect(call(viaScp)).resolves.toMatchObject({ tenantId: 'tenant-a' });
    const neither = await echo.issuer.issue({ tenant: 'tenant-a', claims: { scp: 'other' } });
    expect((await failure(call(neither))).code).toBe(status.PERMISSION_DENIED);
  });

  it('requires a well-formed x-tenant-id', async () => {
    const token = await echo.token('tenant-a');
    const missing = await failure(echo.client.echo(echoRequest(), { token }));
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(missing.metadata)?.badRequest?.fieldViolations[0]?.field).toBe('x-tenant-id');
    const malformed = await failure(call(token, 'Tenant_A'));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(malformed.metadata)?.errorInfo?.reason).toBe('TENANT_INVALID');
  });
});

describe('authentication with a PEM public key (AUTH_PUBLIC_KEY_FILE)', () => {
  let echo: EchoFixture;
  let dir: string;
  const pemIssuer = createDevTokenIssuer({ algorithm: 'EdDSA' });
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kit-pem-'));
    echo = await startEcho({
      AUTH_JWKS_FILE: '',
      AUTH_PUBLIC_KEY_FILE: pemIssuer.writePublicKey(join(dir, 'key.pem')),
      AUTH_ALGORITHMS: 'EdDSA',
    });
  });
  afterAll(async () => {
    await echo.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts tokens of the key and refuses tokens of another key', async () => {
    const good = await pemIssuer.issue({ tenant: 'tenant-a', scopes: ['echo.read'] });
    await expect(echo.client.echo(echoRequest(), { token: good, tenantId: 'tenant-a' })).resolves.toMatchObject({ tenantId: 'tenant-a' });
    const stranger = await createDevTokenIssuer({ algorithm: 'EdDSA' }).issue({ tenant: 'tenant-a', scopes: ['echo.read'] });
    expect((await failure(echo.client.echo(echoRequest(), { token: stranger, tenantId: 'tenant-a' }))).code).toBe(status.UNAUTHENTICATED);
  });

  it('refuses an algorithm outside the allowlist even when the key would verify it', async () => {
    // ES256 is not in AUTH_ALGORITHMS=EdDSA here: pinning must win over whatever the token says.
    const es = createDevTokenIssuer({ algorithm: 'ES256' });
    const token = await es.issue({ tenant: 'tenant-a', scopes: ['echo.read'] });
    expect((await failure(echo.client.echo(echoRequest(), { token, tenantId: 'tenant-a' }))).code).toBe(status.UNAUTHENTICATED);
  });
});

describe('development mode (AUTH_MODE=disabled)', () => {
  let echo: EchoFixture;
  beforeAll(async () => {
    echo = await startEcho({ AUTH_MODE: 'disabled', AUTH_JWKS_FILE: '' });
  });
  afterAll(() => echo.stop());

  it('warns loudly at start', () => {
    const warning = echo.logs.lines.find((line) => line['level'] === 'warn' && String(line['msg']).includes('AUTHENTICATION IS DISABLED'));
    expect(warning).toBeDefined();
  });

  it('serves without a token but still requires the tenant', async () => {
    await expect(echo.client.echo(echoRequest(), { tenantId: 'tenant-q' })).resolves.toEqual({ message: 'hello', tenantId: 'tenant-q' });
    expect((await failure(echo.client.echo(echoRequest()))).code).toBe(status.INVALID_ARGUMENT);
  });
});
