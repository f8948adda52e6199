import type { CapturedFact, Purpose, Sensitivity } from './types';

// Facts are what the customer already told or proved. The latest value per key wins, "latest"
// meaning captured latest on the channel: a late-arriving touchpoint with an older fact must not
// overwrite a newer one.

/** Which sensitivities each declared purpose may see. */
const ALLOWED: Readonly<Record<Purpose, readonly Sensitivity[]>> = {
  service: ['normal', 'personal', 'sensitive'],
  personalization: ['normal', 'personal'],
  marketing: ['normal'],
  profiling: ['normal'],
  recording: ['normal'],
  analytics: [],
  third_party_sharing: [],
};

/** Whether a caller with this purpose may see a fact of this sensitivity. */
export function purposeAllows(purpose: Purpose, sensitivity: Sensitivity): boolean {
  return ALLOWED[purpose].includes(sensitivity);
}

/** True when `candidate` is newer than `current` (capture time, then touchpoint id for a total order). */
export function isNewerFact(candidate: Pick<CapturedFact, 'capturedAt' | 'touchpointId'>, current: Pick<CapturedFact, 'capturedAt' | 'touchpointId'>): boolean {
  const dt = candidate.capturedAt.getTime() - current.capturedAt.getTime();
  if (dt !== 0) return dt > 0;
  return candidate.touchpointId > current.touchpointId;
}

/** The latest fact per key. */
export function latestPerKey<F extends CapturedFact>(facts: Iterable<F>): Map<string, F> {
  const latest = new Map<string, F>();
  for (const fact of facts) {
    const current = latest.get(fact.key);
    if (current === undefined || isNewerFact(fact, current)) latest.set(fact.key, fact);
  }
  return latest;
}

/** The facts a purpose may see (latest per key, newest capture first) and how many keys were held back. */
export function factsForPurpose<F extends CapturedFact>(
  facts: Iterable<F>,
  purpose: Purpose,
  options: { keys?: readonly string[]; limit?: number } = {},
): { facts: F[]; withheldCount: number } {
  const wanted = options.keys && options.keys.length > 0 ? new Set(options.keys) : undefined;
  const allowed: F[] = [];
  let withheldCount = 0;
  for (const fact of latestPerKey(facts).values()) {
    if (wanted && !wanted.has(fact.key)) continue;
    if (purposeAllows(purpose, fact.sensitivity)) allowed.push(fact);
    else withheldCount += 1;
  }
  allowed.sort((a, b) => (isNewerFact(a, b) ? -1 : isNewerFact(b, a) ? 1 : 0));
  return { facts: options.limit !== undefined ? allowed.slice(0, options.limit) : allowed, withheldCount };
}

/**
 * Keys of newly captured facts that were already known before this touchpoint: information the
 * customer had to repeat. Known facts captured at or after the new touchpoint do not count (a
 * late arrival did not make her repeat anything).
 */
export function repeatedFactKeys(known: Iterable<CapturedFact>, captured: readonly CapturedFact[]): string[] {
  const before = new Set<string>();
  const firstCapture = captured[0]?.capturedAt.getTime();
  if (firstCapture === undefined) return [];
  for (const fact of known) {
    if (fact.capturedAt.getTime() < firstCapture) before.add(fact.key);
  }
  return [...new Set(captured.map((f) => f.key).filter((k) => before.has(k)))].sort();
}
