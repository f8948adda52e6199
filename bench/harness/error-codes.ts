import { status } from '@grpc/grpc-js';

const statusNames = new Map<number, string>(
  Object.entries(status)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, code]) => [code, name]),
);

/**
 * The label a failed call is counted under: the gRPC status name for a grpc-js ServiceError
 * (`UNAVAILABLE`, `DEADLINE_EXCEEDED`, ...), else the error's class name, so a benchmark that
 * calls something other than gRPC still gets a readable breakdown.
 */
export function errorLabel(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return statusNames.get(code) ?? `CODE_${code}`;
    if (typeof code === 'string') return code;
    if (error instanceof Error) return error.name;
  }
  return 'UNKNOWN';
}

/** Counts failures by label. */
export class ErrorCounts {
  private readonly counts = new Map<string, number>();

  add(error: unknown): void {
    const label = errorLabel(error);
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  merge(other: Readonly<Record<string, number>>): void {
    for (const [label, n] of Object.entries(other)) this.counts.set(label, (this.counts.get(label) ?? 0) + n);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  toRecord(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
