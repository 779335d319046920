import { REJOIN_TOKEN_BYTES } from '@rbn/session';
import type { RejoinTicket } from '@rbn/session';

/**
 * Where `joinOnline` keeps what a reloaded page needs to take its slot back
 * (`JoinOnlineOptions.rejoinStorage`): the page's `sessionStorage`, or anything with the same
 * three methods.
 */
export interface RejoinStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What a page that went away left for its reload: its signaling id and its session's ticket. */
export type SavedSeat = {
  /** The signaling URL the page was in the room with (its `?group=` too). */
  readonly url: string;
  /** Its signaling peer id, and the token that resumes it. */
  readonly peerId: string;
  readonly resumeToken: string;
  /** The session's rejoin ticket. */
  readonly ticket: RejoinTicket;
};

/** The saved seats' format; another one is ignored. */
const VERSION = 1;

/**
 * The storage key of a room: one saved seat per room and tab (`sessionStorage` is per tab).
 * @param url - The signaling URL (its origin and room path count, not its query).
 */
export function seatKey(url: string): string {
  const u = new URL(url);
  return `rbn-online:${u.host}${u.pathname}`;
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

function fromHex(hex: unknown): Uint8Array | undefined {
  if (typeof hex !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * Saves the seat of a page that goes away (never throws: a full or blocked storage saves
 * nothing, and the reload joins as a new player).
 * @param storage - Where.
 * @param seat - What.
 */
export function saveSeat(storage: RejoinStorage, seat: SavedSeat): void {
  const { ticket } = seat;
  const value = JSON.stringify({
    v: VERSION,
    url: seat.url,
    peerId: seat.peerId,
    resumeToken: seat.resumeToken,
    ticket: { ...ticket, token: toHex(ticket.token) },
  });
  try {
    storage.setItem(seatKey(seat.url), value);
  } catch {
    // Storage full or blocked: nothing saved.
  }
}

/**
 * Takes (reads and removes) the seat saved for `url`'s room, if any and well formed. Removing
 * it at once means only this page uses it: a tab duplicated from this one finds nothing, and
 * the seat is saved again only when this page goes away.
 * @param storage - Where.
 * @param url - The signaling URL the page joins.
 * @returns The seat, or `undefined`.
 */
export function takeSeat(storage: RejoinStorage, url: string): SavedSeat | undefined {
  const key = seatKey(url);
  let raw: string | null;
  try {
    raw = storage.getItem(key);
    storage.removeItem(key);
  } catch {
    return undefined;
  }
  if (raw === null) return undefined;
  try {
    return readSeat(JSON.parse(raw) as unknown, url);
  } catch {
    return undefined;
  }
}

function readSeat(value: unknown, url: string): SavedSeat | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const t = v['ticket'] as Record<string, unknown> | null | undefined;
  if (v['v'] !== VERSION || typeof t !== 'object' || t === null) return undefined;
  const strings = [v['url'], v['peerId'], v['resumeToken'], t['roomId'], t['hostPeerId']];
  if (!strings.every((s) => typeof s === 'string') || typeof t['playerId'] !== 'string') {
    return undefined;
  }
  // Only a seat in this room on this server: the saved URL differs in its query at most.
  if (seatKey(v['url'] as string) !== seatKey(url)) return undefined;
  const token = fromHex(t['token']);
  if (!token || token.length !== REJOIN_TOKEN_BYTES || !Number.isInteger(t['slot'])) {
    return undefined;
  }
  const ticket: RejoinTicket = {
    roomId: t['roomId'] as string,
    hostPeerId: t['hostPeerId'] as string,
    slot: t['slot'] as number,
    playerId: t['playerId'],
    token,
  };
  const { url: savedUrl, peerId, resumeToken } = v as Record<string, string>;
  return { url: savedUrl!, peerId: peerId!, resumeToken: resumeToken!, ticket };
}

/**
 * The URL that reconnects a saved seat's signaling id.
 * @param seat - The seat.
 * @returns Its URL with `?resume=`.
 */
export function resumeUrl(seat: SavedSeat): string {
  const u = new URL(seat.url);
  u.searchParams.set('resume', seat.resumeToken);
  return u.toString();
}
