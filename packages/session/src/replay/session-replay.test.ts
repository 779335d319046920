import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { playReplay } from './index';
import { Harness } from '../testing/harness';
import { TestGame } from '../testing/test-game';
import { Topology } from '../types';

describe('Session replay recording', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`records a game with a late join and a drop that plays back to the same final hash (${Topology[topology]}, seed 41)`, async () => {
      const seed = 41;
      const ids = ['p0', 'p1', 'p2', 'p3'];
      const h = new Harness(
        createLocalTransportGroup(ids, { latency: 30, jitter: 5, packetLoss: 0.05, seed }),
        seed,
        { topology },
      );
      h.peers[1]!.session.startRecording();
      h.host.session.startRecording();
      await h.start(600, 3);
      h.run(150);
      await h.join(3);
      h.run(150);
      h.host.session.dropPlayer('p2');
      h.run(200);
      const blobs = [h.host.session.stopRecording(), h.peers[1]!.session.stopRecording()];
      for (const blob of blobs) {
        expect(blob.length, `seed ${seed}`).toBeLessThan(8000);
        const result = playReplay(blob, new TestGame());
        expect(result.matches, `seed ${seed}`).toBe(true);
        expect(result.finalTick).toBeGreaterThan(400);
      }
      expect(() => h.host.session.stopRecording()).toThrow(/not recording/);
    });
  }

  it('a recording started mid-game plays back from that state', async () => {
    const h = new Harness(createLocalTransportGroup(['p0', 'p1'], { latency: 20, seed: 42 }), 42);
    await h.start();
    h.run(120);
    h.peers[1]!.session.startRecording();
    h.run(200);
    const result = playReplay(h.peers[1]!.session.stopRecording(), new TestGame());
    expect(result.matches).toBe(true);
  });
});
