import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness, localHarness as harness } from './testing/harness';
import { DesyncAuthority, Topology } from './types';

describe('Session gameplay', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    for (const n of [2, 3, 4]) {
      it(`${n} players in ${Topology[topology]} reach identical confirmed states with changing inputs (seed ${n * 10 + topology})`, async () => {
        const seed = n * 10 + topology;
        const h = harness(n, seed, { latency: 20, jitter: 5 }, { topology });
        await h.start();
        h.run(600);
        h.inputsChange = false;
        h.run(60);
        const { tick, hashes } = h.confirmedHashes();
        expect(tick, `seed ${seed}`).toBeGreaterThan(550);
        expect(new Set(hashes).size, `seed ${seed} hashes ${hashes.join()}`).toBe(1);
        expect(hashes[0]).toBeTypeOf('number');
        for (const p of h.peers) {
          expect(p.desyncs, `seed ${seed} ${p.id}`).toEqual([]);
          expect(
            p.errors.map((e) => e.error.message),
            `seed ${seed} ${p.id}`,
          ).toEqual([]);
        }
      });
    }
  }
});

describe('Session rollback', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`rolls back under 50 ms latency in ${Topology[topology]} and still converges (seed 7)`, async () => {
      const seed = 7;
      const h = harness(3, seed, { latency: 50, jitter: 10, packetLoss: 0.05 }, { topology });
      await h.start();
      h.run(600);
      h.inputsChange = false;
      h.run(90);
      for (const p of h.peers) expect(p.rollbacks, `seed ${seed} ${p.id}`).toBeGreaterThan(10);
      const { tick, hashes } = h.confirmedHashes();
      expect(tick, `seed ${seed}`).toBeGreaterThan(600);
      expect(new Set(hashes).size, `seed ${seed} hashes ${hashes.join()}`).toBe(1);
      for (const p of h.peers) expect(p.desyncs, `seed ${seed} ${p.id}`).toEqual([]);
    });
  }
});

describe('Session desync recovery', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    for (const authority of [DesyncAuthority.Host, DesyncAuthority.Peer]) {
      for (const victim of [0, 2]) {
        const name = `${Topology[topology]} × ${DesyncAuthority[authority]}`;
        it(`${name}: a desync induced on peer ${victim} is detected and recovered, and hashes agree again (seed 99)`, async () => {
          const seed = 99;
          const h = harness(
            3,
            seed,
            { latency: 20, jitter: 4 },
            { topology, desyncAuthority: authority, hashInterval: 20 },
          );
          await h.start();
          h.peers[victim]!.game.perturbAt.add(50);
          h.run(300);
          h.inputsChange = false;
          h.run(60);
          const detected = h.peers.filter((p) => p.desyncs.length > 0);
          expect(detected.length, `seed ${seed}`).toBeGreaterThan(0);
          const synced = h.peers.filter((p) => p.synced.length > 0).map((p) => p.id);
          if (authority === DesyncAuthority.Host && victim === 0) {
            // The host's state is the truth: the other peers take it.
            expect(synced.sort(), `seed ${seed}`).toEqual(['p1', 'p2']);
          } else {
            expect(synced, `seed ${seed}`).toEqual([`p${victim}`]);
          }
          const { tick, hashes } = h.confirmedHashes();
          expect(tick).toBeGreaterThan(300);
          expect(new Set(hashes).size, `seed ${seed} hashes ${hashes.join()}`).toBe(1);
          // After recovery no new desync is reported.
          const late = h.peers.flatMap((p) => p.desyncs.filter((d) => d.tick > 200));
          expect(late, `seed ${seed}`).toEqual([]);
        });
      }
    }
  }

  for (const topology of [Topology.Star, Topology.Mesh]) {
    for (const desyncAuthority of [DesyncAuthority.Host, DesyncAuthority.Peer]) {
      it(`${Topology[topology]} × ${DesyncAuthority[desyncAuthority]}: rapid repeated desyncs under latency never deadlock at the speculation limit (seed 5)`, async () => {
        const seed = 5;
        const h = harness(
          3,
          seed,
          { latency: 60, jitter: 10, packetLoss: 0.02 },
          { topology, desyncAuthority, hashInterval: 10, maxSpeculationTicks: 20 },
        );
        await h.start();
        for (let t = 30; t < 400; t += 13) h.peers[1]!.game.perturbAt.add(t);
        h.run(700);
        const confirmedMid = h.peers.map((p) => p.session.confirmedTick);
        h.inputsChange = false;
        h.run(300);
        for (const [i, p] of h.peers.entries()) {
          expect(p.session.confirmedTick, `seed ${seed} ${p.id}`).toBeGreaterThan(
            confirmedMid[i]! + 250,
          );
          expect(p.synced.length, `seed ${seed} ${p.id}`).toBeGreaterThanOrEqual(i === 1 ? 5 : 0);
        }
        const { hashes } = h.confirmedHashes();
        expect(new Set(hashes).size, `seed ${seed} hashes ${hashes.join()}`).toBe(1);
      });
    }
  }
});

describe('Session step() inputs order', () => {
  it('hands step() the inputs in ascending player id order, not join order, the same on every peer (seed 41)', async () => {
    const seed = 41;
    const h = new Harness(
      createLocalTransportGroup(['p0', 'p1', 'a'], { latency: 20, seed }),
      seed,
    );
    const orders = h.peers.map(() => new Set<string>());
    h.peers.forEach((p, i) => {
      const step = p.game.step.bind(p.game);
      p.game.step = (inputs) => {
        orders[i]!.add([...inputs.keys()].join());
        step(inputs);
      };
    });
    await h.start(600, 2);
    h.run(60);
    await h.join(2);
    h.run(120);
    // Before the late joiner 'a' counts only p0 and p1 play (it simulates those ticks too);
    // from its join tick on it comes first: ids sort, join order does not matter.
    for (const [i, seen] of orders.entries()) {
      expect([...seen], `seed ${seed} peer ${i}`).toEqual(['p0,p1', 'a,p0,p1']);
    }
  });
});
