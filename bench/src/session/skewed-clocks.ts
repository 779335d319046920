// Real game loops with skewed clocks, the one part of the session suite that is not lockstep.
import { createFrameScheduler } from '@rbn/session';
import { inputFor } from './games';
import type { Room } from './peers';
import type { LinkConditions } from './trace-network';

const FRAME_MS = 1000 / 60;

/** What a skewed-clock run measured for one library. */
export type SkewOutcome = {
  /** Ticks each peer resimulated after the first 5 s. */
  rollbackTicks: number[];
  /** Ticks each peer advanced (stalled calls do not count). */
  ticks: number[];
  multiplierMax: number;
  converged: boolean;
};

/** How the clocks disagree. */
export type Skew = { rates: number[]; offsets: number[]; seconds: number };

async function microtasks(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

/**
 * `skew.seconds` of real time in 1 ms steps; peer i's clock runs at `rates[i]` × real time and
 * starts `offsets[i]` ms early. Each peer draws an animation frame every 1000/60 ms of its own
 * clock and runs as many ticks as its `createFrameScheduler` says are due, fed the library's
 * time-sync multiplier (rollback-netcode has none, so it stays 1). Then the inputs stop changing
 * and the peers must agree on a state.
 * @param room - A started room.
 * @param conditions - The network.
 * @param seed - Seeds the inputs.
 * @param skew - The clocks.
 * @returns Resimulated and advanced ticks per peer, the largest multiplier, convergence.
 */
export async function runSkewed(
  room: Room,
  conditions: LinkConditions,
  seed: number,
  skew: Skew,
): Promise<SkewOutcome> {
  const { peers, network } = room;
  network.startTrace(conditions);
  const clocks = skew.offsets.slice();
  const schedulers = peers.map((_, i) =>
    createFrameScheduler({ tickRate: 60, now: () => clocks[i]! }),
  );
  const nextFrame = peers.map(() => 0);
  const calls = peers.map(() => 0);
  const outcome: SkewOutcome = {
    rollbackTicks: peers.map(() => 0),
    ticks: peers.map(() => 0),
    multiplierMax: 1,
    converged: false,
  };
  for (let ms = 0; ms < skew.seconds * 1000; ms++) {
    peers.forEach((peer, i) => {
      clocks[i] = clocks[i]! + skew.rates[i]!;
      if (clocks[i] < nextFrame[i]!) return;
      nextFrame[i] = nextFrame[i]! + FRAME_MS;
      const scheduler = schedulers[i]!;
      scheduler.frameDelayMultiplier = peer.frameDelayMultiplier();
      outcome.multiplierMax = Math.max(outcome.multiplierMax, scheduler.frameDelayMultiplier);
      for (let n = scheduler.frame(); n > 0; n--) {
        const steps = peer.game.steps;
        const tick = peer.currentTick();
        const r = peer.tick(inputFor(seed, i, calls[i]!));
        calls[i] = calls[i]! + 1;
        if (r.advanced) outcome.ticks[i] = outcome.ticks[i]! + 1;
        const resimulated = peer.game.steps - steps - Math.max(0, peer.currentTick() - tick);
        if (ms > 5000) outcome.rollbackTicks[i] = outcome.rollbackTicks[i]! + resimulated;
      }
    });
    network.advance(1);
    if (ms % 100 === 0) await microtasks();
  }
  // Quiet phase in lockstep: constant inputs until every peer can confirm a common state.
  const hashes = peers.map(() => new Map<number, number>());
  for (let f = 0; f < 240; f++) {
    peers.forEach((peer, i) => {
      const r = peer.tick(inputFor(seed, i, 1_000_000));
      if (r.advanced) hashes[i]!.set(peer.currentTick(), peer.game.hash());
    });
    network.advance(FRAME_MS);
  }
  let common = Infinity;
  for (const h of hashes) common = Math.min(common, h.size === 0 ? -1 : Math.max(...h.keys()));
  const atCommon = hashes.map((h) => h.get(common));
  outcome.converged = common > 0 && atCommon.every((h) => h !== undefined && h === atCommon[0]);
  return outcome;
}

/**
 * Ticks resimulated by the most-rolling peer ÷ by the least-rolling peer (1 = symmetric).
 * @param o - A skewed-clock run.
 * @returns The asymmetry.
 */
export function skewAsymmetry(o: SkewOutcome): number {
  return Math.max(...o.rollbackTicks) / Math.max(1, Math.min(...o.rollbackTicks));
}
