/** A TCP connection as the guard sees it. */
export type GuardedSocket = { destroy(): void };

/**
 * Counts every TCP connection of the server, upgraded or not, against `maxConnections`, and
 * holds at most `maxPending` that have not yet sent a request (an upgrade or plain HTTP): a
 * flood of idle connections evicts its own oldest members instead of filling the process's
 * file descriptors, so honest joins, which finish their upgrade at once, keep getting through.
 * A connection younger than `minIdleMs` is not evicted for the pending cap (a burst of honest
 * connects is accepted before any of them is read); the global cap evicts regardless of age.
 */
export class ConnectionGuard<S extends GuardedSocket> {
  readonly #open = new Set<S>();
  /** Connections without a request yet, oldest first, with their arrival time. */
  readonly #pending = new Map<S, number>();

  /**
   * @param maxConnections - TCP connections the server holds at once.
   * @param maxPending - Of them, connections that have not sent a request yet.
   * @param handshakeMs - Time a connection has to send its request.
   * @param minIdleMs - Age below which a connection is not evicted for the pending cap.
   */
  constructor(
    private readonly maxConnections: number,
    private readonly maxPending: number,
    private readonly handshakeMs: number,
    private readonly minIdleMs = 0,
  ) {}

  /** Connections held. */
  get open(): number {
    return this.#open.size;
  }

  /** Connections held that have not sent a request yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * A connection arrived at `nowMs`.
   * @returns The connections to destroy now: the oldest idle ones it displaced, or itself when
   *   the server is full of connections that did send a request.
   */
  arrived(socket: S, nowMs: number): S[] {
    const out = this.#trimPending(nowMs, this.maxPending - 1);
    while (this.#open.size >= this.maxConnections) {
      const oldest = this.#pending.keys().next();
      if (oldest.done) break;
      this.#release(oldest.value);
      out.push(oldest.value);
    }
    if (this.#open.size >= this.maxConnections) {
      out.push(socket);
      return out;
    }
    this.#open.add(socket);
    this.#pending.set(socket, nowMs);
    return out;
  }

  /** The connection sent its request (it upgraded, or asked for a plain HTTP route). */
  settled(socket: S): void {
    this.#pending.delete(socket);
  }

  /** The connection closed. */
  closed(socket: S): void {
    this.#release(socket);
  }

  /**
   * @returns Connections still without a request `handshakeMs` after they arrived, and idle
   *   ones beyond the pending cap (they are forgotten; the caller destroys them).
   */
  expired(nowMs: number): S[] {
    const out = this.#trimPending(nowMs, this.maxPending);
    for (const [socket, since] of this.#pending) {
      if (nowMs - since < this.handshakeMs) break;
      this.#release(socket);
      out.push(socket);
    }
    return out;
  }

  /** Evicts the oldest idle connections (older than `minIdleMs`) down to `keep` pending. */
  #trimPending(nowMs: number, keep: number): S[] {
    const out: S[] = [];
    for (const [socket, since] of this.#pending) {
      if (this.#pending.size <= Math.max(0, keep) || nowMs - since < this.minIdleMs) break;
      this.#release(socket);
      out.push(socket);
    }
    return out;
  }

  #release(socket: S): void {
    this.#open.delete(socket);
    this.#pending.delete(socket);
  }
}
