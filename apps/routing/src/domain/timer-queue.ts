/**
 * When each task needs attention next (its next ring or stage, an exclusion ending, its open
 * offer expiring): the tasks themselves in a keyed heap, earliest first. A task is in it at most
 * once; rescheduling moves it in place, so nothing piles up and nothing is allocated per schedule.
 */
import { KeyedHeap } from './keyed-heap';

/** What the queue keeps on each task. */
export interface Timed {
  dueAt: number;
  dueKind: 'review' | 'offer';
  timerIndex: number;
}

export class TimerQueue<T extends Timed> {
  // Highest key first: the key is the negated due time.
  private readonly heap = new KeyedHeap<T>(
    {
      get: (t) => t.timerIndex,
      set: (t, i) => {
        t.timerIndex = i;
      },
    },
    () => false,
  );

  get size(): number {
    return this.heap.size;
  }

  peek(): T | undefined {
    return this.heap.peek();
  }

  /** Sets (or moves) the task's due time. */
  schedule(item: T, at: number, kind: Timed['dueKind']): void {
    item.dueAt = at;
    item.dueKind = kind;
    this.heap.set(item, -at);
  }

  cancel(item: T): void {
    if (this.heap.remove(item)) item.dueAt = Infinity;
  }
}
