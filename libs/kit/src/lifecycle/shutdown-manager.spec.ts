import { LogCapture } from '../echo/echo-fixture.test-util';
import { createLogger } from '../logging/logger';
import { ShutdownManager } from './shutdown-manager';

function manager(exit: (code: number) => void = () => undefined) {
  const logs = new LogCapture();
  return { logs, shutdown: new ShutdownManager({ logger: createLogger({ service: 't', destination: logs }), graceMs: 1_000, exit }) };
}

describe('ShutdownManager', () => {
  it('closes resources in reverse order of registration, once', async () => {
    const { shutdown } = manager();
    const closed: string[] = [];
    shutdown.register('store', () => void closed.push('store'));
    shutdown.register('bus', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      closed.push('bus');
    });
    shutdown.register('grpc', () => void closed.push('grpc'));
    expect(shutdown.isShuttingDown).toBe(false);
    const first = shutdown.shutdown();
    expect(shutdown.isShuttingDown).toBe(true);
    const second = shutdown.shutdown();
    await expect(first).resolves.toBe(true);
    await expect(second).resolves.toBe(true);
    expect(closed).toEqual(['grpc', 'bus', 'store']);
  });

  it('keeps closing after a failure and reports it', async () => {
    const { shutdown, logs } = manager();
    const closed: string[] = [];
    shutdown.register('store', () => void closed.push('store'));
    shutdown.register('bus', () => {
      throw new Error('boom');
    });
    await expect(shutdown.shutdown()).resolves.toBe(false);
    expect(closed).toEqual(['store']);
    expect(logs.lines.some((l) => l['msg'] === 'failed to close' && l['resource'] === 'bus')).toBe(true);
  });

  it('on SIGTERM closes everything and exits 0', async () => {
    const exits: number[] = [];
    const { shutdown } = manager((code) => exits.push(code));
    const closed: string[] = [];
    shutdown.register('grpc', () => void closed.push('grpc'));
    const uninstall = shutdown.installSignalHandlers(['SIGTERM']);
    process.emit('SIGTERM', 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toEqual(['grpc']);
    expect(exits).toEqual([0]);
    uninstall();
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
