import type { RollbackEngine } from '@rbn/core';
import type { Link } from './internal/link';
import type { LinkTable } from './links';
import type { SessionConfig } from './types';

/**
 * Automatic input delay (`inputDelayTicks: 'auto'`): each peer sets its own input delay from
 * the latency it measures to the peers it exchanges inputs with, so that a remote input
 * typically arrives about {@link TARGET_ROLLBACK_TICKS} ticks after its tick.
 *
 * Why the delay changes at a tick of the peer's own choosing, with no agreement: the delay only
 * decides which tick a local input is scheduled for, and every input travels with its tick.
 * Each tick of a player gets exactly one input, decided once, by that player (a longer delay
 * fills the ticks it skips with the previous input; a shorter one schedules the next input
 * after the last one scheduled, skipping only repeats until it has caught up), and every peer
 * steps that tick with that input. No tick is left without an input or given two, and no
 * change of input is lost, whatever tick the change happens at on each peer. The others only
 * see the player's inputs arrive a little earlier or later, as with any change of latency.
 * `auto-delay.test.ts` pins it: peers change their delays at different ticks, up and down,
 * while their inputs change every other frame; every peer steps every tick with the same
 * inputs, and each player's inputs by tick are the ones it gave, repeats aside.
 */

/** The rollback depth the automatic delay aims at: up to this many ticks are resimulated. */
export const TARGET_ROLLBACK_TICKS = 2;
/** The longest delay chosen automatically, in ticks (100 ms at 60 Hz). */
export const MAX_AUTO_DELAY_TICKS = 6;
/** How long a higher delay must be called for before it is taken, in ms. */
export const RAISE_AFTER_MS = 500;
/** How long a lower delay must be called for before it is taken, in ms. */
export const LOWER_AFTER_MS = 3000;

/**
 * The delay that makes a remote input arrive about {@link TARGET_ROLLBACK_TICKS} ticks late.
 * @param oneWayMs - The worst link's one-way latency, with a margin for jitter.
 * @param frameMs - One tick, in ms.
 * @returns The delay in ticks, 0 to {@link MAX_AUTO_DELAY_TICKS}.
 */
export function delayFor(oneWayMs: number, frameMs: number): number {
  // The input leaves on the frame of its tick and is used on the first frame after it arrives.
  const lateTicks = Math.ceil(oneWayMs / frameMs) + 1;
  return Math.max(0, Math.min(MAX_AUTO_DELAY_TICKS, lateTicks - TARGET_ROLLBACK_TICKS));
}

/** The worst one-way latency over the links with an RTT, plus twice their RTT deviation. */
export function worstOneWayMs(links: readonly Link[]): number {
  let worst = -1;
  for (const link of links) {
    if (!link.hasRtt) continue;
    const oneWay = link.rtt / 2 + 2 * link.rttDeviation;
    if (oneWay > worst) worst = oneWay;
  }
  return worst;
}

/** The automatic delay of one session: measures every frame, changes with hysteresis. */
export class AutoDelay {
  #wanted = -1;
  #wantedSince = 0;

  /**
   * One frame (with `inputDelayTicks: 'auto'`; otherwise nothing): if the delay the links call
   * for has differed from the engine's for long enough (raising quickly, lowering slowly), the
   * engine takes it.
   * @returns The engine's delay after this frame.
   */
  frame(engine: RollbackEngine, links: LinkTable, cfg: SessionConfig, now: number): number {
    const current = engine.inputDelayTicks;
    if (cfg.inputDelayTicks !== 'auto') return current;
    const frameMs = 1000 / cfg.tickRate;
    const oneWay = worstOneWayMs(links.list);
    const wanted = oneWay < 0 ? current : delayFor(oneWay, frameMs);
    if (wanted === current) {
      this.#wanted = -1;
      return current;
    }
    if (wanted !== this.#wanted) {
      this.#wanted = wanted;
      this.#wantedSince = now;
      return current;
    }
    const hold = wanted > current ? RAISE_AFTER_MS : LOWER_AFTER_MS;
    if (now - this.#wantedSince < hold) return current;
    engine.inputDelayTicks = wanted;
    this.#wanted = -1;
    return wanted;
  }
}
