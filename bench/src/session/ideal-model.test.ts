import { describe, expect, it } from 'vitest';
import { idealModel } from './ideal-model';

const base = { frames: 600, seed: 11, inputSeed: 12 };
const RTT_0 = { latency: 0, jitter: 0, packetLoss: 0 };
const RTT_100 = { latency: 50, jitter: 5, packetLoss: 0 };

describe('idealModel', () => {
  it('relays on receipt: at RTT 0 a star guest rolls back one tick, never more', () => {
    const star = idealModel({ ...base, players: 4, mesh: false, conditions: RTT_0 });
    expect(star.rollbacks).toBeGreaterThan(0);
    expect(star.maxRollbackDepth).toBe(1);
  });

  it('rolls back only for a wrong prediction, never for an input that only came late', () => {
    // Inputs change every 8 frames: without changes there would be nothing to resimulate.
    const o = idealModel({ ...base, players: 2, mesh: true, conditions: RTT_100 });
    expect(o.rollbacks).toBeLessThan(base.frames * 2 * 0.25);
    expect(o.maxRollbackDepth).toBeLessThanOrEqual(4);
  });

  it('resimulates more through a star relay than over a direct mesh link', () => {
    const star = idealModel({ ...base, players: 4, mesh: false, conditions: RTT_100 });
    const mesh = idealModel({ ...base, players: 4, mesh: true, conditions: RTT_100 });
    expect(star.stepsPerFrame).toBeGreaterThan(mesh.stepsPerFrame);
  });

  it('loses no more than a frame or two per lost packet: it sends every input until it arrives', () => {
    const clean = idealModel({ ...base, players: 2, mesh: true, conditions: RTT_100 });
    const lossy = idealModel({
      ...base,
      players: 2,
      mesh: true,
      conditions: { ...RTT_100, packetLoss: 0.05 },
    });
    expect(lossy.maxRollbackDepth).toBeGreaterThan(clean.maxRollbackDepth);
    expect(lossy.maxRollbackDepth).toBeLessThanOrEqual(clean.maxRollbackDepth + 4);
  });
});
