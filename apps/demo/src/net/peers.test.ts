import { createRandom } from '@rbn/determinism';
import { createLocalTransportGroup } from '@rbn/transport-local';
import type { LocalTransport } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import type { DemoPeer } from './peer';
import { SessionPeer } from './session-peer';

const FRAME_MS = 1000 / 60;
const NETWORK = { latency: 50, jitter: 15, packetLoss: 0.1 };

/** Runs frames of virtual time: transports deliver, then every peer ticks with seeded buttons. */
function run(transports: LocalTransport[], peers: DemoPeer[], frames: number, seed: number): void {
  const random = createRandom(seed);
  const held = peers.map(() => 0);
  for (let f = 0; f < frames; f++) {
    for (const t of transports) t.tick(FRAME_MS);
    peers.forEach((peer, i) => {
      const value = random.nextUint32();
      if (value % 10 === 0) held[i] = (value >>> 8) & 31;
      peer.tick(held[i] ?? 0);
    });
  }
}

/** The newest game tick both peers have confirmed, and both hashes there. */
function agreement(a: DemoPeer, b: DemoPeer, from: number) {
  const last = (p: DemoPeer) => p.confirmedTick() + 1 + (p.game.tick - p.currentTick());
  const to = Math.min(last(a), last(b));
  const mismatches: number[] = [];
  let compared = 0;
  for (let t = from; t <= to; t++) {
    const ha = a.hashes.get(t);
    const hb = b.hashes.get(t);
    if (ha === undefined || hb === undefined) continue;
    compared++;
    if (ha !== hb) mismatches.push(t);
  }
  return { to, compared, mismatches };
}

describe('SessionPeer', () => {
  async function twoSessions(seed: number) {
    const group = createLocalTransportGroup(['p1', 'p2'], { ...NETWORK, seed });
    const transports = [...group.values()];
    let now = 0;
    const clock = { now: () => now };
    const [t1, t2] = transports as [LocalTransport, LocalTransport];
    const host = new SessionPeer({ label: 'P1', transport: t1, seed: 1, clock });
    const guest = new SessionPeer({ label: 'P2', transport: t2, seed: 1, clock });
    const roomId = await host.session.createRoom();
    const joined = guest.session.joinRoom(roomId, 'p1');
    for (let f = 0; f < 60 && guest.state() !== 'Lobby'; f++) {
      now += FRAME_MS;
      for (const t of transports) t.tick(FRAME_MS);
      host.tick(0);
      guest.tick(0);
      await Promise.resolve();
    }
    await joined;
    host.session.start();
    const frames = (n: number, s: number) => {
      for (let i = 0; i < n; i++) {
        now += FRAME_MS;
        run(transports, [host, guest], 1, s + i);
      }
    };
    return { host, guest, frames };
  }

  it('plays a room over a lossy link: both peers agree at every confirmed tick (seed 7)', async () => {
    const { host, guest, frames } = await twoSessions(7);
    frames(600, 7);
    expect(host.state()).toBe('Playing');
    const result = agreement(host, guest, 1);
    expect(result.compared, 'seed 7').toBeGreaterThan(500);
    expect(result.mismatches, 'seed 7').toEqual([]);
    expect(host.counters.rollbacks + guest.counters.rollbacks, 'seed 7').toBeGreaterThan(0);
    expect(host.stats().rttMs, 'seed 7').toBeGreaterThan(0);
  });

  it('an induced desync is detected and repaired by a state transfer (seed 11)', async () => {
    const { host, guest, frames } = await twoSessions(11);
    frames(120, 11);
    guest.induceDesync();
    frames(300, 12);
    expect(host.counters.desyncs + guest.counters.desyncs, 'seed 11').toBeGreaterThan(0);
    expect(guest.counters.recoveries, 'seed 11').toBeGreaterThan(0);
    frames(200, 13);
    const result = agreement(host, guest, guest.game.tick - 150);
    expect(result.compared, 'seed 11').toBeGreaterThan(100);
    expect(result.mismatches, 'seed 11').toEqual([]);
  });
});
