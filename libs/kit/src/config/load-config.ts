import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error';

/** Anything zod can parse an environment object with (a `z.object`, possibly extended/refined). */
export type EnvSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;

/**
 * Parses the environment once, at start-up, into a typed object. Empty values count as unset so
 * that `FOO=` in a manifest falls back to the default instead of failing on an empty string.
 * Throws `ConfigError` naming every missing or invalid variable.
 */
export function loadConfig<S extends EnvSchema>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.output<S> {
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => ({
    variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)',
    problem: input[String(issue.path[0])] === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message,
  }));
  throw new ConfigError(problems);
}

/**
 * An environment in which `<PREFIX>_<NAME>` overrides `<NAME>`: the all-in-one process starts
 * several services from one environment and gives each its own port (`IDENTITY_GRPC_PORT=50051`)
 * while they share everything else.
 */
export function scopedEnv(
  prefix: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string | undefined> {
  const head = `${prefix.toUpperCase()}_`;
  const scoped: Record<string, string | undefined> = { ...env };
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(head) && key.length > head.length) scoped[key.slice(head.length)] = value;
  }
  return scoped;
}
