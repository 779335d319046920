// A confirmed state is final: whatever members stop ticking, step away, come back or stall the
// host, every state a peer has confirmed hashes the same on every peer that confirmed it.
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness } from './testing/harness';
import type { Peer } from './testing/harness';
import { seededRandom } from './testing/random';
import { scheduledInput } from './testing/test-game';
import { SessionState, Topology } from './types';

describe.each([
  ['star', Topology.Star],
  ['mesh', Topology.Mesh],
])('confirmed states are final (%s)', (_name, topology) => {
  // Seed 123: in mesh, a player steps away while a member still acknowledged its inputs straight
  // from it (the host then skipped the stand-ins the member needed; see `meshAckCap`).
  it.each([...Array.from({ length: 12 }, (_, i) => i + 1), 123])(
    'seed %i: peers (the host too) freeze and step away at random',
    async (seed) => {
      const ids = ['p0', 'p1', 'p2'];
      const net = createLocalTransportGroup(ids, { latency: 40, jitter: 20, seed, reorder: 0.1 });
      const h = new Harness(net, seed, { topology, reconnectWindowMs: 5000 });
      await h.start();
      const rand = seededRandom(seed);
      const frozenUntil = new Map<Peer, number>();
      const recorded = new Map<number, { hash: number; peer: string }>();
      const mismatches: string[] = [];
      for (let frame = 0; frame < 1500; frame++) {
        const f = h.frame++;
        if (frame < 1200 && rand() < 0.01) {
          const peer = h.peers[Math.floor(rand() * 3)]!;
          frozenUntil.set(peer, frame + 10 + Math.floor(rand() * 80));
        }
        if (frame < 1200 && rand() < 0.005) {
          const peer = h.peers[1 + Math.floor(rand() * 2)]!;
          const away = rand() < 0.5;
          if (peer.session.state === SessionState.Playing && !peer.session.isHost)
            peer.session.setAway(away);
        }
        h.peers.forEach((peer, index) => {
          if ((frozenUntil.get(peer) ?? -1) > frame) return;
          if (peer.session.state === SessionState.Disconnected) return;
          const r = peer.session.tick(scheduledInput(seed, index, f));
          const hash =
            r.confirmedTick > 0
              ? peer.session.rollbackEngine?.getSnapshot(r.confirmedTick)?.hash
              : undefined;
          if (hash === undefined) return;
          const first = recorded.get(r.confirmedTick);
          if (!first) recorded.set(r.confirmedTick, { hash, peer: peer.id });
          else if (first.hash !== hash && mismatches.length < 5) {
            mismatches.push(
              `tick ${r.confirmedTick}: ${first.peer} ${first.hash}, ${peer.id} ${hash} (frame ${frame})`,
            );
          }
        });
        for (const peer of h.peers) peer.transport.tick(h.frameMs);
      }
      expect(mismatches, `seed ${seed}`).toEqual([]);
      expect(recorded.size, `seed ${seed}: too little was confirmed`).toBeGreaterThan(300);
    },
  );
});
