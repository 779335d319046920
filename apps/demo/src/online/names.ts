import { PlayerRole, decodePlayerMetadata } from '@rbn/session';
import type { PlayerInfo, Session } from '@rbn/session';
import { PLAYER_COLORS } from '../ui/render';
import type { PlayerLook } from '../ui/render';

const NAME_KEY = 'rbn-demo-name';
/** The longest name the demo sends (characters). */
export const MAX_NAME_LENGTH = 24;

/**
 * @param text - A name as typed.
 * @returns The name trimmed, control characters removed, at most {@link MAX_NAME_LENGTH} long.
 */
export function cleanName(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code !== 0x7f) out += ch;
  }
  return out.trim().slice(0, MAX_NAME_LENGTH);
}

/** @returns The name remembered in localStorage, or '' (storage blocked or nothing saved). */
export function savedName(): string {
  try {
    return cleanName(localStorage.getItem(NAME_KEY) ?? '');
  } catch {
    return '';
  }
}

/**
 * Remembers the player's name for the next visit (silently does nothing when storage is blocked).
 * @param name - The name.
 */
export function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, cleanName(name));
  } catch {
    // Private mode or storage disabled: the name is simply not remembered.
  }
}

/**
 * The demo's naming of the session's members: their name from player metadata, else
 * "P<slot>" where the slot is the session's (the host is P1, then join order), never a peer id.
 * Remembers members who left so toasts about them still read their name.
 */
export class RosterNames {
  private readonly known = new Map<string, { name: string; slot: number }>();
  private readonly away = new Set<string>();

  /** @param session - The session whose members to name. */
  constructor(private readonly session: Session) {}

  /**
   * Records a member (call on `playerJoined` and on every roster read).
   * @param info - The member.
   */
  remember(info: PlayerInfo): void {
    const name = cleanName(decodePlayerMetadata(info.metadata)?.name ?? '');
    this.known.set(info.playerId, { name, slot: info.slot });
  }

  private lookup(playerId: string): { name: string; slot: number } | undefined {
    const info = this.session.players.get(playerId);
    if (info) this.remember(info);
    return this.known.get(playerId);
  }

  /**
   * @param playerId - A member's id.
   * @returns Its name, or "P<slot>" without one, or "a player" when the id was never seen.
   */
  nameOf(playerId: string): string {
    const entry = this.lookup(playerId);
    if (!entry) return 'a player';
    return entry.name !== '' ? entry.name : `P${entry.slot + 1}`;
  }

  /**
   * Records a member going away (`playerAway`) or coming back (`playerBack`, or leaving).
   * @param playerId - The member's id.
   * @param away - Whether it is away now.
   */
  setAway(playerId: string, away: boolean): void {
    if (away) this.away.add(playerId);
    else this.away.delete(playerId);
  }

  /**
   * @param playerId - A member's id.
   * @returns Whether the session said it is away (and not back since).
   */
  isAway(playerId: string): boolean {
    return this.away.has(playerId);
  }

  /**
   * How the arena draws a member: its session slot's number and colour and its name.
   * @param playerId - A member's id.
   * @returns The look, or `undefined` for an id the session never had.
   */
  lookOf(playerId: string): PlayerLook | undefined {
    const entry = this.lookup(playerId);
    if (!entry) return undefined;
    const slot = entry.slot;
    return {
      badge: String(slot + 1),
      name: this.nameOf(playerId),
      color: PLAYER_COLORS[slot % PLAYER_COLORS.length] ?? '#fff',
      away: this.away.has(playerId),
    };
  }

  /** @returns The players (not spectators) present in the room. */
  playerCount(): number {
    let count = 0;
    for (const p of this.session.players.values()) if (p.role === PlayerRole.Player) count++;
    return count;
  }
}
