// The continuum command as a new user meets it: `up` starts the platform in the foreground and
// Ctrl-C stops it cleanly; `demo` against a platform that is not there says where it looked and
// how to start it, with a non-zero exit code.
import { spawn } from 'node:child_process';
import { freePort, waitFor } from '@continuum/testing';
import { runCli } from './support/cli';
import { scrubbedEnv } from './support/platforms';
import { nodeArgs, ROOT } from './support/processes';

// Whole platforms and CLI processes: the project's own timeout (testTimeout is global in a multi-project run).
jest.setTimeout(60_000);

describe('continuum up', () => {
  it('starts the all-in-one platform in the foreground, plays the demo the banner suggests, and stops cleanly on Ctrl-C', async () => {
    const ports = { identity: await freePort(), context: await freePort(), routing: await freePort(), admin: await freePort() };
    // Its own process group, like a terminal's foreground job: Ctrl-C signals the whole group.
    const child = spawn(process.execPath, nodeArgs('apps/cli/src/main.ts', ['up']), {
      cwd: ROOT,
      detached: true,
      env: {
        ...scrubbedEnv(),
        IDENTITY_GRPC_PORT: String(ports.identity),
        CONTEXT_GRPC_PORT: String(ports.context),
        ROUTING_GRPC_PORT: String(ports.routing),
        ADMIN_PORT: String(ports.admin),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const group = child.pid ?? 0;
    try {
      await waitFor(() => output.includes('Continuum is up'), { timeoutMs: 90_000, intervalMs: 100, description: 'the start banner' });
      expect(output).toContain(`localhost:${ports.identity}`);
      expect(output).toContain('AUTHENTICATION IS OFF');
      expect(output).toContain('npm run continuum -- demo web-then-call');

      // The second terminal: the demo the banner suggests, in its human form.
      const addresses = ['--identity', `127.0.0.1:${ports.identity}`, '--context', `127.0.0.1:${ports.context}`, '--routing', `127.0.0.1:${ports.routing}`];
      const demo = await runCli(['demo', 'web-then-call', ...addresses]);
      expect({ code: demo.code, stderr: demo.code === 0 ? '' : demo.stderr }).toEqual({ code: 0, stderr: '' });
      expect(demo.stdout.trimStart().startsWith('{')).toBe(false);
      for (const line of ['▸ 1. An anonymous visitor starts a return on the web', '▸ 3. Twenty minutes later she calls', '  agent       agt-ana accepts the call', '✔ web-then-call played']) {
        expect(demo.stdout).toContain(line);
      }
      expect(demo.stdout).toMatch(/known facts\s+.*order_number = A-10492/s);

      process.kill(-group, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000)))]);
      clearTimeout(timer);
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    } finally {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // the group is gone: the normal case
      }
    }
  }, 120_000);
});

describe('continuum demo without a platform', () => {
  it('names the address it tried and the start command, and exits 3', async () => {
    const port = await freePort();
    const run = await runCli(['demo', 'web-then-call', '--identity', `127.0.0.1:${port}`, '--context', `127.0.0.1:${port}`, '--routing', `127.0.0.1:${port}`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`cannot reach the identity service at 127.0.0.1:${port} (connection refused`);
    expect(run.stderr).toContain('npm run continuum -- up');
  });

  it('reports the same failure as JSON with --json', async () => {
    const port = await freePort();
    const run = await runCli(['demo', 'vip-service', '--json', '--identity', `127.0.0.1:${port}`, '--context', `127.0.0.1:${port}`, '--routing', `127.0.0.1:${port}`]);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ scenario: 'vip-service', ok: false, error: { name: 'PlatformUnreachableError' } });
  });

  it('says which service a later scenario waits for, and exits 4', async () => {
    const run = await runCli(['demo', 'withdraw-and-forget']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('arrives with the consent service');
  });

  it('refuses a bad flag with exit 2 and a pointer to the help', async () => {
    const run = await runCli(['demo', 'web-then-call', '--tenant', 'Not A Tenant']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a tenant id');
    expect(run.stderr).toContain('continuum help');
  });
});
