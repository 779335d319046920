/** One message on its way to a transport. */
export type InFlight = {
  /** The sending peer. */
  from: string;
  /** A private copy of the bytes. */
  data: Uint8Array;
  /** Receiver-clock time (ms) at which it is delivered. */
  deliverAt: number;
  /** Enqueue order, the tie-break for equal `deliverAt` (keeps delivery deterministic). */
  seq: number;
};

function before(a: InFlight, b: InFlight): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.seq < b.seq);
}

/** A binary min-heap of in-flight messages ordered by (`deliverAt`, `seq`). */
export class DeliveryQueue {
  private readonly heap: InFlight[] = [];

  /** Number of messages waiting. */
  get size(): number {
    return this.heap.length;
  }

  /** @returns The next message due, without removing it. */
  peek(): InFlight | undefined {
    return this.heap[0];
  }

  /** @param item - The message to add. */
  push(item: InFlight): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  /** @returns The next message due, removed from the queue. */
  pop(): InFlight | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r]!, heap[l]!)) c = r;
      if (!before(heap[c]!, last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  }

  /**
   * Removes every message matching a predicate.
   * @param predicate - Selects the messages to remove.
   * @returns The removed messages.
   */
  removeWhere(predicate: (item: InFlight) => boolean): InFlight[] {
    const kept: InFlight[] = [];
    const removed: InFlight[] = [];
    for (const item of this.heap) (predicate(item) ? removed : kept).push(item);
    this.heap.length = 0;
    for (const item of kept) this.push(item);
    return removed;
  }
}
