import { randomBytes } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TENANT_ID_PATTERN } from '@continuum/kit';
import { UsageError } from './errors';
import { SCENARIOS, findScenario } from './scenarios/catalogue';

/** Where the platform is and who the CLI acts as. */
export interface Target {
  /** `host:port` of each service. */
  readonly identity: string;
  readonly context: string;
  readonly routing: string;
  readonly tenant: string;
  /** True when no tenant was given and a fresh demo tenant was made up for this run. */
  readonly tenantGenerated: boolean;
  /** Bearer token; undefined for a platform running with AUTH_MODE=disabled (the all-in-one default). */
  readonly token: string | undefined;
  /** Deadline of each call (ms). */
  readonly deadlineMs: number;
}

export type InspectKind = 'profile' | 'context' | 'task';

export type Command =
  | { readonly kind: 'help'; readonly topic?: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'up' }
  | { readonly kind: 'demo-list'; readonly json: boolean }
  | {
      readonly kind: 'demo';
      readonly scenario: string;
      readonly target: Target;
      readonly json: boolean;
      /** Seconds routing tries the case owner, then the team, in case-owner (the policy's windows). */
      readonly fallbackSeconds: number;
      /** How long to wait for anything asynchronous (an offer, a merge reaching context), ms. */
      readonly waitTimeoutMs: number;
    }
  | { readonly kind: 'inspect'; readonly what: InspectKind; readonly id: string; readonly target: Target; readonly json: boolean };

export const DEFAULT_ADDRESSES = {
  identity: 'localhost:50051',
  context: 'localhost:50052',
  routing: 'localhost:50053',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const TARGET_OPTIONS = {
  identity: { type: 'string' },
  context: { type: 'string' },
  routing: { type: 'string' },
  tenant: { type: 'string' },
  token: { type: 'string' },
  'deadline-ms': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

const DEMO_OPTIONS = {
  ...TARGET_OPTIONS,
  list: { type: 'boolean', default: false },
  'fallback-seconds': { type: 'string' },
  'wait-timeout-ms': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** A fresh tenant id per demo run, so repeated demos never see each other's data. */
export function demoTenant(): string {
  return `demo-${randomBytes(4).toString('hex')}`;
}

/**
 * Reads the command line (without `node` and the script). Throws UsageError naming what is wrong.
 * Environment fallbacks: CONTINUUM_IDENTITY / CONTINUUM_CONTEXT / CONTINUUM_ROUTING addresses,
 * CONTINUUM_TENANT and CONTINUUM_TOKEN (a token in the environment stays out of shell history).
 */
export function parseCommandLine(argv: readonly string[], env: Env = {}, makeTenant: () => string = demoTenant): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return rest[0] !== undefined ? { kind: 'help', topic: rest[0] } : { kind: 'help' };
    case 'version':
    case '--version':
    case '-v':
      return { kind: 'version' };
    case 'up':
      if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', topic: 'up' };
      if (rest.length > 0) throw new UsageError(`up takes no arguments (configure it with environment variables), got: ${rest.join(' ')}`);
      return { kind: 'up' };
    case 'demo':
      return parseDemo(rest, env, makeTenant);
    case 'inspect':
      return parseInspect(rest, env);
    default:
      throw new UsageError(`unknown command "${command}"; commands: up, demo, inspect, help`);
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O, command: string) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util explains the problem well ("Unknown option '--foo'"); say which command it was.
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

function parseDemo(args: readonly string[], env: Env, makeTenant: () => string): Command {
  const { values, positionals } = parse(args, DEMO_OPTIONS, 'demo');
  if (values.help) return { kind: 'help', topic: 'demo' };
  if (values.list) return { kind: 'demo-list', json: values.json };
  const [scenario, ...extra] = positionals;
  if (scenario === undefined) {
    throw new UsageError(`demo needs a scenario: ${SCENARIOS.map((s) => s.name).join(', ')} (or demo --list)`);
  }
  if (extra.length > 0) throw new UsageError(`demo takes one scenario, got also: ${extra.join(' ')}`);
  if (!findScenario(scenario)) {
    throw new UsageError(`unknown scenario "${scenario}"; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return {
    kind: 'demo',
    scenario,
    target: parseTarget(values, env, makeTenant),
    json: values.json,
    fallbackSeconds: intOption(values['fallback-seconds'], '--fallback-seconds', 3, 1, 600),
    waitTimeoutMs: intOption(values['wait-timeout-ms'], '--wait-timeout-ms', 20_000, 100, 600_000),
  };
}

function parseInspect(args: readonly string[], env: Env): Command {
  const { values, positionals } = parse(args, TARGET_OPTIONS, 'inspect');
  if (values.help) return { kind: 'help', topic: 'inspect' };
  const [what, id, ...extra] = positionals;
  if (what !== 'profile' && what !== 'context' && what !== 'task') {
    throw new UsageError(`inspect needs what to inspect: profile, context or task (got ${what === undefined ? 'nothing' : `"${what}"`})`);
  }
  if (id === undefined || id === '') throw new UsageError(`inspect ${what} needs an id: continuum inspect ${what} <id> --tenant <tenant>`);
  if (extra.length > 0) throw new UsageError(`inspect ${what} takes one id, got also: ${extra.join(' ')}`);
  const target = parseTarget(values, env, () => {
    throw new UsageError(`inspect needs --tenant (or CONTINUUM_TENANT): ids belong to a tenant`);
  });
  return { kind: 'inspect', what, id, target, json: values.json };
}

interface TargetValues {
  identity?: string | undefined;
  context?: string | undefined;
  routing?: string | undefined;
  tenant?: string | undefined;
  token?: string | undefined;
  'deadline-ms'?: string | undefined;
}

function parseTarget(values: TargetValues, env: Env, makeTenant: () => string): Target {
  const givenTenant = values.tenant ?? nonEmpty(env['CONTINUUM_TENANT']);
  if (givenTenant !== undefined && !TENANT_ID_PATTERN.test(givenTenant)) {
    throw new UsageError(`--tenant "${givenTenant}" is not a tenant id: 1-63 lower-case letters, digits and dashes, starting with a letter or digit`);
  }
  const token = values.token ?? nonEmpty(env['CONTINUUM_TOKEN']);
  if (token !== undefined && token.trim() === '') throw new UsageError('--token is empty');
  return {
    identity: address(values.identity ?? nonEmpty(env['CONTINUUM_IDENTITY']) ?? DEFAULT_ADDRESSES.identity, '--identity'),
    context: address(values.context ?? nonEmpty(env['CONTINUUM_CONTEXT']) ?? DEFAULT_ADDRESSES.context, '--context'),
    routing: address(values.routing ?? nonEmpty(env['CONTINUUM_ROUTING']) ?? DEFAULT_ADDRESSES.routing, '--routing'),
    tenant: givenTenant ?? makeTenant(),
    tenantGenerated: givenTenant === undefined,
    token,
    deadlineMs: intOption(values['deadline-ms'], '--deadline-ms', 10_000, 100, 600_000),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** `host:port`, `[v6]:port` or a grpc-js URI (`dns:///name:port`, `unix:/path`). */
function address(value: string, flag: string): string {
  if (/^(dns|unix|ipv4|ipv6):/.test(value)) return value;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new UsageError(`${flag} "${value}" is not an address: use host:port, e.g. localhost:50051`);
  return value;
}

function intOption(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The help text: all commands, or one command's. */
export function usage(topic?: string): string {
  const target = [
    '  --identity <host:port>   identity service   (default localhost:50051, env CONTINUUM_IDENTITY)',
    '  --context <host:port>    context service    (default localhost:50052, env CONTINUUM_CONTEXT)',
    '  --routing <host:port>    routing service    (default localhost:50053, env CONTINUUM_ROUTING)',
    '  --token <jwt>            bearer token       (env CONTINUUM_TOKEN; not needed with AUTH_MODE=disabled)',
    '  --deadline-ms <n>        deadline of each call (default 10000)',
    '  --json                   machine-readable output on stdout',
  ];
  const demo = [
    'continuum demo <scenario> [options]',
    '  Plays a scenario against a running platform and shows what the customer, the channel,',
    '  the agent and the supervisor see. Each interaction is one trace.',
    '',
    `  scenarios: ${SCENARIOS.filter((s) => !s.arrivesWith).map((s) => s.name).join(', ')}`,
    `  later:     ${SCENARIOS.filter((s) => s.arrivesWith).map((s) => s.name).join(', ')}`,
    '',
    '  --tenant <id>            tenant to play in (default: a fresh demo-xxxxxxxx per run)',
    ...target,
    '  --fallback-seconds <n>   case-owner: seconds the owner, then the team, are tried (default 3)',
    '  --wait-timeout-ms <n>    longest wait for an offer or an event (default 20000)',
    '  --list                   list the scenarios',
  ];
  const inspect = [
    'continuum inspect profile|context|task <id> --tenant <id> [options]',
    '  profile <profile id>     a profile: identifiers, traits, segments (identity)',
    '  context <profile id>     what a channel sees: journeys, cases, timeline, facts (context)',
    '  task <task id>           a routing task and why it went where it did (routing)',
    ...target,
  ];
  const up = [
    'continuum up',
    '  Starts the all-in-one platform in the foreground (every service, embedded store,',
    '  in-process bus unless MONGODB_URI / NATS_URL are set). Ctrl-C stops it gracefully.',
  ];
  if (topic === 'demo') return demo.join('\n');
  if (topic === 'inspect') return inspect.join('\n');
  if (topic === 'up') return up.join('\n');
  return [
    'continuum — the Continuum command line',
    '',
    ...up,
    '',
    ...demo,
    '',
    ...inspect,
    '',
    'Exit codes: 0 ok, 1 a step failed, 2 bad usage, 3 platform not reachable, 4 scenario not available yet.',
  ].join('\n');
}
