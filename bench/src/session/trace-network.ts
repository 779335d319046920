// One simulated network for every library in the session suite: the same seeded trace decides
// each packet's fate for rbn, rollback-netcode and the ideal model, and the wire counts every
// packet once, whatever path (send or broadcast) put it there.

/** Latency, jitter and loss of every link, one direction. */
export type LinkConditions = { latency: number; jitter: number; packetLoss: number };

/** A perfect link: what the lobby and the start run on, so every peer starts on the same frame. */
const PERFECT: LinkConditions = { latency: 0, jitter: 0, packetLoss: 0 };

/** What the wire carried: every packet counted once, at the sender's side. */
export type WireCounters = { messages: number; bytes: number; lost: number; delivered: number };

/**
 * The fate of one packet: lost, or delivered after `delay` ms. A pure function of the seed, the
 * link, the whole millisecond (since the trace started) the packet was sent in, and how many
 * packets went over that link earlier in that millisecond — so a burst of loss at a given time
 * hits every library, and the ideal model, alike.
 * @param seed - The run's seed.
 * @param from - Sender's index.
 * @param to - Receiver's index.
 * @param ms - Whole milliseconds since the trace started.
 * @param k - Packets already sent over this link in that millisecond.
 * @param c - The link's conditions.
 * @param reliable - Reliable packets are never lost.
 * @returns The delay in ms, or `null` when the packet is lost.
 */
export function packetFate(
  seed: number,
  from: number,
  to: number,
  ms: number,
  k: number,
  c: LinkConditions,
  reliable: boolean,
): number | null {
  let h = Math.imul(seed ^ 0x27d4eb2f, 0x9e3779b1) ^ Math.imul(from + 1, 0x85ebca6b);
  h = Math.imul(h ^ Math.imul(to + 1, 0xc2b2ae35), 0x165667b1) ^ Math.imul(ms + 1, 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 15) ^ Math.imul(k + 1, 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  const uLoss = ((Math.imul(h, 0xc2b2ae35) ^ (h >>> 16)) >>> 0) / 2 ** 32;
  const uJitter = ((Math.imul(h ^ 0x5bd1e995, 0x27d4eb2d) ^ (h >>> 11)) >>> 0) / 2 ** 32;
  if (!reliable && uLoss < c.packetLoss) return null;
  return Math.max(0, c.latency + (uJitter * 2 - 1) * c.jitter);
}

type InFlight = { to: number; from: number; data: Uint8Array; at: number; seq: number };

/**
 * The shared clock and wire of a group of {@link BenchTransport}s. `advance(ms)` delivers every
 * packet that is due, in time order; a packet sent while handling one (a relay on receipt)
 * leaves at that packet's delivery time and is delivered in the same call if it is due.
 */
export class TraceNetwork {
  readonly transports: BenchTransport[] = [];
  readonly wire: WireCounters[] = [];
  /** Packets put on each link (key `from * 64 + to`) since the last `resetCounters`. */
  readonly perLink = new Map<number, number>();
  now = 0;
  private conditions: LinkConditions = PERFECT;
  private traceStart = 0;
  /** Sorted by (at, seq), latest first, so the next packet due is `pop()`. */
  private readonly queue: InFlight[] = [];
  private seq = 0;
  private readonly sentInMs = new Map<number, number>();
  private lastMs = -1;
  private readonly reliableAt = new Map<number, number>();

  /**
   * @param seed - Seeds the trace.
   * @param ids - Peer ids, in index order.
   */
  constructor(
    private readonly seed: number,
    ids: readonly string[],
  ) {
    ids.forEach((id, i) => {
      this.transports.push(new BenchTransport(this, id, i));
      this.wire.push({ messages: 0, bytes: 0, lost: 0, delivered: 0 });
    });
  }

  /** Applies the scenario's conditions from now on and starts the trace's time at zero. */
  startTrace(conditions: LinkConditions): void {
    this.conditions = conditions;
    this.traceStart = this.now;
    this.sentInMs.clear();
    this.lastMs = -1;
  }

  /** Zeroes the wire counters (the traffic rows count the measured frames only). */
  resetCounters(): void {
    for (const w of this.wire) {
      w.messages = 0;
      w.bytes = 0;
      w.lost = 0;
      w.delivered = 0;
    }
    this.perLink.clear();
  }

  /** Puts one packet on the wire from `from` to `to`. */
  transmit(from: number, to: number, message: Uint8Array, reliable: boolean): void {
    const w = this.wire[from]!;
    w.messages++;
    w.bytes += message.byteLength;
    const ms = Math.floor(this.now - this.traceStart + 1e-6);
    if (ms !== this.lastMs) {
      this.sentInMs.clear();
      this.lastMs = ms;
    }
    const linkKey = from * 64 + to;
    this.perLink.set(linkKey, (this.perLink.get(linkKey) ?? 0) + 1);
    const k = this.sentInMs.get(linkKey) ?? 0;
    this.sentInMs.set(linkKey, k + 1);
    const delay = packetFate(this.seed, from, to, ms, k, this.conditions, reliable);
    if (delay === null) {
      w.lost++;
      return;
    }
    let at = this.now + delay;
    if (reliable) {
      at = Math.max(at, this.reliableAt.get(linkKey) ?? 0);
      this.reliableAt.set(linkKey, at);
    }
    this.enqueue({ to, from, data: message.slice(), at, seq: this.seq++ });
  }

  /** Advances the clock by `ms`, delivering every packet due by then in time order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = this.queue[this.queue.length - 1];
      if (next === undefined || next.at > until) break;
      this.queue.pop();
      this.now = Math.max(this.now, next.at);
      this.deliver(next);
    }
    this.now = until;
  }

  private deliver(p: InFlight): void {
    const target = this.transports[p.to]!;
    const sender = this.transports[p.from]!;
    if (!target.connectedPeers.has(sender.localPeerId)) return;
    this.wire[p.from]!.delivered++;
    target.onMessage?.(sender.localPeerId, p.data);
  }

  private enqueue(p: InFlight): void {
    const q = this.queue;
    let lo = 0;
    let hi = q.length;
    // Latest first: find the first index whose packet is due no later than p.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = q[mid]!;
      if (m.at > p.at || (m.at === p.at && m.seq > p.seq)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, p);
  }
}

/**
 * A transport on a {@link TraceNetwork}: the `TransportAdapter` shape both libraries accept.
 * `broadcast` puts one packet per connected peer on the wire; the wire counts it there, once.
 */
export class BenchTransport {
  onMessage: ((peerId: string, message: Uint8Array) => void) | null = null;
  onConnect: ((peerId: string) => void) | null = null;
  onDisconnect: ((peerId: string) => void) | null = null;
  private readonly connected = new Set<string>();

  constructor(
    private readonly network: TraceNetwork,
    readonly localPeerId: string,
    readonly index: number,
  ) {}

  get connectedPeers(): ReadonlySet<string> {
    return this.connected;
  }

  get now(): number {
    return this.network.now;
  }

  connect(peerId: string): Promise<void> {
    const peer = this.network.transports.find((t) => t.localPeerId === peerId);
    if (peer === undefined) return Promise.reject(new Error(`no peer ${peerId}`));
    if (this.connected.has(peerId)) return Promise.resolve();
    this.connected.add(peerId);
    peer.connected.add(this.localPeerId);
    this.onConnect?.(peerId);
    peer.onConnect?.(this.localPeerId);
    return Promise.resolve();
  }

  disconnect(peerId: string): void {
    const peer = this.network.transports.find((t) => t.localPeerId === peerId);
    if (peer === undefined || !this.connected.delete(peerId)) return;
    peer.connected.delete(this.localPeerId);
    this.onDisconnect?.(peerId);
    peer.onDisconnect?.(this.localPeerId);
  }

  disconnectAll(): void {
    for (const peerId of [...this.connected]) this.disconnect(peerId);
  }

  send(peerId: string, message: Uint8Array, reliable: boolean): void {
    if (!this.connected.has(peerId)) return;
    const peer = this.network.transports.find((t) => t.localPeerId === peerId);
    if (peer !== undefined) this.network.transmit(this.index, peer.index, message, reliable);
  }

  broadcast(message: Uint8Array, reliable: boolean): void {
    for (const peer of this.network.transports) {
      if (this.connected.has(peer.localPeerId)) {
        this.network.transmit(this.index, peer.index, message, reliable);
      }
    }
  }
}
