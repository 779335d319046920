import { MessageType, decodeMessage, encodeMessage } from '@rbn/protocol';
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { Harness, settle } from './testing/harness';
import type { Peer } from './testing/harness';
import { PlayerRole, SessionState, Topology } from './types';
import type { SessionConfig } from './types';

/** Three players (p0 hosts) and a spectator. */
function harness(
  seed: number,
  config: Partial<SessionConfig>,
): { h: Harness; transports: Map<string, LocalTransport> } {
  const transports = createLocalTransportGroup(['p0', 'p1', 'p2', 'spec'], {
    latency: 20,
    jitter: 5,
    seed,
  });
  // A confirmed hash every 10 ticks: many ticks to compare.
  const h = new Harness(transports, seed, { hashInterval: 10, ...config });
  h.peers[3]!.session.setLocalRole(PlayerRole.Spectator);
  return { h, transports };
}

/** Every confirmed hash each peer saw, by tick. */
function recordHashes(h: Harness): Map<number, number>[] {
  return h.peers.map((p) => {
    const hashes = new Map<number, number>();
    p.session.on('confirmedHash', (tick, hash) => hashes.set(tick, hash));
    return hashes;
  });
}

async function run(h: Harness, frames: number): Promise<void> {
  for (let i = 0; i < frames; i++) {
    // The reconnect is a transport connect (a promise): let it settle between frames.
    await settle();
    h.runFrame();
  }
}

/** The spectator's confirmed hashes agree with a player's on every tick both confirmed. */
function expectSameHashes(
  h: Harness,
  spectator: Map<number, number>,
  player: Map<number, number>,
): number {
  let common = 0;
  for (const [tick, hash] of spectator) {
    const theirs = player.get(tick);
    if (theirs === undefined) continue;
    common++;
    expect(hash, `seed ${h.seed}: tick ${tick}`).toBe(theirs);
  }
  return common;
}

/** The spectator's link to the host drops for 3 s and returns; checks it watches on. */
async function dropAndReturn(
  h: Harness,
  transports: Map<string, LocalTransport>,
  host: Peer,
  hashes: readonly Map<number, number>[],
): Promise<void> {
  const spec = h.peers[3]!;
  const before = spec.session.players.get('spec')!;
  const left: string[] = [];
  for (const p of h.peers) p.session.on('playerLeft', (info) => left.push(info.playerId));
  const errors = spec.errors.length;
  const tHost = transports.get(host.id)!;
  const tSpec = transports.get('spec')!;
  LocalTransport.unlink(tSpec, tHost);
  await run(h, 180);
  // The host keeps the slot meanwhile; the spectator waits to reconnect.
  expect(host.session.players.get('spec')?.slot, `seed ${h.seed}`).toBe(before.slot);
  expect(spec.session.state).toBe(SessionState.Playing);
  const stoodAt = spec.session.currentTick;
  LocalTransport.link(tSpec, tHost);
  await run(h, 240);
  expect(spec.session.state, `seed ${h.seed}`).toBe(SessionState.Playing);
  // The same slot, in its own view and in every player's.
  expect(spec.session.players.get('spec')).toEqual(before);
  for (const p of h.peers.slice(0, 3)) {
    if (p.session.state === SessionState.Disconnected) continue; // a host that left
    expect(p.session.players.get('spec')?.slot, `seed ${h.seed}: ${p.id}`).toBe(before.slot);
  }
  expect(left, `seed ${h.seed}: nobody leaves`).toEqual([]);
  // It watches on: past where it stood, close behind the players.
  expect(spec.session.currentTick, `seed ${h.seed}`).toBeGreaterThan(stoodAt + 180);
  const tick = spec.session.currentTick;
  await run(h, 60);
  expect(spec.session.currentTick, `seed ${h.seed}`).toBeGreaterThan(tick + 50);
  expect(spec.rollbacks, `seed ${h.seed}: a spectator never rolls back`).toBe(0);
  expect(spec.desyncs).toEqual([]);
  expect(spec.errors.slice(errors).map((e) => e.error.message)).toEqual([]);
  // Its hashes agree with every player's on each tick it confirmed, before and after the drop.
  const mine = hashes[3]!;
  const seen = `seed ${h.seed}: stood at ${stoodAt}, confirmed ${[...mine.keys()].join()}`;
  expect(
    [...mine.keys()].some((t) => t < stoodAt),
    seen,
  ).toBe(true);
  expect(
    [...mine.keys()].some((t) => t > stoodAt + 180),
    seen,
  ).toBe(true);
  for (const i of [0, 1, 2]) {
    expect(expectSameHashes(h, mine, hashes[i]!), `seed ${h.seed}`).toBeGreaterThan(10);
  }
}

describe.each([
  ['star', Topology.Star, 2101],
  ['mesh', Topology.Mesh, 2102],
])('a spectator reconnects (%s)', (_name, topology, seed) => {
  it('its link to the host drops and returns: it watches on in its slot, never rolling back, in agreement with the players', async () => {
    const { h, transports } = harness(seed, { topology });
    const hashes = recordHashes(h);
    await h.start(600, 4);
    await run(h, 150);
    await dropAndReturn(h, transports, h.host, hashes);
  });

  it('after a host migration, its link to the new host drops and returns: it watches on', async () => {
    const { h, transports } = harness(seed + 10, { topology });
    const hashes = recordHashes(h);
    await h.start(600, 4);
    await run(h, 150);
    h.host.session.leaveRoom();
    await run(h, 120);
    const successor = h.peers.slice(1, 3).find((p) => p.session.isHost);
    expect(successor, `seed ${h.seed}: a successor hosts`).toBeDefined();
    expect(h.peers[3]!.session.players.get(successor!.id)!.isHost).toBe(true);
    await dropAndReturn(h, transports, successor!, hashes);
  });
});

describe('a spectator that does not come back', () => {
  it('frees its slot when the reconnect window passes', async () => {
    const { h, transports } = harness(2103, { reconnectWindowMs: 2000 });
    await h.start(600, 4);
    await run(h, 60);
    const left: string[] = [];
    h.host.session.on('playerLeft', (info) => left.push(info.playerId));
    LocalTransport.unlink(transports.get('spec')!, transports.get('p0')!);
    await run(h, 60);
    expect(h.host.session.players.has('spec'), 'kept within the window').toBe(true);
    await run(h, 140);
    expect(left).toEqual(['spec']);
    for (const p of h.peers.slice(0, 3)) expect(p.session.players.has('spec'), p.id).toBe(false);
    expect(h.peers[3]!.session.state).toBe(SessionState.Disconnected);
  });
});

describe("a spectator's slot", () => {
  it("nobody else can claim it: a player replaying the spectator's token is refused, and the spectator watches on", async () => {
    const { h, transports } = harness(2104, {});
    const spec = h.peers[3]!;
    const tokens: Uint8Array[] = [];
    const receive = spec.transport.onMessage!;
    spec.transport.onMessage = (peerId, bytes) => {
      const m = decodeMessage(bytes);
      if (m.type === MessageType.Rejoin) tokens.push(m.token.slice());
      receive(peerId, bytes);
    };
    await h.start(600, 4);
    await run(h, 60);
    expect(tokens.length, 'the host gave the spectator a token').toBe(1);
    const slot = spec.session.players.get('spec')!.slot;
    const forged = encodeMessage({ type: MessageType.Rejoin, slot, token: tokens[0]! });
    h.peers[1]!.transport.send('p0', forged, true);
    await run(h, 30);
    const refusals = h.host.errors.filter((e) => /not the player of slot/.test(e.error.message));
    expect(refusals.length).toBe(1);
    expect(h.host.session.players.get('spec')?.peerId).toBe('spec');
    // The spectator itself still comes back with it after a drop.
    LocalTransport.unlink(transports.get('spec')!, transports.get('p0')!);
    await run(h, 60);
    LocalTransport.link(transports.get('spec')!, transports.get('p0')!);
    await run(h, 180);
    expect(spec.session.state).toBe(SessionState.Playing);
    const tick = spec.session.currentTick;
    await run(h, 60);
    expect(spec.session.currentTick, `seed ${h.seed}`).toBeGreaterThan(tick + 50);
    // Its token stays its own for the next drop (like a player's): no new one.
    expect(tokens.length).toBe(1);
    expect(spec.session.rejoinTicket, 'no fresh-session ticket for a spectator').toBeNull();
  });
});

describe.each([
  ['star', Topology.Star, 2131],
  ['mesh', Topology.Mesh, 2132],
])('a spectator in a slot another left (%s)', (_name, topology, seed) => {
  it('gets a rejoin token of its own: its link drops and returns, and it watches on in its slot', async () => {
    const transports = createLocalTransportGroup(['p0', 'p1', 'first', 'second'], {
      ...{ latency: 20, jitter: 5 },
      seed,
    });
    const h = new Harness(transports, seed, { topology });
    const [host, , first, second] = h.peers as [Peer, Peer, Peer, Peer];
    first.session.setLocalRole(PlayerRole.Spectator);
    second.session.setLocalRole(PlayerRole.Spectator);
    await h.start(600, 2);
    await h.join(2);
    await run(h, 60);
    const slot = host.session.players.get('first')!.slot;
    first.session.leaveRoom();
    await run(h, 60);
    expect(host.session.players.has('first'), `seed ${h.seed}`).toBe(false);
    await h.join(3);
    await run(h, 60);
    // A spectator's slot is free once it left: the newcomer takes it.
    expect(host.session.players.get('second')?.slot, `seed ${h.seed}`).toBe(slot);
    const left: string[] = [];
    second.session.on('playerLeft', (info) => left.push(info.playerId));
    const tHost = transports.get('p0')!;
    const tSecond = transports.get('second')!;
    LocalTransport.unlink(tSecond, tHost);
    await run(h, 120);
    LocalTransport.link(tSecond, tHost);
    await run(h, 240);
    expect(second.session.state, `seed ${h.seed}: the second spectator`).toBe(SessionState.Playing);
    expect(host.session.players.get('second')?.slot, `seed ${h.seed}`).toBe(slot);
    expect(left, `seed ${h.seed}`).toEqual([]);
    const tick = second.session.currentTick;
    await run(h, 60);
    expect(second.session.currentTick, `seed ${h.seed}: it watches on`).toBeGreaterThan(tick + 50);
  });
});
