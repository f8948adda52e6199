// In-process notifications of context changes, for WatchContext streams. Writers notify after
// their transaction commits; a watcher re-reads the context when told something changed.

/** What changed for a profile. */
export type ChangeKind = 'touchpoint' | 'journey' | 'case' | 'profile' | 'erased';

export interface ContextChangeNotice {
  readonly kind: ChangeKind;
  /** The touchpoint, journey or case id, when there is one. */
  readonly id: string;
}

type Listener = (notice: ContextChangeNotice) => void;

/** Fans out change notices by tenant and profile. */
export class WatchHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private watchers = 0;
  private readonly activity = new Set<(active: boolean) => void>();

  /** Calls `listener(true)` when the first watcher arrives and `listener(false)` when the last leaves. */
  onActivity(listener: (active: boolean) => void): () => void {
    this.activity.add(listener);
    return () => this.activity.delete(listener);
  }

  private count(delta: 1 | -1): void {
    this.watchers += delta;
    if ((delta === 1 && this.watchers === 1) || (delta === -1 && this.watchers === 0)) for (const listener of [...this.activity]) listener(this.watchers > 0);
  }

  private static key(tenantId: string, profileId: string): string {
    return `${tenantId}\u0000${profileId}`;
  }

  /** Registers a listener for a profile; returns the function that removes it. */
  subscribe(tenantId: string, profileId: string, listener: Listener): () => void {
    const key = WatchHub.key(tenantId, profileId);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    if (set.has(listener)) return () => undefined;
    set.add(listener);
    this.count(1);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
      this.count(-1);
    };
  }

  /** Tells every watcher of these profiles that something changed. */
  notify(tenantId: string, profileIds: Iterable<string>, notice: ContextChangeNotice): void {
    // Every recording notifies: with nobody watching (the common case) there is nothing to look up.
    if (this.listeners.size === 0) return;
    const seen = new Set<string>();
    for (const profileId of profileIds) {
      if (seen.has(profileId)) continue;
      seen.add(profileId);
      const set = this.listeners.get(WatchHub.key(tenantId, profileId));
      if (!set) continue;
      for (const listener of [...set]) listener(notice);
    }
  }

  /** Number of live watchers (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
