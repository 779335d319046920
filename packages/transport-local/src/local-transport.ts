import { RbnError, assertMessageBytes, describeValue } from '@rbn/protocol';
import type { ConnectionMetrics, TransportAdapter } from '@rbn/protocol';
import { DeliveryQueue } from './internal/delivery-queue';
import type { InFlight } from './internal/delivery-queue';
import { Prng } from './internal/prng';
import { PERFECT_CONDITIONS, pickConditions, validateConditions } from './network-conditions';
import type { NetworkConditions } from './network-conditions';

/** Options of a {@link LocalTransport}: the default conditions of its outgoing links, and a seed. */
export type LocalTransportConfig = Partial<NetworkConditions> & {
  /**
   * Seed of the transport's random generator (loss, jitter, duplication, reordering). The same
   * seed and the same calls give the same deliveries, always. @default 0x5eed
   */
  seed?: number;
};

/**
 * Counters of one link, seen from one transport. "Sent", "delivered" and "dropped" count this
 * transport's messages to the peer; "received" counts the peer's messages handed to this one.
 */
export type LinkStats = {
  /** Messages accepted by `send`/`broadcast` for the peer. */
  messagesSent: number;
  /** Bytes of those messages. */
  bytesSent: number;
  /** Messages handed to the peer's `onMessage` (duplicates count once per delivery). */
  messagesDelivered: number;
  /** Bytes of those deliveries. */
  bytesDelivered: number;
  /** Messages lost: simulated loss, sent while not connected, or in flight at a disconnect. */
  messagesDropped: number;
  /** Bytes of those messages. */
  bytesDropped: number;
  /** Extra copies created by simulated duplication. */
  messagesDuplicated: number;
  /** Messages from the peer handed to this transport's `onMessage`. */
  messagesReceived: number;
  /** Bytes of those messages. */
  bytesReceived: number;
};

/** Per-peer state of one side of a link. */
type Link = {
  peer: LocalTransport;
  /** Overrides of this transport's default conditions for messages to this peer. */
  overrides: Partial<NetworkConditions>;
  /** Defaults merged with the overrides, recomputed when either changes. */
  effective: NetworkConditions;
  stats: LinkStats;
  /** Latest `deliverAt` of a reliable message from this peer still ordering later ones. */
  lastReliableAt: number;
};

function emptyStats(): LinkStats {
  return {
    messagesSent: 0,
    bytesSent: 0,
    messagesDelivered: 0,
    bytesDelivered: 0,
    messagesDropped: 0,
    bytesDropped: 0,
    messagesDuplicated: 0,
    messagesReceived: 0,
    bytesReceived: 0,
  };
}

const DEFAULT_SEED = 0x5eed;

/**
 * Checks a seed (a finite number).
 * @param seed - The seed given, or `undefined`.
 * @param where - The function name for the error message.
 * @returns The seed, or the default.
 */
export function checkSeed(seed: unknown, where: string): number {
  if (seed === undefined) return DEFAULT_SEED;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new RbnError(
      'INVALID_CONFIG',
      `${where}: seed must be a finite number (got ${describeValue(seed)})`,
    );
  }
  return seed;
}

/**
 * Collects the first error a user handler throws so the transport can finish its bookkeeping
 * before the error reaches the caller.
 */
class HandlerErrors {
  private error: unknown = undefined;
  private failed = false;

  run(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      if (!this.failed) {
        this.failed = true;
        this.error = error;
      }
    }
  }

  rethrow(): void {
    if (this.failed) throw this.error;
  }
}

/**
 * An in-memory {@link TransportAdapter} for tests and local play, with a seeded simulated
 * network (latency, jitter, loss, duplication, reordering) on virtual time.
 *
 * Time: every transport has its own virtual clock, advanced only by {@link LocalTransport.tick}.
 * A message sent to a peer is stamped with the RECEIVER's clock at the moment of sending plus
 * the link delay, and is delivered when the receiver's clock reaches that time (call `tick` on
 * every transport each frame). A delivery happens only inside the receiver's `tick`/`flush`,
 * never inside `send`. The order in which transports are ticked changes no delivery as long as
 * every send happens while all clocks are equal (before the first tick, or after every transport
 * has ticked this frame). A send while they differ (a reply from `onMessage`, which runs inside
 * the replier's `tick`, or a send between the ticks of two transports) uses the receiver's clock
 * as it is then, so the tick order can move its arrival by up to one tick; see the README.
 *
 * Errors thrown by `onMessage`/`onConnect`/`onDisconnect` handlers never corrupt the transport:
 * it finishes the operation (all due messages are still delivered) and then rethrows the first
 * error to the caller of `tick`, `flush`, `connect` or `disconnect`.
 *
 * @example
 * ```ts
 * const a = new LocalTransport('a', { latency: 20, seed: 1 });
 * const b = new LocalTransport('b', { latency: 20, seed: 2 });
 * LocalTransport.link(a, b);
 * b.onMessage = (from, bytes) => console.log(from, bytes);
 * await a.connect('b');
 * a.send('b', new Uint8Array([1, 2, 3]), true);
 * b.tick(20); // logs: a Uint8Array [1, 2, 3]
 * ```
 */
export class LocalTransport implements TransportAdapter {
  /** This transport's own peer id. */
  readonly localPeerId: string;
  /** Called with every message delivered to this transport. */
  onMessage: ((peerId: string, message: Uint8Array) => void) | null = null;
  /** Called when a connection opens, on both sides. */
  onConnect: ((peerId: string) => void) | null = null;
  /** Called when a connection closes, on both sides. */
  onDisconnect: ((peerId: string) => void) | null = null;

  private readonly links = new Map<string, Link>();
  private readonly connected = new Set<string>();
  private readonly queue = new DeliveryQueue();
  private readonly prng: Prng;
  private conditions: NetworkConditions;
  private clock = 0;
  private nextSeq = 0;

  /**
   * @param peerId - This transport's peer id.
   * @param config - Default conditions of every outgoing link, and the seed.
   * @throws RbnError `INVALID_CONFIG` when a condition is out of range.
   */
  constructor(peerId: string, config: LocalTransportConfig = {}) {
    if (typeof peerId !== 'string' || peerId.length === 0) {
      throw new RbnError('INVALID_CONFIG', 'LocalTransport: peerId must be a non-empty string');
    }
    this.localPeerId = peerId;
    this.conditions = { ...PERFECT_CONDITIONS, ...pickConditions(validateConditions(config)) };
    this.prng = new Prng(checkSeed(config.seed, 'LocalTransport'));
  }

  /**
   * Makes two transports reachable from each other (they still need `connect`).
   * Linking an already linked pair does nothing.
   * @param a - One transport.
   * @param b - The other transport.
   * @throws RbnError `INVALID_ARGUMENT` when both are the same transport or share a peer id.
   */
  static link(a: LocalTransport, b: LocalTransport): void {
    if (a === b || a.localPeerId === b.localPeerId) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `LocalTransport.link: cannot link peer '${a.localPeerId}' to itself`,
      );
    }
    const existing = a.links.get(b.localPeerId);
    if (existing !== undefined) {
      if (existing.peer === b) return;
      throw new RbnError(
        'INVALID_ARGUMENT',
        `LocalTransport.link: '${a.localPeerId}' is already linked to another transport with id '${b.localPeerId}'`,
      );
    }
    a.links.set(b.localPeerId, a.newLink(b));
    b.links.set(a.localPeerId, b.newLink(a));
  }

  /**
   * Removes the link between two transports, disconnecting them first if connected (which
   * fires `onDisconnect` on both sides and drops messages in flight).
   * @param a - One transport.
   * @param b - The other transport.
   */
  static unlink(a: LocalTransport, b: LocalTransport): void {
    if (a.links.get(b.localPeerId)?.peer !== b) return;
    try {
      a.disconnect(b.localPeerId);
    } finally {
      a.links.delete(b.localPeerId);
      b.links.delete(a.localPeerId);
    }
  }

  /** The peers a connection is currently open to. */
  get connectedPeers(): ReadonlySet<string> {
    return this.connected;
  }

  /** This transport's virtual clock, in milliseconds (starts at 0). */
  get now(): number {
    return this.clock;
  }

  /** Number of messages on their way to this transport. */
  get pendingCount(): number {
    return this.queue.size;
  }

  /**
   * Opens the connection to a linked peer, on both sides at once: both transports list each
   * other in `connectedPeers` and `onConnect` fires on this side, then on the peer's.
   * Connecting an already connected peer resolves without firing events.
   * @param peerId - The linked peer's id.
   * @returns A promise that resolves once connected, or rejects with an `RbnError`
   * (`PEER_NOT_LINKED`) when no transport with that id is linked to this one.
   */
  connect(peerId: string): Promise<void> {
    const link = this.links.get(peerId);
    if (link === undefined) {
      return Promise.reject(
        new RbnError(
          'PEER_NOT_LINKED',
          `LocalTransport '${this.localPeerId}' cannot connect to '${peerId}': no such peer is linked (call LocalTransport.link or use createLocalTransportGroup)`,
        ),
      );
    }
    if (this.connected.has(peerId)) return Promise.resolve();
    const peer = link.peer;
    this.connected.add(peerId);
    peer.connected.add(this.localPeerId);
    link.lastReliableAt = 0;
    const back = peer.links.get(this.localPeerId);
    if (back !== undefined) back.lastReliableAt = 0;
    const errors = new HandlerErrors();
    errors.run(() => this.onConnect?.(peerId));
    errors.run(() => peer.onConnect?.(this.localPeerId));
    try {
      errors.rethrow();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  }

  /**
   * Closes the connection to one peer on both sides: messages in flight either way are
   * dropped (and counted), then `onDisconnect` fires on this side and on the peer's.
   * Does nothing when the peer is not connected.
   * @param peerId - The peer's id.
   */
  disconnect(peerId: string): void {
    const link = this.links.get(peerId);
    if (link === undefined || !this.connected.has(peerId)) return;
    const peer = link.peer;
    this.connected.delete(peerId);
    peer.connected.delete(this.localPeerId);
    this.dropInFlightFrom(peerId);
    peer.dropInFlightFrom(this.localPeerId);
    const errors = new HandlerErrors();
    errors.run(() => this.onDisconnect?.(peerId));
    errors.run(() => peer.onDisconnect?.(this.localPeerId));
    errors.rethrow();
  }

  /** Disconnects every connected peer (see {@link LocalTransport.disconnect}). */
  disconnectAll(): void {
    const errors = new HandlerErrors();
    for (const peerId of [...this.connected]) errors.run(() => this.disconnect(peerId));
    errors.rethrow();
  }

  /**
   * Sends a copy of the message through the simulated link. Messages to an unknown peer are
   * ignored; messages to a linked but unconnected peer are counted as dropped.
   * @param peerId - The receiver.
   * @param message - The bytes; copied before this returns.
   * @param reliable - `true`: exactly once, in order. `false`: may be lost, duplicated, reordered.
   * @throws RbnError `INVALID_ARGUMENT` when `message` is not a `Uint8Array`.
   */
  send(peerId: string, message: Uint8Array, reliable: boolean): void {
    assertMessageBytes('LocalTransport.send', message);
    const link = this.links.get(peerId);
    if (link === undefined) return;
    const stats = link.stats;
    stats.messagesSent++;
    stats.bytesSent += message.byteLength;
    if (!this.connected.has(peerId)) {
      stats.messagesDropped++;
      stats.bytesDropped += message.byteLength;
      return;
    }
    this.transmit(link, message, reliable);
  }

  /**
   * Sends a copy of the message to every connected peer.
   * @param message - The bytes; copied before this returns.
   * @param reliable - Which channel, as for {@link LocalTransport.send}.
   * @throws RbnError `INVALID_ARGUMENT` when `message` is not a `Uint8Array`.
   */
  broadcast(message: Uint8Array, reliable: boolean): void {
    assertMessageBytes('LocalTransport.broadcast', message);
    for (const peerId of this.connected) this.send(peerId, message, reliable);
  }

  /**
   * Advances this transport's clock and delivers, in time order, every message due by then.
   * The clock steps to each message's due time as it is delivered, so handlers see it.
   * @param ms - Milliseconds to advance (>= 0). `tick(0)` delivers what is already due.
   * @throws RbnError `INVALID_ARGUMENT` for a negative or non-finite `ms`; otherwise rethrows
   * the first error of an `onMessage` handler, after every due message was delivered.
   */
  tick(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `LocalTransport.tick: ms must be a finite number >= 0 (got ${ms})`,
      );
    }
    const target = this.clock + ms;
    const errors = new HandlerErrors();
    for (
      let next = this.queue.peek();
      next !== undefined && next.deliverAt <= target;
      next = this.queue.peek()
    ) {
      this.queue.pop();
      if (next.deliverAt > this.clock) this.clock = next.deliverAt;
      this.deliver(next, errors);
    }
    // A handler may have called tick() itself and moved the clock past target: never go back.
    if (target > this.clock) this.clock = target;
    errors.rethrow();
  }

  /**
   * Delivers every message on its way to this transport now, in the order they would have
   * arrived, without moving the clock.
   * @throws The first error of an `onMessage` handler, after everything was delivered.
   */
  flush(): void {
    const errors = new HandlerErrors();
    for (let next = this.queue.pop(); next !== undefined; next = this.queue.pop()) {
      this.deliver(next, errors);
    }
    for (const link of this.links.values()) link.lastReliableAt = this.clock;
    errors.rethrow();
  }

  /**
   * Changes the default conditions of every outgoing link (per-link overrides still win).
   * Applies to messages sent from now on; messages in flight keep their delay.
   * @param conditions - The fields to change.
   * @throws RbnError `INVALID_CONFIG` when a field is out of range.
   */
  setConditions(conditions: Partial<NetworkConditions>): void {
    this.conditions = { ...this.conditions, ...pickConditions(validateConditions(conditions)) };
    for (const link of this.links.values()) {
      link.effective = { ...this.conditions, ...link.overrides };
    }
  }

  /**
   * Overrides the conditions of the link to one peer (this direction only: messages from this
   * transport to that peer), e.g. to simulate a lag spike on one link.
   * @param peerId - A linked peer.
   * @param conditions - The fields to override; `null` removes every override.
   * @throws RbnError `PEER_NOT_LINKED` for an unknown peer, `INVALID_CONFIG` for a bad field.
   */
  setLinkConditions(peerId: string, conditions: Partial<NetworkConditions> | null): void {
    const link = this.requireLink(peerId, 'setLinkConditions');
    link.overrides =
      conditions === null
        ? {}
        : { ...link.overrides, ...pickConditions(validateConditions(conditions)) };
    link.effective = { ...this.conditions, ...link.overrides };
  }

  /**
   * @param peerId - A linked peer, or omitted for the defaults.
   * @returns The conditions applied to messages from this transport to that peer.
   */
  getConditions(peerId?: string): NetworkConditions {
    if (peerId === undefined) return { ...this.conditions };
    return { ...this.requireLink(peerId, 'getConditions').effective };
  }

  /**
   * @param peerId - The peer's id.
   * @returns A copy of the link's counters, or `null` when the peer is not linked.
   */
  getLinkStats(peerId: string): LinkStats | null {
    const link = this.links.get(peerId);
    return link === undefined ? null : { ...link.stats };
  }

  /**
   * @param peerId - The peer's id.
   * @returns Simulated metrics (round trip = both one-way latencies), or `null` when not linked.
   */
  getConnectionMetrics(peerId: string): ConnectionMetrics | null {
    const link = this.links.get(peerId);
    if (link === undefined) return null;
    const s = link.stats;
    return {
      rtt: link.effective.latency + (link.peer.links.get(this.localPeerId)?.effective.latency ?? 0),
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      packetsSent: s.messagesSent,
      packetsReceived: s.messagesReceived,
      packetsLost: s.messagesDropped,
    };
  }

  private newLink(peer: LocalTransport): Link {
    return {
      peer,
      overrides: {},
      effective: { ...this.conditions },
      stats: emptyStats(),
      lastReliableAt: 0,
    };
  }

  private requireLink(peerId: string, method: string): Link {
    const link = this.links.get(peerId);
    if (link === undefined) {
      throw new RbnError(
        'PEER_NOT_LINKED',
        `LocalTransport.${method}: '${this.localPeerId}' has no link to '${peerId}'`,
      );
    }
    return link;
  }

  /** Applies the link's conditions to one message and queues it at the receiver. */
  private transmit(link: Link, message: Uint8Array, reliable: boolean): void {
    const c = link.effective;
    const rng = this.prng;
    // A fixed number of draws per message, so changing one probability does not shift the
    // random stream of the others.
    const uLoss = rng.next();
    const uJitter = rng.next();
    const uReorder = rng.next();
    const uReorderDelay = rng.next();
    const uDuplicate = rng.next();
    const uDuplicateJitter = rng.next();
    const stats = link.stats;
    if (!reliable && uLoss < c.packetLoss) {
      stats.messagesDropped++;
      stats.bytesDropped += message.byteLength;
      return;
    }
    let delay = Math.max(0, c.latency + (uJitter * 2 - 1) * c.jitter);
    if (!reliable && uReorder < c.reorder) delay += 1 + uReorderDelay * Math.max(16, c.latency);
    link.peer.enqueue(this.localPeerId, message.slice(), delay, reliable);
    if (!reliable && uDuplicate < c.duplication) {
      stats.messagesDuplicated++;
      const again = Math.max(0, c.latency + (uDuplicateJitter * 2 - 1) * c.jitter);
      link.peer.enqueue(this.localPeerId, message.slice(), again, false);
    }
  }

  /** Queues a message from `from` to arrive after `delay` ms of this transport's clock. */
  private enqueue(from: string, data: Uint8Array, delay: number, reliable: boolean): void {
    let deliverAt = this.clock + delay;
    if (reliable) {
      const link = this.links.get(from);
      if (link !== undefined) {
        if (deliverAt < link.lastReliableAt) deliverAt = link.lastReliableAt;
        link.lastReliableAt = deliverAt;
      }
    }
    this.queue.push({ from, data, deliverAt, seq: this.nextSeq++ });
  }

  private deliver(item: InFlight, errors: HandlerErrors): void {
    const link = this.links.get(item.from);
    if (link === undefined || !this.connected.has(item.from)) return;
    const bytes = item.data.byteLength;
    link.stats.messagesReceived++;
    link.stats.bytesReceived += bytes;
    const back = link.peer.links.get(this.localPeerId);
    if (back !== undefined) {
      back.stats.messagesDelivered++;
      back.stats.bytesDelivered += bytes;
    }
    const handler = this.onMessage;
    if (handler !== null) errors.run(() => handler(item.from, item.data));
  }

  /** Drops messages in flight from one peer (at a disconnect), counting them on its side. */
  private dropInFlightFrom(peerId: string): void {
    const removed = this.queue.removeWhere((item) => item.from === peerId);
    const link = this.links.get(peerId);
    if (link !== undefined) link.lastReliableAt = this.clock;
    const back = link?.peer.links.get(this.localPeerId);
    if (back === undefined) return;
    for (const item of removed) {
      back.stats.messagesDropped++;
      back.stats.bytesDropped += item.data.byteLength;
    }
  }
}
