/**
 * Due times of tasks (the next ring or stage, an offer's expiry), in a min-heap. Entries are
 * never removed: a task bumps its timer version instead and stale entries are skipped when they
 * come out, which keeps rescheduling O(log n).
 */

export interface TimerEntry<T> {
  readonly at: number;
  readonly target: T;
  readonly kind: 'review' | 'offer';
  readonly version: number;
}

export class TimerQueue<T> {
  private readonly heap: TimerEntry<T>[] = [];

  get size(): number {
    return this.heap.length;
  }

  add(entry: TimerEntry<T>): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as TimerEntry<T>).at <= entry.at) break;
      h[i] = h[p] as TimerEntry<T>;
      i = p;
    }
    h[i] = entry;
  }

  peek(): TimerEntry<T> | undefined {
    return this.heap[0];
  }

  pop(): TimerEntry<T> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (h[r] as TimerEntry<T>).at < (h[l] as TimerEntry<T>).at ? r : l;
      if ((h[c] as TimerEntry<T>).at >= last.at) break;
      h[i] = h[c] as TimerEntry<T>;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
