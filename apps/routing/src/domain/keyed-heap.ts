/**
 * A binary heap of items with numeric keys kept in a typed array beside them, so that sifting
 * compares numbers in one contiguous block instead of chasing a pointer per comparison (the
 * heaps hold up to hundreds of thousands of tasks). Items remember their position through
 * `slot`, so any item can be removed or re-keyed in O(log n).
 *
 * Highest key first; `tieFirst` settles equal keys.
 */

/** Where an item's position in one heap is kept. */
export interface HeapSlotAccess<T> {
  get(item: T): number;
  set(item: T, index: number): void;
}

export class KeyedHeap<T> {
  private items: T[] = [];
  private keys = new Float64Array(64);

  constructor(
    private readonly slot: HeapSlotAccess<T>,
    /** For equal keys: true when `a` comes out first. */
    private readonly tieFirst: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds the item, or moves it to its new key when it is in already. */
  set(item: T, key: number): void {
    const i = this.slot.get(item);
    if (i >= 0 && this.items[i] === item) {
      const old = this.keys[i] as number;
      this.keys[i] = key;
      if (key > old) this.up(i);
      else this.down(i);
      return;
    }
    const n = this.items.length;
    if (n === this.keys.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.items.push(item);
    this.keys[n] = key;
    this.slot.set(item, n);
    this.up(n);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): boolean {
    const i = this.slot.get(item);
    if (i < 0 || this.items[i] !== item) return false;
    this.slot.set(item, -1);
    const lastIndex = this.items.length - 1;
    const last = this.items.pop() as T;
    if (i < lastIndex) {
      this.items[i] = last;
      this.keys[i] = this.keys[lastIndex] as number;
      this.slot.set(last, i);
      this.up(i);
      this.down(this.slot.get(last));
    }
    return true;
  }

  /** Items in heap order (not sorted). */
  values(): readonly T[] {
    return this.items;
  }

  private before(a: number, b: number): boolean {
    const ka = this.keys[a] as number;
    const kb = this.keys[b] as number;
    return ka > kb || (ka === kb && this.tieFirst(this.items[a] as T, this.items[b] as T));
  }

  private swap(a: number, b: number): void {
    const items = this.items;
    const keys = this.keys;
    const ia = items[a] as T;
    const ib = items[b] as T;
    items[a] = ib;
    items[b] = ia;
    const k = keys[a] as number;
    keys[a] = keys[b] as number;
    keys[b] = k;
    this.slot.set(ib, a);
    this.slot.set(ia, b);
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(r, l) ? r : l;
      if (!this.before(c, i)) break;
      this.swap(c, i);
      i = c;
    }
  }
}
