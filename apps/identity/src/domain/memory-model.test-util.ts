import type { ChangeSet } from './resolve';
import { isActive } from './profile';
import { assuranceRank, type DomainContext, type MergeRecordState, type ProfileState } from './types';

/** A DomainContext with a settable clock and counting ids, for tests. */
export function testContext(start = new Date('2026-01-01T00:00:00Z'), actor = 'tester'): DomainContext & { advance(ms: number): void } {
  let now = start;
  let n = 0;
  return {
    get now() {
      return now;
    },
    newId: (prefix) => `${prefix}_${String(++n).padStart(6, '0')}`,
    actor,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

/**
 * An in-memory stand-in for the repositories: applies change sets the way the store does
 * (optimistic versions, unique identifier keys) so that domain property tests can run long
 * sequences of operations and check the invariants after each.
 */
export class MemoryModel {
  readonly profiles = new Map<string, ProfileState>();
  readonly keys = new Map<string, string>();
  readonly merges = new Map<string, MergeRecordState>();

  /** The live profile holding each of `keys`, as the repository would look it up. */
  holders(keys: Iterable<string>): Map<string, ProfileState> {
    const out = new Map<string, ProfileState>();
    for (const key of keys) {
      const id = this.keys.get(key);
      if (id) out.set(key, this.profiles.get(id)!);
    }
    return out;
  }

  apply(changes: ChangeSet): void {
    for (const p of changes.created) {
      if (this.profiles.has(p.id)) throw new Error(`duplicate profile ${p.id}`);
      this.profiles.set(p.id, p);
    }
    for (const { before, after } of changes.updated) {
      const current = this.profiles.get(before.id);
      if (!current || current.version !== before.version) throw new Error(`version conflict on ${before.id}`);
      if (after.version !== before.version + 1) throw new Error(`version of ${before.id} must grow by one`);
      this.profiles.set(after.id, after);
    }
    for (const { key, profileId } of changes.keyInserts) {
      if (this.keys.has(key)) throw new Error(`duplicate key ${key}`);
      this.keys.set(key, profileId);
    }
    for (const { key, from, to } of changes.keyMoves) {
      if (this.keys.get(key) !== from) throw new Error(`key ${key} is not on ${from}`);
      this.keys.set(key, to);
    }
    for (const m of [...changes.mergesCreated, ...changes.mergesUpdated]) this.merges.set(m.id, m);
  }

  /** Every broken invariant of the identity graph, as messages (empty when sound). */
  violations(): string[] {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const p of this.profiles.values()) {
      if (!isActive(p)) {
        if (p.identifiers.length > 0) problems.push(`merged profile ${p.id} still holds identifiers`);
        const target = this.profiles.get(p.mergedInto!);
        if (!target) problems.push(`merged profile ${p.id} points at a missing profile`);
        continue;
      }
      for (const i of p.identifiers) {
        const other = seen.get(i.key);
        if (other) problems.push(`${i.key} is on ${other} and ${p.id}`);
        seen.set(i.key, p.id);
        if (this.keys.get(i.key) !== p.id) problems.push(`key index for ${i.key} points at ${this.keys.get(i.key)} not ${p.id}`);
      }
    }
    for (const [key, id] of this.keys) if (seen.get(key) !== id) problems.push(`key index ${key} -> ${id} has no identifier`);
    return problems;
  }
}

/** Whether a profile holds a verified LOGIN. */
export function holdsVerifiedLogin(p: ProfileState): boolean {
  return p.identifiers.some((i) => i.type === 'LOGIN' && assuranceRank(i.verifiedLevel) >= assuranceRank('VERIFIED'));
}
