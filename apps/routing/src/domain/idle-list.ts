/**
 * A doubly linked list of agents ordered by how long they have been idle (oldest `idleSince`
 * first, then creation order). Agents become idle "now" almost always, so insertion walks back
 * from the tail and stops at once; removal is O(1) through the node the agent keeps.
 */

/** What the list needs from an agent. */
export interface IdleRanked {
  readonly idleSince: number;
  /** Creation order: a stable tie-break for equal idle times. */
  readonly seq: number;
}

export class IdleNode<A extends IdleRanked> {
  prev: IdleNode<A> | undefined = undefined;
  next: IdleNode<A> | undefined = undefined;
  constructor(
    readonly agent: A,
    readonly list: IdleList<A>,
  ) {}
}

const before = (a: IdleRanked, b: IdleRanked): boolean =>
  a.idleSince < b.idleSince || (a.idleSince === b.idleSince && a.seq < b.seq);

export class IdleList<A extends IdleRanked> {
  head: IdleNode<A> | undefined = undefined;
  private tail: IdleNode<A> | undefined = undefined;
  size = 0;

  /** Inserts the agent at its rank; returns the node to remove it with. */
  insert(agent: A): IdleNode<A> {
    const node = new IdleNode(agent, this);
    let after: IdleNode<A> | undefined;
    const head = this.head;
    const tail = this.tail;
    if (head !== undefined && tail !== undefined && agent.idleSince - head.agent.idleSince < tail.agent.idleSince - agent.idleSince) {
      // Older than most (an agent back after a while): walk forward from the head instead.
      after = undefined;
      let next: IdleNode<A> | undefined = head;
      while (next !== undefined && !before(agent, next.agent)) {
        after = next;
        next = next.next;
      }
    } else {
      after = tail;
      while (after !== undefined && before(agent, after.agent)) after = after.prev;
    }
    if (after === undefined) {
      node.next = this.head;
      if (this.head) this.head.prev = node;
      this.head = node;
      if (this.tail === undefined) this.tail = node;
    } else {
      node.prev = after;
      node.next = after.next;
      if (after.next) after.next.prev = node;
      else this.tail = node;
      after.next = node;
    }
    this.size++;
    return node;
  }

  remove(node: IdleNode<A>): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
    this.size--;
  }

  /** Agents from the longest idle on (for tests and explanations). */
  *[Symbol.iterator](): IterableIterator<A> {
    for (let n = this.head; n; n = n.next) yield n.agent;
  }
}
