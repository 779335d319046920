import { SLOT_COUNT } from './internal/link';
import type { LinkTable } from './links';
import type { Member } from './roster';

/**
 * Goodbyes heard through another channel (see `Session.reportPeerLeft`): the signaling server
 * saw a member leave, but its own `PlayerLeft` did not reach us (a page that closed before its
 * last message got out). Whoever tells us that controls the other channel, not the room: the
 * notice only counts when our own link to the member is gone or going (closed, or silent past
 * `disconnectNotifyStart`). While the link still works the notice is kept for
 * {@link GOODBYE_WINDOW_MS}; a link that drops within it departs instead of being kept for a
 * reconnect, one that stays up keeps its player, whatever the notice said.
 */

/** How long a goodbye reported while the member's link still works is kept, in milliseconds. */
export const GOODBYE_WINDOW_MS = 10_000;

/**
 * Whether our link to a peer is gone or going: the transport no longer lists it as connected,
 * we have no link to it, or it is silent past the notify threshold.
 */
export function linkGoneOrGoing(
  links: LinkTable,
  connectedPeers: ReadonlySet<string>,
  peerId: string,
): boolean {
  if (!connectedPeers.has(peerId)) return true;
  const link = links.get(peerId);
  return link === undefined || link.interrupted;
}

/** Host: the goodbyes waiting for a member's link to drop, one per slot (bounded memory). */
export class Goodbyes {
  readonly #until = new Float64Array(SLOT_COUNT).fill(-1);
  readonly #peer: (string | undefined)[] = new Array<string | undefined>(SLOT_COUNT);
  #count = 0;

  /** Whether any goodbye waits. */
  get waiting(): boolean {
    return this.#count > 0;
  }

  /** Keeps a goodbye of `member` until `now + GOODBYE_WINDOW_MS`. */
  note(member: Member, now: number): void {
    if (this.#until[member.slot]! < 0) this.#count++;
    this.#until[member.slot] = now + GOODBYE_WINDOW_MS;
    this.#peer[member.slot] = member.peerId;
  }

  /**
   * Takes the goodbye waiting for `member` (the same peer, within its window).
   * @returns Whether one was waiting.
   */
  take(member: Member, now: number): boolean {
    const slot = member.slot;
    const until = this.#until[slot]!;
    if (until < 0) return false;
    const same = this.#peer[slot] === member.peerId;
    this.#clear(slot);
    return same && now <= until;
  }

  /** Forgets the goodbyes whose window ran out. */
  expire(now: number): void {
    for (let slot = 0; slot < SLOT_COUNT && this.#count > 0; slot++) {
      const until = this.#until[slot]!;
      if (until >= 0 && now > until) this.#clear(slot);
    }
  }

  /** Everything starts over (a new room, a new host). */
  reset(): void {
    this.#until.fill(-1);
    this.#peer.fill(undefined);
    this.#count = 0;
  }

  #clear(slot: number): void {
    this.#until[slot] = -1;
    this.#peer[slot] = undefined;
    this.#count--;
  }
}
