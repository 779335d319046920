import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { GOODBYE_WINDOW_MS } from './goodbye';
import { Harness } from './testing/harness';
import { SessionState, Topology } from './types';

/**
 * A goodbye heard through another channel (`Session.reportPeerLeft`, the signaling server's
 * `peer-left`): it makes a member depart only when the host's own link to it is gone or goes.
 */

function room(seed: number, topology: Topology) {
  const transports = createLocalTransportGroup(['p0', 'p1', 'p2'], {
    latency: 20,
    jitter: 5,
    seed,
  });
  const h = new Harness(transports, seed, { topology, reconnectWindowMs: 60_000 });
  const left: string[] = [];
  const away: string[] = [];
  h.host.session.on('playerLeft', (info) => left.push(info.playerId));
  h.host.session.on('playerAway', (id) => away.push(id));
  /** p2's page closes: every link of it drops (its own PlayerLeft never got out). */
  const closePage = (): void => {
    LocalTransport.unlink(transports.get('p2')!, transports.get('p0')!);
    LocalTransport.unlink(transports.get('p2')!, transports.get('p1')!);
  };
  return { h, left, away, closePage };
}

describe.each([
  ['star', Topology.Star, 2101],
  ['mesh', Topology.Mesh, 2102],
])('a goodbye through the signaling server (%s)', (_name, topology, seed) => {
  it('a player whose link closed departs at once instead of being kept for a reconnect', async () => {
    const { h, left, away, closePage } = room(seed, topology);
    await h.start();
    h.run(60);
    closePage();
    h.run(5);
    // Without the notice the host keeps the slot: p2 is away, waiting for a reconnect.
    expect(left, `seed ${seed}`).toEqual([]);
    expect(away, `seed ${seed}`).toEqual(['p2']);
    h.host.session.reportPeerLeft('p2');
    expect(left, `seed ${seed}`).toEqual(['p2']);
    expect(h.host.session.players.has('p2')).toBe(false);
    // Nothing comes back for it later (its reconnect window is spent), and the rest play on.
    h.run(120);
    expect(left, `seed ${seed}`).toEqual(['p2']);
    expect(h.peers[1]!.session.players.has('p2'), `seed ${seed}`).toBe(false);
    expect(h.host.errors, `seed ${seed}`).toEqual([]);
  });

  it('a notice while the link works changes nothing; the link dropping soon after departs', async () => {
    const { h, left, away, closePage } = room(seed + 10, topology);
    await h.start();
    h.run(60);
    h.host.session.reportPeerLeft('p2');
    h.run(120); // 2 s: the link still works, so the player stays and plays
    expect(left, `seed ${seed}`).toEqual([]);
    expect(h.host.session.players.has('p2')).toBe(true);
    const tick = h.peers[2]!.session.currentTick;
    h.run(30);
    expect(h.peers[2]!.session.currentTick).toBeGreaterThan(tick + 20);
    closePage();
    h.run(3);
    expect(left, `seed ${seed}`).toEqual(['p2']);
    expect(away, `seed ${seed}`).toEqual([]);
  });

  it('a notice is forgotten after its window: a later drop keeps the slot as usual', async () => {
    const { h, left, away, closePage } = room(seed + 20, topology);
    await h.start();
    h.run(60);
    h.host.session.reportPeerLeft('p2');
    h.run(Math.ceil(GOODBYE_WINDOW_MS / h.frameMs) + 60);
    closePage();
    h.run(60);
    expect(left, `seed ${seed}`).toEqual([]);
    expect(away, `seed ${seed}`).toEqual(['p2']);
    expect(h.host.session.players.has('p2')).toBe(true);
  });

  it('a member that is not the host ignores the notice; an unknown peer changes nothing', async () => {
    const { h, left, closePage } = room(seed + 30, topology);
    await h.start();
    h.run(60);
    const member = h.peers[1]!.session;
    const memberLeft: string[] = [];
    member.on('playerLeft', (info) => memberLeft.push(info.playerId));
    h.host.session.reportPeerLeft('nobody');
    member.reportPeerLeft('p2');
    member.reportPeerLeft('p0');
    h.run(30);
    expect(memberLeft).toEqual([]);
    expect(left).toEqual([]);
    expect(member.state).toBe(SessionState.Playing);
    expect(() => member.reportPeerLeft(42 as unknown as string)).toThrow(/peerId/);
    closePage();
    h.run(5);
    expect(left, `seed ${seed}`).toEqual([]);
  });
});
