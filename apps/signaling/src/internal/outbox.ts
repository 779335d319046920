/** What to do with a message for a receiver whose unsent backlog is accounted by sender. */
export type OutboxDecision =
  /** Send it. */
  | 'send'
  /** Drop it: the receiver's backlog is full, mostly with other senders' messages. */
  | 'shed'
  /** Drop it and cut the sender: it filled the receiver's backlog. */
  | 'cut-sender';

/** The sender of messages the server writes itself (welcome, new-peer, pong, errors). */
export const SERVER_SENDER = '';

/**
 * The unsent bytes of one receiver's socket, by sender. When a receiver does not read, the
 * sender filling its backlog is the one to stop, not the receiver: a peer within the rate
 * limit could otherwise get any room-mate disconnected by pausing nothing but its own reads.
 */
export class Outbox {
  readonly #bySender = new Map<string, number>();
  #total = 0;

  /** @param limit - Bytes that may wait unsent for this receiver. */
  constructor(private readonly limit: number) {}

  /** Bytes waiting unsent. */
  get total(): number {
    return this.#total;
  }

  /**
   * Decides on a message of `bytes` from `sender`.
   * @returns `send`, `shed`, or `cut-sender` when `sender` holds most of the full backlog.
   */
  offer(sender: string, bytes: number): OutboxDecision {
    if (this.#total + bytes <= this.limit || this.#total === 0) return 'send';
    if (sender === SERVER_SENDER) return 'shed';
    const share = this.#bySender.get(sender) ?? 0;
    return share * 2 >= this.#total ? 'cut-sender' : 'shed';
  }

  /** A message of `bytes` from `sender` was handed to the socket. */
  queued(sender: string, bytes: number): void {
    this.#bySender.set(sender, (this.#bySender.get(sender) ?? 0) + bytes);
    this.#total += bytes;
  }

  /** A message of `bytes` from `sender` left the socket's buffer. */
  flushed(sender: string, bytes: number): void {
    const left = (this.#bySender.get(sender) ?? 0) - bytes;
    if (left <= 0) this.#bySender.delete(sender);
    else this.#bySender.set(sender, left);
    this.#total = Math.max(0, this.#total - bytes);
  }
}

const SIGNAL_PREFIX = '{"type":"signal","from":"';

/**
 * The sender of a message the server relays (the `from` of a signal it encoded itself), or
 * {@link SERVER_SENDER} for the server's own messages.
 * @param json - A message as the server encoded it.
 * @returns The sender's peer id.
 */
export function senderOf(json: string): string {
  if (!json.startsWith(SIGNAL_PREFIX)) return SERVER_SENDER;
  const end = json.indexOf('"', SIGNAL_PREFIX.length);
  return end < 0 ? SERVER_SENDER : json.slice(SIGNAL_PREFIX.length, end);
}
