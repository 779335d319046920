import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness } from './testing/harness';
import { DesyncAuthority, Topology } from './types';

describe('rollbackEngine (a read-only view)', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`cannot switch off desync detection: two drifted peers still recover (${Topology[topology]}, seed 5)`, async () => {
      const seed = 5;
      const transports = createLocalTransportGroup(['p0', 'p1'], { latency: 20, seed });
      const h = new Harness(transports, seed, {
        topology,
        desyncAuthority: DesyncAuthority.Host,
        hashInterval: 20,
      });
      await h.start();
      const logged: number[] = [];
      for (const p of h.peers) {
        const view = p.session.rollbackEngine!;
        // The footgun of a live engine: a user "logging hashes" replaced the session's hook.
        try {
          (view as unknown as { onConfirmedHash: unknown }).onConfirmedHash = () => {};
        } catch {
          // A frozen view refuses the assignment; either way the session's wiring stays.
        }
        expect('onConfirmedHash' in view, `seed ${seed}`).toBe(false);
        p.session.on('confirmedHash', (tick) => logged.push(tick));
      }
      h.peers[1]!.game.perturbAt.add(50);
      h.run(300);
      h.inputsChange = false;
      h.run(120);
      expect(
        h.peers.some((p) => p.desyncs.length > 0),
        `seed ${seed}: desync seen`,
      ).toBe(true);
      expect(h.peers[1]!.synced.length, `seed ${seed}: p1 loaded a state`).toBeGreaterThan(0);
      const { hashes } = h.confirmedHashes();
      expect(new Set(hashes).size, `seed ${seed}: ${hashes.join()}`).toBe(1);
      expect(logged.length, `seed ${seed}: confirmedHash events`).toBeGreaterThan(0);
      expect(
        logged.every((t) => t % 20 === 0),
        `seed ${seed}`,
      ).toBe(true);
    });
  }

  it('hands out copies: changing a snapshot does not change the game (seed 6)', async () => {
    const seed = 6;
    const h = new Harness(createLocalTransportGroup(['p0', 'p1'], { seed }), seed);
    await h.start();
    h.run(60);
    const view = h.host.session.rollbackEngine!;
    const before = view.getConfirmedState();
    before.state.fill(0xff);
    expect(view.getConfirmedState().hash, `seed ${seed}`).toBe(before.hash);
    expect(Object.isFrozen(view)).toBe(true);
  });
});
