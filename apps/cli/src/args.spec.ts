import { DEFAULT_ADDRESSES, demoTenant, parseCommandLine, usage, type Command } from './args';
import { EXIT, UsageError } from './errors';

const fixedTenant = () => 'demo-fixed';

function parse(argv: string[], env: Record<string, string> = {}): Command {
  return parseCommandLine(argv, env, fixedTenant);
}

function usageError(argv: string[], env: Record<string, string> = {}): UsageError {
  try {
    parse(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(EXIT.usage);
    return error as UsageError;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('shows help for no arguments, help, --help and -h', () => {
    expect(parse([])).toEqual({ kind: 'help' });
    expect(parse(['help'])).toEqual({ kind: 'help' });
    expect(parse(['--help'])).toEqual({ kind: 'help' });
    expect(parse(['help', 'demo'])).toEqual({ kind: 'help', topic: 'demo' });
    expect(parse(['demo', '--help'])).toEqual({ kind: 'help', topic: 'demo' });
    expect(parse(['inspect', '-h'])).toEqual({ kind: 'help', topic: 'inspect' });
  });

  it('parses up, and refuses arguments to it', () => {
    expect(parse(['up'])).toEqual({ kind: 'up' });
    expect(usageError(['up', '--port', '1']).message).toContain('up takes no arguments');
  });

  it('parses a demo with the all-in-one defaults and a fresh tenant', () => {
    expect(parse(['demo', 'web-then-call'])).toEqual({
      kind: 'demo',
      scenario: 'web-then-call',
      json: false,
      fallbackSeconds: 3,
      waitTimeoutMs: 20_000,
      target: {
        identity: DEFAULT_ADDRESSES.identity,
        context: DEFAULT_ADDRESSES.context,
        routing: DEFAULT_ADDRESSES.routing,
        tenant: 'demo-fixed',
        tenantGenerated: true,
        token: undefined,
        deadlineMs: 10_000,
      },
    });
  });

  it('takes addresses, tenant, token and tuning from flags', () => {
    const command = parse([
      'demo',
      'case-owner',
      '--identity',
      '127.0.0.1:6001',
      '--context=127.0.0.1:6002',
      '--routing',
      '[::1]:6003',
      '--tenant',
      'acme',
      '--token',
      'tok',
      '--json',
      '--fallback-seconds',
      '1',
      '--wait-timeout-ms',
      '5000',
      '--deadline-ms',
      '2500',
    ]);
    expect(command).toMatchObject({
      kind: 'demo',
      scenario: 'case-owner',
      json: true,
      fallbackSeconds: 1,
      waitTimeoutMs: 5000,
      target: { identity: '127.0.0.1:6001', context: '127.0.0.1:6002', routing: '[::1]:6003', tenant: 'acme', tenantGenerated: false, token: 'tok', deadlineMs: 2500 },
    });
  });

  it('falls back to CONTINUUM_* variables, flags winning over them', () => {
    const env = { CONTINUUM_IDENTITY: 'id:1', CONTINUUM_CONTEXT: 'ctx:2', CONTINUUM_ROUTING: 'rt:3', CONTINUUM_TENANT: 'globex', CONTINUUM_TOKEN: 'env-token' };
    expect(parse(['demo', 'vip-service'], env)).toMatchObject({
      target: { identity: 'id:1', context: 'ctx:2', routing: 'rt:3', tenant: 'globex', tenantGenerated: false, token: 'env-token' },
    });
    expect(parse(['demo', 'vip-service', '--tenant', 'initech', '--identity', 'other:9'], env)).toMatchObject({
      target: { identity: 'other:9', tenant: 'initech' },
    });
  });

  it('accepts grpc-js target URIs as addresses', () => {
    expect(parse(['demo', 'web-then-call', '--identity', 'dns:///identity.continuum.svc:50051'])).toMatchObject({
      target: { identity: 'dns:///identity.continuum.svc:50051' },
    });
  });

  it.each([
    [['demo'], 'demo needs a scenario'],
    [['demo', 'nope'], 'unknown scenario "nope"'],
    [['demo', 'web-then-call', 'case-owner'], 'demo takes one scenario'],
    [['demo', 'web-then-call', '--bogus'], "Unknown option '--bogus'"],
    [['demo', 'web-then-call', '--identity', 'localhost'], '--identity "localhost" is not an address'],
    [['demo', 'web-then-call', '--routing', 'localhost:99999'], '--routing "localhost:99999" is not an address'],
    [['demo', 'web-then-call', '--tenant', 'Acme Corp'], '--tenant "Acme Corp" is not a tenant id'],
    [['demo', 'web-then-call', '--fallback-seconds', '0'], '--fallback-seconds must be between 1 and 600'],
    [['demo', 'web-then-call', '--fallback-seconds', '1.5'], '--fallback-seconds must be a whole number'],
    [['demo', 'web-then-call', '--deadline-ms', 'soon'], '--deadline-ms must be a whole number'],
    [['demo', 'web-then-call', '--token', ' '], '--token is empty'],
    [['inspect'], 'inspect needs what to inspect'],
    [['inspect', 'agent', 'x', '--tenant', 'acme'], 'inspect needs what to inspect: profile, context or task (got "agent")'],
    [['inspect', 'task', '--tenant', 'acme'], 'inspect task needs an id'],
    [['inspect', 'task', 'tsk_1', 'tsk_2', '--tenant', 'acme'], 'inspect task takes one id'],
    [['inspect', 'profile', 'prf_1'], 'inspect needs --tenant'],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('refuses %j: %s', (argv, message) => {
    expect(usageError(argv).message).toContain(message);
  });

  it('lists scenarios with demo --list', () => {
    expect(parse(['demo', '--list'])).toEqual({ kind: 'demo-list', json: false });
    expect(parse(['demo', '--list', '--json'])).toEqual({ kind: 'demo-list', json: true });
  });

  it('parses inspect with the tenant from a flag or the environment', () => {
    expect(parse(['inspect', 'context', 'prf_1', '--tenant', 'acme', '--json'])).toMatchObject({
      kind: 'inspect',
      what: 'context',
      id: 'prf_1',
      json: true,
      target: { tenant: 'acme', tenantGenerated: false },
    });
    expect(parse(['inspect', 'task', 'tsk_9'], { CONTINUUM_TENANT: 'globex' })).toMatchObject({ what: 'task', target: { tenant: 'globex' } });
  });

  it('accepts the scenarios that arrive later (the runner says they are not available)', () => {
    expect(parse(['demo', 'withdraw-and-forget'])).toMatchObject({ kind: 'demo', scenario: 'withdraw-and-forget' });
  });
});

describe('demoTenant', () => {
  it('makes valid, different tenant ids', () => {
    const a = demoTenant();
    const b = demoTenant();
    expect(a).toMatch(/^demo-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });
});

describe('usage', () => {
  it('documents every command, the flags and the exit codes', () => {
    const text = usage();
    for (const word of ['continuum up', 'continuum demo <scenario>', 'continuum inspect', '--identity', '--tenant', '--json', 'Exit codes']) {
      expect(text).toContain(word);
    }
    expect(usage('inspect')).not.toContain('continuum up');
  });
});
