/**
 * Reliable messages go straight onto the channel while its `bufferedAmount` is at most this;
 * above it they wait in the queue until the channel drains to {@link RELIABLE_LOW_WATER}
 * (`bufferedamountlow`).
 */
const RELIABLE_HIGH_WATER = 1024 * 1024;
/** The channel's `bufferedAmountLowThreshold`: the queue is flushed when it drains to this. */
export const RELIABLE_LOW_WATER = 64 * 1024;
/**
 * While reliable messages wait, the channel is also checked this often (ms), in case a stack
 * never fires `bufferedamountlow`: @roamhq/wrtc has been seen to miss it under load, which
 * left the queue waiting for ever.
 */
const RELIABLE_DRAIN_POLL_MS = 25;

/**
 * The send side of one reliable channel: messages go onto the channel while it has room and
 * wait here (as copies, in order) while it does not, until `bufferedamountlow` or the drain
 * poll flushes them. Nothing is sent on a channel that is not open (see `usable`).
 */
export class ReliableQueue {
  /** The reliable channel, once simple-peer created it. */
  channel: RTCDataChannel | null = null;
  private queue: Uint8Array[] = [];
  private drainTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param usable - Whether the connection may still be written to (it is current and its
   * peer connection is not destroyed). Sending on a channel of a destroyed peer connection
   * crashes @roamhq/wrtc.
   */
  constructor(private readonly usable: () => boolean) {}

  /**
   * Sends a message now, or queues a copy while the channel is full.
   * @param message - The bytes (copied when queued).
   * @returns Whether the message was sent or queued (`false`: the channel is not open).
   */
  send(message: Uint8Array): boolean {
    // Sent on the channel directly, not through simple-peer's stream: the stream sends
    // later, from a callback, and @roamhq/wrtc crashes the process (SIGSEGV) when such a
    // late send hits a channel the remote side has just closed. A channel that is no longer
    // open takes nothing (its close event ends the connection).
    const channel = this.channel;
    if (channel === null || channel.readyState !== 'open') return false;
    if (this.queue.length > 0 || channel.bufferedAmount > RELIABLE_HIGH_WATER) {
      this.enqueue(message.slice());
      return true;
    }
    try {
      channel.send(message as Uint8Array<ArrayBuffer>);
    } catch {
      // A channel that refuses a send while open (a full native send queue) gets it again
      // from the queue; a closing one ends the connection with its close event.
      this.enqueue(message.slice());
    }
    return true;
  }

  /** Sends queued messages while the channel has room. */
  flush(): void {
    const channel = this.channel;
    while (this.queue.length > 0) {
      if (channel === null || !this.usable() || channel.readyState !== 'open') return;
      if (channel.bufferedAmount > RELIABLE_HIGH_WATER) return;
      const message = this.queue.shift()!;
      try {
        channel.send(message as Uint8Array<ArrayBuffer>);
      } catch {
        this.queue.unshift(message); // kept for the next try; a closing channel ends the entry
        return;
      }
    }
  }

  /** Bytes waiting: the channel's `bufferedAmount` plus the queued messages. */
  get bufferedBytes(): number {
    let n = this.channel?.bufferedAmount ?? 0;
    for (const message of this.queue) n += message.byteLength;
    return n;
  }

  /** Drops every queued message and stops the drain poll (the connection is going away). */
  clear(): void {
    this.queue = [];
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  private enqueue(message: Uint8Array): void {
    this.queue.push(message);
    this.watchDrain();
  }

  /**
   * Keeps flushing a non-empty queue on a short timer, so it drains even when the stack misses
   * `bufferedamountlow`. The timer stops once the queue is empty or the connection is gone.
   */
  private watchDrain(): void {
    if (this.drainTimer !== undefined) return;
    const check = () => {
      this.drainTimer = undefined;
      if (!this.usable()) return;
      this.flush();
      if (this.queue.length > 0) this.drainTimer = setTimeout(check, RELIABLE_DRAIN_POLL_MS);
    };
    this.drainTimer = setTimeout(check, RELIABLE_DRAIN_POLL_MS);
  }
}
