import { MessageType, decodeMessage, encodeMessage } from '@rbn/protocol';
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { createSession } from './session';
import { Harness, settle } from './testing/harness';
import { TestGame } from './testing/test-game';
import { PlayerRole, SessionState, Topology } from './types';
import type { SessionConfig } from './types';

function harness(
  seed: number,
  config: Partial<SessionConfig>,
): {
  h: Harness;
  transports: Map<string, LocalTransport>;
} {
  const transports = createLocalTransportGroup(['p0', 'p1', 'p2'], {
    latency: 20,
    jitter: 5,
    seed,
  });
  return { h: new Harness(transports, seed, config), transports };
}

function expectConverged(h: Harness): void {
  h.inputsChange = false;
  h.run(240);
  const { tick, hashes } = h.confirmedHashes();
  expect(new Set(hashes).size, `seed ${h.seed}: hashes at ${tick}: ${hashes.join()}`).toBe(1);
  for (const p of h.peers) expect(p.desyncs, `seed ${h.seed}: ${p.id}`).toEqual([]);
}

describe.each([
  ['star', Topology.Star, 1801],
  ['mesh', Topology.Mesh, 1802],
])('reconnect into the same slot (%s)', (_name, topology, seed) => {
  it('a guest whose link to the host drops and returns rejoins in its old slot', async () => {
    const { h, transports } = harness(seed, { topology });
    await h.start();
    h.run(60);
    const guest = h.peers[2]!;
    const before = guest.session.players.get('p2')!;
    const left: string[] = [];
    for (const p of h.peers) p.session.on('playerLeft', (info) => left.push(info.playerId));
    LocalTransport.unlink(transports.get('p2')!, transports.get('p0')!);
    h.run(180); // 3 s without a link to the host
    // Nobody left: the host keeps the slot, and the others keep playing meanwhile.
    expect(left).toEqual([]);
    expect(guest.session.state).toBe(SessionState.Playing);
    const hostTick = h.host.session.currentTick;
    h.run(60);
    expect(h.host.session.currentTick).toBeGreaterThan(hostTick + 50);
    LocalTransport.link(transports.get('p2')!, transports.get('p0')!);
    // The reconnect is a transport connect (a promise): let it settle between frames.
    await h.runSettled(180);
    expect(guest.session.players.get('p2')).toEqual(before);
    expect(h.host.session.players.get('p2')).toEqual({ ...before, isLocal: false });
    expect(h.peers.map((p) => p.session.players.size)).toEqual([3, 3, 3]);
    // It plays again: its own inputs count (it is not away any more on the host).
    const guestTick = guest.session.currentTick;
    h.run(60);
    expect(guest.session.currentTick).toBeGreaterThan(guestTick + 50);
    expectConverged(h);
    expect(left).toEqual([]);
  });
  it('a guest whose every link drops returns to its slot; it does not host alone, though the only other guest is away', async () => {
    const { h, transports } = harness(seed + 10, { topology });
    await h.start();
    h.run(60);
    const guest = h.peers[2]!;
    const before = guest.session.players.get('p2')!;
    const hosts: string[] = [];
    const away: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => hosts.push(`${p.id}:${id}`));
    guest.session.on('playerAway', (id) => away.push(id));
    // p1 steps out: in p2's view the successor of the host is p2 itself.
    h.peers[1]!.session.setAway(true);
    h.run(30);
    expect(away).toEqual(['p1']);
    const [p0, p1, p2] = ['p0', 'p1', 'p2'].map((id) => transports.get(id)!);
    LocalTransport.unlink(p2!, p0!);
    LocalTransport.unlink(p2!, p1!);
    h.run(180); // 3 s without any link: p2 cannot tell its own drop from the host's loss
    expect(hosts).toEqual([]);
    expect(guest.session.isHost).toBe(false);
    expect(guest.session.state).toBe(SessionState.Playing);
    LocalTransport.link(p2!, p0!);
    LocalTransport.link(p2!, p1!);
    await h.runSettled(180);
    expect(hosts).toEqual([]);
    expect(h.host.session.isHost).toBe(true);
    expect(guest.session.players.get('p2')).toEqual(before);
    expect(h.host.session.players.get('p2')).toEqual({ ...before, isLocal: false });
    expect(h.peers.map((p) => p.session.players.size)).toEqual([3, 3, 3]);
  });
  it('a guest whose every link drops and returns is back in its slot and plays with everyone', async () => {
    const { h, transports } = harness(seed + 20, { topology });
    await h.start();
    h.run(60);
    const guest = h.peers[2]!;
    const before = guest.session.players.get('p2')!;
    const [p0, p1, p2] = ['p0', 'p1', 'p2'].map((id) => transports.get(id)!);
    LocalTransport.unlink(p2!, p0!);
    LocalTransport.unlink(p2!, p1!);
    h.run(180);
    LocalTransport.link(p2!, p0!);
    LocalTransport.link(p2!, p1!);
    await h.runSettled(180);
    expect(guest.session.players.get('p2')).toEqual(before);
    expect(h.peers.map((p) => p.session.players.size)).toEqual([3, 3, 3]);
    // It plays again, with every player's inputs (in mesh: over its own links to them again).
    const ticks = h.peers.map((p) => p.session.currentTick);
    await h.runSettled(60);
    h.peers.forEach((p, i) => {
      expect(p.session.currentTick, `seed ${h.seed}: ${p.id}`).toBeGreaterThan(ticks[i]! + 50);
    });
    expectConverged(h);
  });
});

describe('a broken link between two mesh players', () => {
  it('keeps both in the room: the later joiner reconnects into its own slot and opens its links again (it used to leave)', async () => {
    const { h, transports } = harness(1806, { topology: Topology.Mesh });
    await h.start();
    h.run(60);
    const left: string[] = [];
    for (const p of h.peers) p.session.on('playerLeft', (player) => left.push(player.playerId));
    const seats = h.peers.map((p) => p.session.players.get(p.id)?.slot);
    const [p1, p2] = ['p1', 'p2'].map((id) => transports.get(id)!);
    // Both ends see the link between them close and report it to the host.
    LocalTransport.unlink(p2!, p1!);
    h.run(30);
    LocalTransport.link(p2!, p1!);
    await h.runSettled(240);
    expect(left, `seed ${h.seed}: nobody leaves`).toEqual([]);
    expect(h.peers.map((p) => p.session.players.size)).toEqual([3, 3, 3]);
    expect(h.peers.map((p) => h.host.session.players.get(p.id)?.slot)).toEqual(seats);
    const ticks = h.peers.map((p) => p.session.currentTick);
    await h.runSettled(60);
    h.peers.forEach((p, i) => {
      expect(p.session.currentTick, `seed ${h.seed}: ${p.id}`).toBeGreaterThan(ticks[i]! + 50);
    });
    expectConverged(h);
  });
});

describe('reconnect window and tokens', () => {
  it('releases the slot when the player does not come back within reconnectWindowMs', async () => {
    const { h, transports } = harness(1803, { reconnectWindowMs: 2000 });
    await h.start();
    h.run(60);
    LocalTransport.unlink(transports.get('p2')!, transports.get('p0')!);
    h.run(200);
    expect(h.host.session.players.has('p2')).toBe(false);
    expect(h.peers[1]!.session.players.has('p2')).toBe(false);
    expect(h.peers[2]!.session.state).toBe(SessionState.Disconnected);
  });

  it('refuses a rejoin with the wrong token: nobody else can claim the slot', async () => {
    const { h } = harness(1804, {});
    await h.start();
    h.run(60);
    const forged = encodeMessage({
      type: MessageType.Rejoin,
      slot: 2,
      token: new Uint8Array(16),
    });
    // Peer p1 tries to claim p2's slot, then its own with a wrong token.
    h.peers[1]!.transport.send('p0', forged, true);
    const own = encodeMessage({ type: MessageType.Rejoin, slot: 1, token: new Uint8Array(16) });
    h.peers[1]!.transport.send('p0', own, true);
    h.run(30);
    const refusals = h.host.errors.filter((e) => /not the player of slot/.test(e.error.message));
    expect(refusals.length).toBe(2);
    expect(h.host.session.players.size).toBe(3);
    expectConverged(h);
  });

  it('hands each player its token once the game runs, from the injected random source', async () => {
    const transports = createLocalTransportGroup(['p0', 'p1'], { seed: 1805 });
    const t0 = transports.get('p0')!;
    const t1 = transports.get('p1')!;
    const tokens: Uint8Array[] = [];
    const send = t0.send.bind(t0);
    t0.send = (peerId, bytes, reliable) => {
      const m = decodeMessage(bytes);
      if (m.type === MessageType.Rejoin) tokens.push(m.token);
      send(peerId, bytes, reliable);
    };
    const clock = { now: () => t0.now };
    const host = createSession({
      game: new TestGame(),
      transport: t0,
      clock,
      randomBytes: (bytes) => bytes.fill(7),
    });
    const guest = createSession({ game: new TestGame(), transport: t1, clock });
    const joined = guest.joinRoom(await host.createRoom(), 'p0');
    for (let i = 0; i < 30; i++) {
      await settle();
      host.tick();
      guest.tick();
      t0.tick(16);
      t1.tick(16);
    }
    await joined;
    host.start();
    for (let i = 0; i < 30; i++) {
      host.tick(new Uint8Array([1]));
      guest.tick(new Uint8Array([2]));
      t0.tick(16);
      t1.tick(16);
    }
    expect(tokens).toEqual([new Uint8Array(16).fill(7)]);
  });
});

describe.each([
  ['star', Topology.Star, 1811],
  ['mesh', Topology.Mesh, 1812],
])('peerLeft on the host (%s)', (_name, topology, seed) => {
  it('releases the slot of a lost member at once, told before or after its link is lost; a member whose link is alive keeps it', async () => {
    const { h, transports } = harness(seed, { topology });
    await h.start();
    h.run(60);
    const left: string[] = [];
    for (const p of h.peers)
      p.session.on('playerLeft', (info) => left.push(`${p.id}:${info.playerId}`));
    // Told first, while p2 still plays: nothing happens.
    h.host.session.peerLeft('p2');
    h.run(60);
    expect(left).toEqual([]);
    expect(h.host.session.players.size).toBe(3);
    // Its links drop: it leaves within a second, not after the 60 s reconnect window.
    const [t0, t1, t2] = ['p0', 'p1', 'p2'].map((id) => transports.get(id)!);
    LocalTransport.unlink(t2!, t0!);
    LocalTransport.unlink(t2!, t1!);
    h.run(60);
    expect(left.filter((l) => l.startsWith('p0:') || l.startsWith('p1:')).sort()).toEqual([
      'p0:p2',
      'p1:p2',
    ]);
    // Told after: p1 is lost first (kept away in its slot), then the news releases it.
    LocalTransport.unlink(t1!, t0!);
    h.run(60);
    expect(h.host.session.players.has('p1')).toBe(true);
    h.host.session.peerLeft('p1');
    h.run(2);
    expect(left).toContain('p0:p1');
    expect(h.host.session.players.size).toBe(1);
  });
});

describe.each([
  ['star', Topology.Star, 1821],
  ['mesh', Topology.Mesh, 1822],
])('a member that reconnects after a slot changed hands (%s)', (_name, topology, seed) => {
  // While p1's link is down, the member of a slot leaves and a newcomer takes the slot: a
  // spectator's slot is free at once, a player's once its inputs are long settled (the host then
  // forgets the departure, so all it can tell p1 is who holds the slot now).
  it.each([
    ['a spectator', PlayerRole.Spectator, 30],
    ['a player', PlayerRole.Player, 1200],
  ])('learns that %s left and who took its slot', async (_who, role, gapFrames) => {
    const ids = ['p0', 'p1', 'old', 'new'];
    const transports = createLocalTransportGroup(ids, { latency: 20, jitter: 5, seed });
    const [t0, t1, tOld, tNew] = ids.map((id) => transports.get(id)!);
    const h = new Harness(transports, seed, { topology });
    h.peers[2]!.session.setLocalRole(role);
    h.peers[3]!.session.setLocalRole(role);
    await h.start(600, 3);
    h.run(60);
    const left: string[] = [];
    for (const p of h.peers)
      p.session.on('playerLeft', (info) => left.push(`${p.id}:${info.playerId}`));
    LocalTransport.unlink(t1!, t0!);
    LocalTransport.unlink(t1!, tOld!);
    const slot = h.host.session.players.get('old')?.slot;
    h.peers[2]!.session.leaveRoom();
    h.run(gapFrames);
    await h.join(3);
    expect(h.host.session.players.get('new')?.slot).toBe(slot);
    LocalTransport.link(t1!, t0!);
    LocalTransport.link(t1!, tNew!);
    await h.runSettled(300);
    const p1 = h.peers[1]!;
    expect(p1.session.state).toBe(SessionState.Playing);
    expect(p1.session.players.get('new')?.slot).toBe(slot);
    expect(p1.session.players.has('old')).toBe(false);
    expect(left.filter((l) => !l.endsWith(':old'))).toEqual([]);
    h.peers.splice(2, 1); // gone for good; the others converge
    expectConverged(h);
  });
});
