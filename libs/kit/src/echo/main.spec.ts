import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { testingV1 } from '@continuum/contracts';
import { createClient } from '../client/create-client';
import { echoRequest } from './echo-fixture.test-util';

/** The reference main.ts as a real process: start-up, readiness, a call, SIGTERM. */
describe('echo main.ts process', () => {
  it('serves, then on SIGTERM closes in reverse order and exits 0', async () => {
    const child = spawn(process.execPath, ['--conditions=@continuum/source', '--import', 'tsx', join(__dirname, 'main.ts')], {
      env: { PATH: process.env['PATH'] ?? '', AUTH_MODE: 'disabled', GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        for (const part of parts.filter(Boolean)) {
          const line = JSON.parse(part) as Record<string, unknown>;
          lines.push(line);
          if (line['msg'] === 'echo ready') resolve(line);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const { grpc_port: grpcPort, admin_port: adminPort } = (await ready) as { grpc_port: number; admin_port: number };
    expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(200);
    const client = createClient(testingV1.EchoServiceClient, { address: `127.0.0.1:${grpcPort}`, deadlineMs: 5_000 });
    await expect(client.echo(echoRequest(), { tenantId: 'tenant-a' })).resolves.toEqual({ message: 'hello', tenantId: 'tenant-a' });
    client.close();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const closed = lines.filter((l) => l['msg'] === 'closed').map((l) => l['resource']);
    expect(closed).toEqual(['grpc', 'admin', 'telemetry']);
    expect(lines.some((l) => l['level'] === 'warn' && String(l['msg']).includes('AUTHENTICATION IS DISABLED'))).toBe(true);
  }, 120_000); // compiling main.ts with tsx on a loaded shared machine can take a while
});
