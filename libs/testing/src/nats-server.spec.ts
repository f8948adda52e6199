import { connect } from '@nats-io/transport-node';
import { existsSync } from 'node:fs';
import { findNatsServerBinary, NatsServerNotFoundError, startNatsServer } from './nats-server';

describe('startNatsServer', () => {
  it('starts a JetStream server on a free port, survives kill + restart with its store, and cleans up on stop', async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      const nc = await connect({ servers: server.url });
      const rtt = await nc.rtt();
      expect(rtt).toBeGreaterThanOrEqual(0);
      // JetStream is on: the account info request answers.
      const reply = await nc.request('$JS.API.INFO', undefined, { timeout: 5000 });
      expect(JSON.parse(reply.string()) as { type: string }).toMatchObject({ type: 'io.nats.jetstream.api.v1.account_info_response' });
      await nc.close();

      await server.kill();
      expect(server.running).toBe(false);
      expect(existsSync(server.storeDir)).toBe(true);
      await server.restart();
      expect(server.running).toBe(true);
      const again = await connect({ servers: server.url });
      expect(await again.rtt()).toBeGreaterThanOrEqual(0);
      await again.close();
    } finally {
      await server.stop();
    }
    expect(server.running).toBe(false);
    expect(existsSync(server.storeDir)).toBe(false);
  });

  it('says clearly when no binary can be found, naming where it looked', () => {
    const saved = { path: process.env['PATH'], bin: process.env['NATS_SERVER_BIN'] };
    try {
      process.env['PATH'] = '/nonexistent';
      process.env['NATS_SERVER_BIN'] = '/nonexistent/nats-server';
      expect(() => findNatsServerBinary(undefined, '/also/missing')).toThrow(NatsServerNotFoundError);
      expect(() => findNatsServerBinary(undefined, '/also/missing')).toThrow(/NATS_SERVER_BIN=\/nonexistent\/nats-server.*apt-get install nats-server/);
    } finally {
      process.env['PATH'] = saved.path;
      if (saved.bin === undefined) delete process.env['NATS_SERVER_BIN'];
      else process.env['NATS_SERVER_BIN'] = saved.bin;
    }
  });

  it('finds the binary through NATS_SERVER_BIN first', () => {
    const saved = process.env['NATS_SERVER_BIN'];
    try {
      process.env['NATS_SERVER_BIN'] = findNatsServerBinary();
      expect(findNatsServerBinary(undefined, '/also/missing')).toBe(process.env['NATS_SERVER_BIN']);
    } finally {
      if (saved === undefined) delete process.env['NATS_SERVER_BIN'];
      else process.env['NATS_SERVER_BIN'] = saved;
    }
  });
});
