import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** The machine a run was measured on: without it a figure cannot be compared with anything. */
export interface MachineInfo {
  /** CPUs this process may use (`nproc`). */
  readonly cpus: number;
  readonly cpuModel: string;
  /** Total RAM, GiB. */
  readonly memoryGiB: number;
  /** 1-minute load average when the benchmark process started: how busy the neighbours were. */
  readonly loadAverage: number;
  /** 1-minute load average now (when the results are written). */
  readonly loadAverageAtEnd: number;
  readonly node: string;
  readonly platform: string;
}

// Taken when the harness is first imported, i.e. before the benchmark put any load on the machine.
const loadAverageAtStart = os.loadavg()[0] ?? 0;

const round2 = (n: number): number => Math.round(n * 100) / 100;

export function machineInfo(): MachineInfo {
  return {
    cpus: nproc(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((memTotalBytes() / 2 ** 30) * 10) / 10,
    loadAverage: round2(loadAverageAtStart),
    loadAverageAtEnd: round2(os.loadavg()[0] ?? 0),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function nproc(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || os.availableParallelism();
  } catch {
    return os.availableParallelism();
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function memTotalBytes(): number {
  try {
    const match = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match?.[1]) return Number(match[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return os.totalmem();
}
