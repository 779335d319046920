// End to end: two game loops driven by createFrameScheduler with skewed clocks. With the
// session's frameDelayMultiplier fed to the scheduler, the peer that runs ahead slows down and
// both peers roll back about as much; without it, the fast peer does nearly all the rolling back.
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness, settle } from './testing/harness';
import { scheduledInput } from './testing/test-game';
import { createFrameScheduler } from './frame-scheduler';

type LoopResult = { rollbackTicks: number[]; ticks: number[]; multiplierMax: number };

/**
 * Runs `seconds` of real time in 1 ms steps. Peer i's wall clock runs at `rates[i]` × real time
 * and starts `offsets[i]` ms early; each peer draws an animation frame every 1000/60 ms of its
 * own clock, asks its scheduler how many ticks to run, and ticks its session that many times.
 */
async function skewedLoops(
  seed: number,
  rates: number[],
  offsets: number[],
  timeSync: boolean,
  seconds: number,
): Promise<LoopResult> {
  const h = new Harness(createLocalTransportGroup(['p0', 'p1'], { latency: 40, seed }), seed);
  await h.start();
  h.run(30); // both playing, RTT measured
  const result: LoopResult = { rollbackTicks: [0, 0], ticks: [0, 0], multiplierMax: 1 };
  const clocks = offsets.slice();
  const schedulers = h.peers.map((_, i) =>
    createFrameScheduler({ tickRate: 60, now: () => clocks[i]! }),
  );
  const nextFrame = h.peers.map(() => 0);
  const frameMs = 1000 / 60;
  for (let ms = 0; ms < seconds * 1000; ms++) {
    h.peers.forEach((peer, i) => {
      clocks[i]! += rates[i]!;
      if (clocks[i]! < nextFrame[i]!) return;
      nextFrame[i]! += frameMs;
      const scheduler = schedulers[i]!;
      if (timeSync) scheduler.frameDelayMultiplier = peer.session.frameDelayMultiplier;
      result.multiplierMax = Math.max(result.multiplierMax, scheduler.frameDelayMultiplier);
      for (let n = scheduler.frame(); n > 0; n--) {
        const r = peer.session.tick(scheduledInput(seed, i, result.ticks[i]!));
        result.ticks[i]!++;
        if (r.rolledBack && ms > 5000) result.rollbackTicks[i]! += r.rollbackTicks;
      }
    });
    for (const peer of h.peers) peer.transport.tick(1);
    if (ms % 100 === 0) await settle();
  }
  h.inputsChange = false;
  h.run(90);
  const { hashes } = h.confirmedHashes();
  expect(new Set(hashes).size, `seed ${seed}: hashes ${hashes.join()}`).toBe(1);
  return result;
}

function asymmetry(r: LoopResult): number {
  const [a, b] = r.rollbackTicks as [number, number];
  return Math.max(a, b) / Math.max(1, Math.min(a, b));
}

describe('createFrameScheduler with Session.frameDelayMultiplier', () => {
  // p0's clock runs 1.5 % fast and it started 250 ms (15 ticks) early.
  const rates = [1.001, 1];
  const offsets = [250, 0];

  it('makes rollbacks symmetric between two peers with skewed clocks (seed 51)', async () => {
    const synced = await skewedLoops(51, rates, offsets, true, 20);
    expect(synced.multiplierMax, 'seed 51').toBeGreaterThan(1);
    expect(
      asymmetry(synced),
      `seed 51: rollback ticks ${synced.rollbackTicks.join(' vs ')}`,
    ).toBeLessThan(1.6);
  });

  it('without the multiplier the fast peer does most of the rolling back (the control, seed 51)', async () => {
    const free = await skewedLoops(51, rates, offsets, false, 20);
    expect(free.rollbackTicks[0]!, 'seed 51').toBeGreaterThan(free.rollbackTicks[1]!);
    expect(
      asymmetry(free),
      `seed 51: rollback ticks ${free.rollbackTicks.join(' vs ')}`,
    ).toBeGreaterThan(2);
  });
});
