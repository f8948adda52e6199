import { existsSync } from 'node:fs';
import { z } from 'zod';
import { intVar, listVar, portVar, urlVar } from './env-types';
import { DEFAULT_FLOW_CONTROL_WINDOW_BYTES } from '../server/flow-control';

/** JWS algorithms a deployment may allow; symmetric (HS*) and `none` are never acceptable. */
export const SUPPORTED_JWT_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function serviceNameVar(fallback: string) {
  return z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes')
    .default(fallback)
    .describe('Service name in logs, traces and metrics (each service sets its own default).');
}

/**
 * The variables every Continuum service reads. Each service extends the schema with its own,
 * preferably through `serviceConfigSchema(name, { MONGODB_URI: ... })`; `kitConfigSchema.extend`
 * works for new variables, `.safeExtend` to change a kit variable. The cross-variable checks below
 * are kept either way. Descriptions feed the README table (see `describeConfig`).
 */
export const kitConfigSchema = z
  .object({
    SERVICE_NAME: serviceNameVar('continuum'),
    GRPC_HOST: z.string().default('0.0.0.0').describe('Interface the gRPC server binds to.'),
    GRPC_PORT: portVar(50051).describe('gRPC port; 0 picks a free port.'),
    ADMIN_PORT: portVar(9464).describe('Admin HTTP port for /metrics, /healthz and /readyz; 0 picks a free port.'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('pino log level: fatal, error, warn, info, debug, trace or silent.'),
    AUTH_MODE: z
      .enum(['jwt', 'disabled'])
      .default('jwt')
      .describe('`jwt` verifies a bearer token on every call; `disabled` is development only (tenant still required) and warns at start.'),
    AUTH_ISSUER: z.string().default('continuum-dev').describe('Required `iss` of tokens.'),
    AUTH_AUDIENCE: z.string().default('continuum').describe('Required `aud` of tokens.'),
    AUTH_ALGORITHMS: listVar(['RS256', 'ES256', 'EdDSA'])
      .refine((algs) => algs.length > 0, { message: 'must name at least one algorithm' })
      .refine((algs) => algs.every((a) => (SUPPORTED_JWT_ALGORITHMS as readonly string[]).includes(a)), {
        message: `must be a comma-separated subset of ${SUPPORTED_JWT_ALGORITHMS.join(', ')} (none and HS* are refused)`,
      })
      .describe('Comma-separated allowlist of token signature algorithms.'),
    AUTH_JWKS_FILE: z.string().optional().describe('Path of a JWKS file with the token verification keys (or use AUTH_PUBLIC_KEY_FILE).'),
    AUTH_PUBLIC_KEY_FILE: z.string().optional().describe('Path of a PEM public key verifying tokens (or use AUTH_JWKS_FILE).'),
    GRPC_DEFAULT_DEADLINE_MS: intVar(10_000, 1, 3_600_000).describe('Deadline of a call whose client set none (ms).'),
    GRPC_MAX_DEADLINE_MS: intVar(60_000, 1, 3_600_000).describe('Longest deadline the server honours (ms); longer client deadlines are capped.'),
    GRPC_MAX_MESSAGE_BYTES: intVar(4 * 1024 * 1024, 1024, 256 * 1024 * 1024).describe('Largest gRPC message received or sent (bytes).'),
    GRPC_MAX_CONCURRENT_CALLS: intVar(2_000, 0, 1_000_000).describe(
      'Request/response calls in flight at once; past it new calls get RESOURCE_EXHAUSTED (SERVER_OVERLOADED) at once instead of queueing until they time out (0: no limit). Streams are not counted.',
    ),
    GRPC_FLOW_CONTROL_WINDOW_BYTES: intVar(DEFAULT_FLOW_CONTROL_WINDOW_BYTES, 65_535, 2 ** 31 - 1).describe(
      'HTTP/2 receive window of the gRPC server, per stream and per connection (bytes): how much a client may send ahead of what the server has read. The HTTP/2 default (65535) stalls a client stream while the server works on what it received.',
    ),
    SHUTDOWN_GRACE_MS: intVar(10_000, 0, 600_000).describe('Time calls in flight get to finish on SIGTERM before they are cancelled (ms).'),
    OTEL_EXPORTER_OTLP_ENDPOINT: urlVar().describe('OTLP gRPC endpoint for traces (e.g. http://otel-collector:4317); unset exports nothing.'),
    OTEL_TRACES_FILE: z.string().optional().describe('Append every span as a JSON line to this file (end-to-end tests, quick local looks at traces).'),
  })
  .superRefine((cfg, issues) => {
    if (cfg.GRPC_DEFAULT_DEADLINE_MS > cfg.GRPC_MAX_DEADLINE_MS) {
      issues.addIssue({ code: 'custom', path: ['GRPC_DEFAULT_DEADLINE_MS'], message: 'must not exceed GRPC_MAX_DEADLINE_MS' });
    }
    if (cfg.AUTH_MODE !== 'jwt') return;
    const keyFiles = [
      ['AUTH_JWKS_FILE', cfg.AUTH_JWKS_FILE],
      ['AUTH_PUBLIC_KEY_FILE', cfg.AUTH_PUBLIC_KEY_FILE],
    ] as const;
    const given = keyFiles.filter(([, path]) => path !== undefined);
    if (given.length === 0) {
      issues.addIssue({ code: 'custom', path: ['AUTH_JWKS_FILE'], message: 'is required when AUTH_MODE=jwt (or set AUTH_PUBLIC_KEY_FILE)' });
    } else if (given.length > 1) {
      issues.addIssue({ code: 'custom', path: ['AUTH_PUBLIC_KEY_FILE'], message: 'set either AUTH_JWKS_FILE or AUTH_PUBLIC_KEY_FILE, not both' });
    }
    for (const [variable, path] of given) {
      if (path !== undefined && !existsSync(path)) {
        issues.addIssue({ code: 'custom', path: [variable], message: `file ${path} does not exist` });
      }
    }
  });

/**
 * A service's configuration schema: the kit's variables with SERVICE_NAME defaulting to the
 * service, plus the service's own variables (which may also replace a kit variable's default).
 */
export function serviceConfigSchema<S extends z.ZodRawShape>(serviceName: string, shape: S) {
  const extension = { SERVICE_NAME: serviceNameVar(serviceName), ...shape };
  // zod cannot check a generic shape against the kit's; the explicit type argument keeps the
  // result fully typed for the caller.
  return kitConfigSchema.safeExtend<{ SERVICE_NAME: ReturnType<typeof serviceNameVar> } & S>(extension as never);
}

/** The parsed common configuration; services' configs are supersets of it. */
export type KitConfig = z.output<typeof kitConfigSchema>;

/** One environment variable as documented in the README. */
export interface ConfigVariable {
  readonly name: string;
  /** The default as written in the environment, or undefined when there is none. */
  readonly default: string | undefined;
  readonly required: boolean;
  readonly description: string;
}

/**
 * Describes every variable of a schema (the kit's or a service's extension), so the README table
 * can be generated and checked against the code instead of drifting from it.
 */
export function describeConfig(schema: z.ZodObject): ConfigVariable[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const type = field as z.ZodType;
    const whenUnset = type.safeParse(undefined);
    const fallback = whenUnset.success ? whenUnset.data : undefined;
    return {
      name,
      default: fallback === undefined ? undefined : Array.isArray(fallback) ? fallback.join(',') : String(fallback as string | number),
      required: !whenUnset.success,
      description: type.description ?? '',
    };
  });
}

/** The kit's variables, for the README table. */
export const kitConfigVariables: readonly ConfigVariable[] = describeConfig(kitConfigSchema);
