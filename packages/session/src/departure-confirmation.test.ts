// A mesh player holds another player's inputs straight from it, possibly past the newest the
// host received. When the host drops that player, the leave tick follows the host's newest
// input, and the host's confirmed tick jumps past it; its settled tick (on the unreliable acks)
// can reach a player before the reliable departure does.
import { MessageType } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness } from './testing/harness';
import type { Peer } from './testing/harness';
import { Topology } from './types';

describe('a departure in mesh', () => {
  it('a player that hears of it late confirms no state with the inputs the departed player made from the leave tick on', async () => {
    const seed = 1104;
    const transports = createLocalTransportGroup(['p0', 'p1', 'p2'], {
      latency: 20,
      jitter: 5,
      seed,
    });
    const h = new Harness(transports, seed, { topology: Topology.Mesh, hashInterval: 1 });
    await h.start();
    h.run(60);
    const [host, guest] = h.peers as [Peer, Peer, Peer];
    // p2's inputs reach the host 200 ms late, p1 at once: p1 holds more of them.
    transports.get('p2')!.setLinkConditions('p0', { latency: 200 });
    h.run(30);
    // The reliable DropPlayer to p1 is held back 60 frames (a retransmission on a real data
    // channel), while the host's acks reach it on the unreliable channel.
    const t1 = transports.get('p1')!;
    const deliver = t1.onMessage!;
    const held: [string, Uint8Array][] = [];
    t1.onMessage = (from, bytes) => {
      if (bytes[0] === MessageType.DropPlayer) held.push([from, bytes]);
      else deliver(from, bytes);
    };
    // Every frame, the states p0 and p1 newly confirmed: a confirmed state is final.
    const confirmed = new Map<string, Map<number, number>>([
      ['p0', new Map()],
      ['p1', new Map()],
    ]);
    const run = (frames: number): void => {
      for (let i = 0; i < frames; i++) {
        h.runFrame();
        for (const p of [host, guest]) {
          const seen = confirmed.get(p.id)!;
          for (let t = p.session.confirmedTick; t > 0 && !seen.has(t); t--) {
            seen.set(t, p.session.rollbackEngine?.getSnapshot(t)?.hash ?? -1);
          }
        }
      }
    };
    host.session.dropPlayer('p2');
    run(60);
    expect(held.length, `seed ${seed}: the host never dropped p2`).toBe(1);
    for (const [from, bytes] of held.splice(0)) deliver(from, bytes);
    run(120);
    const mine = confirmed.get('p1')!;
    const theirs = confirmed.get('p0')!;
    const differ = [...mine].filter(
      ([tick, hash]) => hash >= 0 && (theirs.get(tick) ?? hash) !== hash,
    );
    expect(differ, `seed ${seed}: ticks p1 confirmed differently from the host`).toEqual([]);
    expect(guest.session.confirmedTick, `seed ${seed}: p1 stopped confirming`).toBeGreaterThan(
      h.host.session.confirmedTick - 30,
    );
    expect(guest.desyncs).toEqual([]);
  });
});
