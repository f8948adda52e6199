import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { portVar } from './env-types';
import { describeConfig, kitConfigSchema, kitConfigVariables, serviceConfigSchema } from './kit-config';
import { loadConfig, scopedEnv } from './load-config';

const devEnv = { AUTH_MODE: 'disabled' };

function configError(env: Record<string, string>, schema: z.ZodObject = kitConfigSchema): ConfigError {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig with kitConfigSchema', () => {
  let dir: string;
  let jwks: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kit-config-'));
    jwks = join(dir, 'jwks.json');
    writeFileSync(jwks, '{"keys":[]}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses defaults into typed values', () => {
    const config = loadConfig(kitConfigSchema, devEnv);
    expect(config).toMatchObject({
      GRPC_HOST: '0.0.0.0',
      GRPC_PORT: 50051,
      ADMIN_PORT: 9464,
      LOG_LEVEL: 'info',
      AUTH_MODE: 'disabled',
      AUTH_ALGORITHMS: ['RS256', 'ES256', 'EdDSA'],
      GRPC_DEFAULT_DEADLINE_MS: 10_000,
      GRPC_MAX_DEADLINE_MS: 60_000,
      GRPC_MAX_MESSAGE_BYTES: 4 * 1024 * 1024,
      SHUTDOWN_GRACE_MS: 10_000,
    });
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
  });

  it('names a bad port', () => {
    const error = configError({ ...devEnv, GRPC_PORT: 'eighty' });
    expect(error.variables).toEqual(['GRPC_PORT']);
    expect(error.message).toContain('GRPC_PORT');
    expect(error.message).toContain('port number');
  });

  it('names every bad variable at once', () => {
    const error = configError({ ...devEnv, GRPC_PORT: '70000', LOG_LEVEL: 'loud', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' });
    expect([...error.variables].sort()).toEqual(['GRPC_PORT', 'LOG_LEVEL', 'OTEL_EXPORTER_OTLP_ENDPOINT']);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig(kitConfigSchema, { ...devEnv, GRPC_PORT: '' }).GRPC_PORT).toBe(50051);
  });

  it('refuses alg none and HMAC algorithms', () => {
    expect(configError({ ...devEnv, AUTH_ALGORITHMS: 'ES256,none' }).variables).toEqual(['AUTH_ALGORITHMS']);
    expect(configError({ ...devEnv, AUTH_ALGORITHMS: 'HS256' }).variables).toEqual(['AUTH_ALGORITHMS']);
    expect(loadConfig(kitConfigSchema, { ...devEnv, AUTH_ALGORITHMS: 'ES256, EdDSA' }).AUTH_ALGORITHMS).toEqual(['ES256', 'EdDSA']);
  });

  it('requires exactly one existing key file in jwt mode', () => {
    expect(configError({}).variables).toEqual(['AUTH_JWKS_FILE']);
    expect(configError({ AUTH_JWKS_FILE: join(dir, 'missing.json') }).message).toContain('does not exist');
    expect(configError({ AUTH_JWKS_FILE: jwks, AUTH_PUBLIC_KEY_FILE: jwks }).variables).toEqual(['AUTH_PUBLIC_KEY_FILE']);
    expect(loadConfig(kitConfigSchema, { AUTH_JWKS_FILE: jwks }).AUTH_MODE).toBe('jwt');
  });

  it('refuses a default deadline above the maximum', () => {
    expect(configError({ ...devEnv, GRPC_DEFAULT_DEADLINE_MS: '5000', GRPC_MAX_DEADLINE_MS: '1000' }).variables).toEqual([
      'GRPC_DEFAULT_DEADLINE_MS',
    ]);
  });

  it('is extended by services, keeping the kit checks', () => {
    const schema = kitConfigSchema.extend({ MONGODB_URI: z.string().describe('MongoDB connection string.') });
    const missing = configError({ ...devEnv, GRPC_PORT: 'x' }, schema);
    expect([...missing.variables].sort()).toEqual(['GRPC_PORT', 'MONGODB_URI']);
    expect(missing.problems.find((p) => p.variable === 'MONGODB_URI')?.problem).toBe('is required');
    // Cross-variable checks run once every variable parses (zod skips refinements of a broken object).
    expect(configError({ ...devEnv, MONGODB_URI: 'mongodb://db', GRPC_MAX_DEADLINE_MS: '1' }, schema).variables).toEqual([
      'GRPC_DEFAULT_DEADLINE_MS',
    ]);
    const config = loadConfig(schema, { ...devEnv, MONGODB_URI: 'mongodb://db' });
    expect(config.MONGODB_URI).toBe('mongodb://db');
    expect(config.GRPC_PORT).toBe(50051);
  });

  it('builds a service schema with its own name, variables and kit defaults overridden', () => {
    const schema = serviceConfigSchema('identity', { MONGODB_URI: z.string().optional(), GRPC_PORT: portVar(50061) });
    const config = loadConfig(schema, devEnv);
    expect(config).toMatchObject({ SERVICE_NAME: 'identity', GRPC_PORT: 50061, ADMIN_PORT: 9464 });
    expect(configError({ ...devEnv, GRPC_DEFAULT_DEADLINE_MS: '5000', GRPC_MAX_DEADLINE_MS: '1000' }, schema).variables).toEqual([
      'GRPC_DEFAULT_DEADLINE_MS',
    ]);
  });

  it('gives each service of the all-in-one its own port through a prefix', () => {
    const env = { ...devEnv, GRPC_PORT: '50051', IDENTITY_GRPC_PORT: '50061', CONTEXT_GRPC_PORT: '50062' };
    expect(loadConfig(kitConfigSchema, scopedEnv('identity', env)).GRPC_PORT).toBe(50061);
    expect(loadConfig(kitConfigSchema, scopedEnv('context', env)).GRPC_PORT).toBe(50062);
    expect(loadConfig(kitConfigSchema, scopedEnv('routing', env)).GRPC_PORT).toBe(50051);
  });
});

describe('describeConfig', () => {
  it('describes every kit variable with its default and meaning', () => {
    const names = kitConfigVariables.map((v) => v.name);
    expect(names).toEqual(Object.keys(kitConfigSchema.shape));
    expect(kitConfigVariables.find((v) => v.name === 'GRPC_PORT')).toEqual({
      name: 'GRPC_PORT',
      default: '50051',
      required: false,
      description: 'gRPC port; 0 picks a free port.',
    });
    expect(kitConfigVariables.find((v) => v.name === 'AUTH_ALGORITHMS')?.default).toBe('RS256,ES256,EdDSA');
    expect(kitConfigVariables.find((v) => v.name === 'AUTH_JWKS_FILE')?.default).toBeUndefined();
    expect(kitConfigVariables.every((v) => v.description.length > 0)).toBe(true);
  });

  it('marks a service variable without default as required', () => {
    const schema = kitConfigSchema.extend({ NATS_URL: z.string().describe('NATS server URL.') });
    expect(describeConfig(schema).find((v) => v.name === 'NATS_URL')).toEqual({
      name: 'NATS_URL',
      default: undefined,
      required: true,
      description: 'NATS server URL.',
    });
  });
});

describe('runMain with a bad environment', () => {
  const script = join(__dirname, '..', 'lifecycle', 'config-main.test-util.ts');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', script], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('stops start-up with exit code 1 and a message naming the variable', () => {
    const result = run({ AUTH_MODE: 'disabled', GRPC_PORT: 'not-a-port' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('configuration error');
    expect(result.stderr).toContain('GRPC_PORT: must be a port number 0-65535');
    expect(result.stdout).not.toContain('started');
  }, 90_000);

  it('starts when the environment is valid', () => {
    const result = run({ AUTH_MODE: 'disabled', GRPC_PORT: '50099' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('started on port 50099');
    expect(result.status).toBe(0);
  }, 90_000);
});
