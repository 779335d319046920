// Input equivocation (issue 15, hole 4): the host's rule for a digest that differs from its
// own, and no false alarm in an honest mesh game with joins and leaves. The attack itself is in
// hostile-members.test.ts ("hole 4").
import { MessageType, encodeMessage } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { judgeEquivocation } from './equivocation';
import type { Member } from './roster';
import { Harness } from './testing/harness';
import { Topology } from './types';

function member(slot: number): Member {
  return { slot, playerId: `p${slot}`, isHost: slot === 0 } as Member;
}

describe('judgeEquivocation', () => {
  const host = member(0);
  const reporter = member(1);
  const other = member(2);
  it.each([
    ['the host’s own inputs: the reporter lies', host, true, reporter],
    ['the reporter’s own inputs: it sent the host others', reporter, true, reporter],
    ['a third player, first accusation: the accused is dropped', other, true, other],
    ['a third player, second accusation: the accuser is dropped', other, false, reporter],
  ] as const)('%s', (_, subject, credited, culprit) => {
    expect(judgeEquivocation(reporter, subject, credited).culprit).toBe(culprit);
  });
});

describe('InputDigests', () => {
  it('drops nobody in an honest mesh game with a late joiner and a leaver (seed 140)', async () => {
    const ids = ['p0', 'p1', 'p2', 'p3'];
    const h = new Harness(
      createLocalTransportGroup(ids, { latency: 20, jitter: 8, seed: 140 }),
      140,
      {
        topology: Topology.Mesh,
        hashInterval: 10,
      },
    );
    const dropped: string[] = [];
    h.host.session.on('playerDropped', (id) => dropped.push(id));
    await h.start(600, 3);
    h.run(120);
    await h.join(3);
    h.run(120);
    h.peers[2]!.session.leaveRoom();
    h.run(240);
    expect(dropped).toEqual([]);
    const digestErrors = h.peers.flatMap((p) =>
      p.errors.filter((e) => e.context.messageType === MessageType.InputDigest),
    );
    expect(digestErrors).toEqual([]);
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p1', 'p3']);
  });

  it('refuses a digest sent to a non-host and one for a tick that starts no block, and holds a flood of digests within a bound (seed 141)', async () => {
    const h = new Harness(
      createLocalTransportGroup(['p0', 'p1', 'p2'], { latency: 10, seed: 141 }),
      141,
      {
        topology: Topology.Mesh,
        hashInterval: 10,
      },
    );
    await h.start(600, 3);
    h.run(60);
    const send = (to: string, tick: number): void =>
      h.peers[2]!.transport.send(
        to,
        encodeMessage({ type: MessageType.InputDigest, slot: 1, tick, digest: 1 }),
        true,
      );
    send('p1', 10);
    send('p0', 15);
    h.run(3);
    const messages = (i: number): string[] =>
      h.peers[i]!.errors.filter((e) => e.context.peerId === 'p2').map((e) => e.error.message);
    expect(messages(1)).toEqual([expect.stringMatching(/input digests go to the host/)]);
    expect(messages(0)).toEqual([expect.stringMatching(/tick 15, which starts no block/)]);
    expect(h.host.session.players.size).toBe(3);
    // A flood of digests for blocks to come is held within a bound until they are compared.
    for (let i = 0; i < 2000; i++) send('p0', h.host.session.currentTick + 10 + (i % 30) * 10);
    h.run(1);
    const internals = h.host.session as unknown as { desync: { digests: { heldCount: number } } };
    expect(internals.desync.digests.heldCount).toBeLessThanOrEqual(256 + 8 * 3);
  });
});
