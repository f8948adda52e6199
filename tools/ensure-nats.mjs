// Makes sure the JetStream suites have a NATS server: NATS_URL if set, else `nats-server` on PATH
// (or NATS_SERVER_BIN), else — as root on Debian — installs the `nats-server` package with
// apt-get and says so, else stops with a clear error. Prints what it found.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function findNatsServer() {
  if (process.env.NATS_SERVER_BIN && existsSync(process.env.NATS_SERVER_BIN)) return process.env.NATS_SERVER_BIN;
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function ensureNats() {
  if (process.env.NATS_URL) {
    console.log(`nats: using NATS_URL=${process.env.NATS_URL} for suites that take an external server`);
  }
  let bin = findNatsServer();
  if (bin) {
    console.log(`nats: using ${bin}`);
    return bin;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (isRoot && hasApt) {
    console.log('nats: nats-server is missing; installing the Debian package `nats-server` with apt-get (needed by the JetStream tests)...');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'nats-server'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    bin = findNatsServer();
    if (bin) {
      console.log(`nats: installed ${bin}`);
      return bin;
    }
  }
  throw new Error(
    'nats: no NATS server found. Install nats-server (Debian: `apt-get install nats-server`), ' +
      'put it on PATH or set NATS_SERVER_BIN to its path.',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureNats();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
