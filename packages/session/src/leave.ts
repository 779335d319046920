import type { RollbackEngine } from '@rbn/core';
import type { Tick } from '@rbn/protocol';
import type { Member } from './roster';
import { PlayerRole } from './types';

/**
 * Host: the first tick a departing member's inputs stop counting. It is the tick after the
 * last input of that player the host holds: in star every other peer gets that player's inputs
 * through the host, so nobody has confirmed anything later; in mesh the host forwards the
 * departed player's last inputs to everyone (see {@link planLinks}).
 * @returns The tick, or -1 when no game runs (or the member never joined it).
 */
export function chooseLeaveTick(engine: RollbackEngine | null, member: Member): Tick {
  if (!engine || member.joinTick < 0) return -1;
  if (member.role !== PlayerRole.Player || !engine.hasPlayer(member.playerId)) {
    return engine.currentTick;
  }
  return Math.max(engine.getReceivedTick(member.playerId) + 1, member.joinTick);
}

/**
 * The tick a member's departure is recorded at, and whether the engine removes the player then.
 * @param tick - The announced leave tick (-1 when no game runs).
 */
export function departureTick(
  engine: RollbackEngine | null,
  member: Member,
  tick: Tick,
): { leaveTick: Tick; removeFromEngine: boolean } {
  if (
    engine &&
    member.role === PlayerRole.Player &&
    engine.hasPlayer(member.playerId) &&
    tick >= 0
  ) {
    return { leaveTick: Math.max(tick, member.joinTick), removeFromEngine: true };
  }
  return { leaveTick: Math.max(tick, 0), removeFromEngine: false };
}
