// Public surface of @continuum/kit: the runtime every Continuum service runs on.

// errors
export * from './errors/domain-errors';
export { Violations } from './errors/violations';
export { decodeStatusDetails, encodeStatusDetails, isServiceError, STATUS_DETAILS_KEY, type StatusDetails } from './errors/status-details';

// config
export { ConfigError, type ConfigProblem } from './config/config-error';
export { loadConfig, scopedEnv, type EnvSchema } from './config/load-config';
export { intVar, listVar, portVar, urlVar } from './config/env-types';
export {
  describeConfig,
  kitConfigSchema,
  kitConfigVariables,
  serviceConfigSchema,
  SUPPORTED_JWT_ALGORITHMS,
  type ConfigVariable,
  type KitConfig,
} from './config/kit-config';

export { renderConfigTable, replaceConfigTable, CONFIG_TABLE_BEGIN, CONFIG_TABLE_END } from './config/config-table';

// logging
export { createLogger, type Logger, type LoggerOptions } from './logging/logger';
export { REDACTED, REDACTED_KEYS } from './logging/redaction';

// telemetry
export { startTelemetry, type Telemetry, type TelemetryOptions } from './telemetry/start-telemetry';
export { installInMemoryTracing, type InMemoryTracing } from './telemetry/in-memory-tracing';
export { FileSpanExporter, type SpanLine } from './telemetry/file-span-exporter';

// auth
export { createAuthenticator, type AuthConfig, type Authenticator } from './auth/authenticator';
export { AllScopes, TENANT_ID_PATTERN, TENANT_METADATA_KEY, type Principal } from './auth/principal';
export { createDevTokenIssuer, type DevTokenIssuer, type DevTokenIssuerOptions, type IssueOptions } from './auth/dev-token-issuer';

// gRPC server
export * from './server/types';
export {
  createGrpcServer,
  type GrpcServer,
  type GrpcServerConfig,
  type GrpcServerOptions,
  type ShutdownOptions,
} from './server/create-grpc-server';

// gRPC client
export {
  createClient,
  type ClientFactoryOptions,
  type ClientMethod,
  type GeneratedClientConstructor,
  type GeneratedMethod,
  type KitClient,
  type ResponseStream,
} from './client/create-client';
export type { ClientCallOptions } from './client/call-metadata';

// admin HTTP, shutdown, main
export { startAdminServer, type AdminServer, type AdminServerOptions } from './admin/admin-server';
export { ShutdownManager, type ShutdownManagerOptions } from './lifecycle/shutdown-manager';
export { runMain } from './lifecycle/run-main';
export { startProcess, type ProcessConfig, type StartedProcess } from './lifecycle/start-process';
export { serveModule, type ServeModuleOptions, type ServedModule } from './lifecycle/serve-module';

// the Echo test service (kit tests, benchmark baseline)
export { createEchoRegistration, ECHO_DOMAIN, ECHO_SCOPE } from './echo/echo-service';
export { IDEMPOTENCY_WINDOW_SEC } from './idempotency';
