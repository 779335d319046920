import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness } from './testing/harness';
import { PlayerRole } from './types';

describe('Spectator stream delay', () => {
  it('a spectator of a healthy 4-player game shows no stall after warm-up and never rolls back (seed 31)', async () => {
    const seed = 31;
    const ids = ['p0', 'p1', 'p2', 'p3', 'spec'];
    const h = new Harness(createLocalTransportGroup(ids, { latency: 30, jitter: 5, seed }), seed);
    const spectator = h.peers[4]!;
    spectator.session.setLocalRole(PlayerRole.Spectator);
    await h.start(600, 4);
    await h.join(4);
    h.run(120); // warm-up: the spectator fills its buffer
    const stallsBefore = spectator.stalls;
    let advanced = 0;
    let rolledBack = 0;
    for (let f = 0; f < 600; f++) {
      const before = spectator.session.currentTick;
      h.runFrame();
      if (spectator.session.currentTick > before) advanced++;
      rolledBack += spectator.session.rollbackEngine!.stats.rollbacks;
    }
    expect(spectator.stalls - stallsBefore, `seed ${seed}`).toBe(0);
    expect(rolledBack, `seed ${seed}`).toBe(0);
    // It keeps pace with the game (no slow drift behind it).
    expect(advanced, `seed ${seed}`).toBeGreaterThan(560);
    const trailing = h.host.session.currentTick - spectator.session.currentTick;
    expect(trailing, `seed ${seed}`).toBeLessThan(40);
  });
});
