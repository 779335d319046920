/** Limits of a {@link RelayQueue}, in bytes. */
export type RelayQueueLimits = {
  /** Bytes sent to the backend and not yet answered, over all senders. */
  maxInflightBytes: number;
  /** Bytes waiting for their turn, over all senders. */
  maxQueuedBytes: number;
  /** Bytes one sender may have waiting or in flight. */
  perSenderBytes: number;
};

/** The outcome of a queued relay: the backend's answer, or `'shed'` if it was dropped. */
export type RelayOutcome = boolean | 'shed';

type Item = {
  sender: string;
  bytes: number;
  run: () => Promise<boolean>;
  resolve: (outcome: RelayOutcome) => void;
  reject: (error: unknown) => void;
  shed: boolean;
};

/**
 * The bounded outgoing queue of relays to a shared backend (Redis). Relays run at most
 * `maxInflightBytes` at a time, so a flood cannot pile megabytes into Redis faster than the
 * subscribers drain them (Redis cuts a subscriber whose output buffer overflows, and with it
 * every room of that process); the rest wait, up to `maxQueuedBytes`. A sender past its own
 * share is shed, and when the queue is full the sender holding most of it loses its newest
 * waiting relays to make room for a lighter sender, so floods are refused while other senders
 * keep their turn.
 */
export class RelayQueue {
  readonly #waiting: Item[] = [];
  #head = 0;
  #inflight = 0;
  #queued = 0;
  readonly #bySender = new Map<string, number>();
  readonly #queuedBySender = new Map<string, number>();

  /** @param limits - See {@link RelayQueueLimits}. */
  constructor(private readonly limits: RelayQueueLimits) {}

  /** Bytes in flight and waiting. */
  get pendingBytes(): number {
    return this.#inflight + this.#queued;
  }

  /**
   * Runs `run` (one relay of `bytes` from `sender`) now or once there is room.
   * @returns Its outcome (`'shed'` if it was dropped while waiting to make room for a lighter
   *   sender), or `null` when it was shed at once (the sender is over its share, or the queue
   *   is full of its own relays): `run` is then never called.
   */
  submit(sender: string, bytes: number, run: () => Promise<boolean>): Promise<RelayOutcome> | null {
    const mine = this.#bySender.get(sender) ?? 0;
    if (mine > 0 && mine + bytes > this.limits.perSenderBytes) return null;
    const startNow =
      this.#queued === 0 &&
      (this.#inflight === 0 || this.#inflight + bytes <= this.limits.maxInflightBytes);
    if (!startNow && !this.#makeRoom(sender, bytes)) return null;
    this.#bySender.set(sender, mine + bytes);
    return new Promise<RelayOutcome>((resolve, reject) => {
      const item: Item = { sender, bytes, run, resolve, reject, shed: false };
      if (startNow) {
        this.#start(item);
      } else {
        this.#waiting.push(item);
        this.#queued += bytes;
        this.#addQueued(sender, bytes);
      }
    });
  }

  /** Frees queue room for `bytes` of `sender`, shedding the heaviest sender's newest relays. */
  #makeRoom(sender: string, bytes: number): boolean {
    if (this.#queued + bytes <= this.limits.maxQueuedBytes) return true;
    let heaviest = '';
    let most = 0;
    for (const [s, n] of this.#queuedBySender) {
      if (n > most) [heaviest, most] = [s, n];
    }
    if (heaviest === sender || most <= (this.#queuedBySender.get(sender) ?? 0) + bytes) {
      return false;
    }
    for (let i = this.#waiting.length - 1; i >= this.#head; i--) {
      if (this.#queued + bytes <= this.limits.maxQueuedBytes) break;
      const item = this.#waiting[i];
      if (!item || item.shed || item.sender !== heaviest) continue;
      item.shed = true;
      this.#queued -= item.bytes;
      this.#addQueued(item.sender, -item.bytes);
      this.#release(item);
      item.resolve('shed');
    }
    return this.#queued + bytes <= this.limits.maxQueuedBytes;
  }

  #addQueued(sender: string, delta: number): void {
    const n = (this.#queuedBySender.get(sender) ?? 0) + delta;
    if (n <= 0) this.#queuedBySender.delete(sender);
    else this.#queuedBySender.set(sender, n);
  }

  #release(item: Item): void {
    const left = (this.#bySender.get(item.sender) ?? 0) - item.bytes;
    if (left <= 0) this.#bySender.delete(item.sender);
    else this.#bySender.set(item.sender, left);
  }

  #start(item: Item): void {
    this.#inflight += item.bytes;
    const settle = () => {
      this.#inflight -= item.bytes;
      this.#release(item);
      this.#pump();
    };
    let op: Promise<boolean>;
    try {
      op = item.run();
    } catch (error) {
      op = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    op.then(
      (ok) => {
        settle();
        item.resolve(ok);
      },
      (error: unknown) => {
        settle();
        item.reject(error);
      },
    );
  }

  #pump(): void {
    while (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head];
      if (!next) break;
      if (next.shed) {
        this.#head += 1;
        continue;
      }
      if (this.#inflight > 0 && this.#inflight + next.bytes > this.limits.maxInflightBytes) break;
      this.#head += 1;
      this.#queued -= next.bytes;
      this.#addQueued(next.sender, -next.bytes);
      this.#start(next);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
