import { encodeMessage, isReliableMessageType } from '@rbn/protocol';
import type { Message, TransportAdapter } from '@rbn/protocol';
import type { Clock } from './internal/clock';
import { Link } from './internal/link';
import type { LinkSlots } from './topology';

/**
 * The links to the peers the session talks to, and every way of sending to them: one peer,
 * every link, every link but one, or the links that match a filter. Sending through here keeps
 * each link's traffic counters right.
 */
export class LinkTable {
  readonly #links = new Map<string, Link>();
  #list: Link[] = [];

  readonly #transport: TransportAdapter;
  readonly #clock: Clock;

  /**
   * @param transport - Where bytes go.
   * @param clock - The session's clock (for traffic counters).
   */
  constructor(transport: TransportAdapter, clock: Clock) {
    this.#transport = transport;
    this.#clock = clock;
  }

  /** Every link, in creation order (a fresh array after every change; iterate it freely). */
  get list(): readonly Link[] {
    return this.#list;
  }

  /** The link to a peer, if any. */
  get(peerId: string): Link | undefined {
    return this.#links.get(peerId);
  }

  /** The link to a peer, created when missing. */
  ensure(peerId: string): Link {
    let link = this.#links.get(peerId);
    if (!link) {
      link = new Link(peerId, this.#clock.now());
      this.#links.set(peerId, link);
      this.#list = [...this.#links.values()];
    }
    return link;
  }

  /**
   * Replaces the link to a peer with a new one (a fresh session of the same peer: nothing the
   * old one counted or acknowledged holds). Its slots are set by the next {@link apply}.
   */
  renew(peerId: string): Link {
    this.#links.delete(peerId);
    return this.ensure(peerId);
  }

  /** Keeps exactly the planned links (see {@link planLinks}) and sets what goes each way. */
  apply(plan: ReadonlyMap<string, LinkSlots>): void {
    for (const peerId of [...this.#links.keys()]) {
      if (!plan.has(peerId)) this.#links.delete(peerId);
    }
    for (const [peerId, slots] of plan) this.ensure(peerId).assignSlots(slots.send, slots.accept);
    this.#list = [...this.#links.values()];
  }

  /** Forgets every link. */
  clear(): void {
    this.#links.clear();
    this.#list = [];
  }

  /** Encodes and sends a message to a peer (through its link when there is one). */
  sendTo(peerId: string, message: Message): void {
    const bytes = encodeMessage(message);
    const reliable = isReliableMessageType(message.type);
    const link = this.#links.get(peerId);
    if (link) this.sendBytes(link, bytes, reliable);
    else this.#transport.send(peerId, bytes, reliable);
  }

  /** Sends encoded bytes on a link. */
  sendBytes(link: Link, bytes: Uint8Array, reliable: boolean): void {
    link.countSent(bytes.byteLength, this.#clock.now());
    this.#transport.send(link.peerId, bytes, reliable);
  }

  /**
   * Sends a message on every link (encoded once), reliably.
   * @param message - The message.
   * @param exceptPeer - A peer to leave out.
   */
  broadcast(message: Message, exceptPeer?: string): void {
    const bytes = encodeMessage(message);
    for (const link of this.#list)
      if (link.peerId !== exceptPeer) this.sendBytes(link, bytes, true);
  }

  /** Sends a message reliably on the links whose peer passes `to`. */
  broadcastTo(message: Message, to: (peerId: string) => boolean): void {
    const bytes = encodeMessage(message);
    for (const link of this.#list) if (to(link.peerId)) this.sendBytes(link, bytes, true);
  }
}
