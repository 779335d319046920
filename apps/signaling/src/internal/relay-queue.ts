/** Limits of a {@link RelayQueue}, in bytes. */
export type RelayQueueLimits = {
  /** Bytes sent to the backend and not yet answered, over all senders. */
  maxInflightBytes: number;
  /** Bytes waiting for their turn, over all senders. */
  maxQueuedBytes: number;
  /** Bytes one sender may have waiting or in flight. */
  perSenderBytes: number;
};

type Item = {
  sender: string;
  bytes: number;
  run: () => Promise<boolean>;
  resolve: (ok: boolean) => void;
  reject: (error: unknown) => void;
};

/**
 * The bounded outgoing queue of relays to a shared backend (Redis). Relays run at most
 * `maxInflightBytes` at a time, so a flood cannot pile megabytes into Redis faster than the
 * subscribers drain them (Redis cuts a subscriber whose output buffer overflows, and with it
 * every room of that process); the rest wait, up to `maxQueuedBytes`. A sender past its own
 * share is shed, so the flooder is refused while other senders keep their turn.
 */
export class RelayQueue {
  readonly #waiting: Item[] = [];
  #head = 0;
  #inflight = 0;
  #queued = 0;
  readonly #bySender = new Map<string, number>();

  /** @param limits - See {@link RelayQueueLimits}. */
  constructor(private readonly limits: RelayQueueLimits) {}

  /** Bytes in flight and waiting. */
  get pendingBytes(): number {
    return this.#inflight + this.#queued;
  }

  /**
   * Runs `run` (one relay of `bytes` from `sender`) now or once there is room.
   * @returns Its outcome, or `null` when it was shed (the sender is over its share, or the
   *   queue is full): `run` is then never called.
   */
  submit(sender: string, bytes: number, run: () => Promise<boolean>): Promise<boolean> | null {
    const mine = this.#bySender.get(sender) ?? 0;
    if (mine > 0 && mine + bytes > this.limits.perSenderBytes) return null;
    const startNow =
      this.#queued === 0 &&
      (this.#inflight === 0 || this.#inflight + bytes <= this.limits.maxInflightBytes);
    if (!startNow && this.#queued + bytes > this.limits.maxQueuedBytes) return null;
    this.#bySender.set(sender, mine + bytes);
    return new Promise<boolean>((resolve, reject) => {
      const item: Item = { sender, bytes, run, resolve, reject };
      if (startNow) {
        this.#start(item);
      } else {
        this.#waiting.push(item);
        this.#queued += bytes;
      }
    });
  }

  #start(item: Item): void {
    this.#inflight += item.bytes;
    const settle = () => {
      this.#inflight -= item.bytes;
      const left = (this.#bySender.get(item.sender) ?? 0) - item.bytes;
      if (left <= 0) this.#bySender.delete(item.sender);
      else this.#bySender.set(item.sender, left);
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
      if (this.#inflight > 0 && this.#inflight + next.bytes > this.limits.maxInflightBytes) break;
      this.#head += 1;
      this.#queued -= next.bytes;
      this.#start(next);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
