import { MessageType, encodeMessage } from '@rbn/protocol';
import type { RbnError } from '@rbn/protocol';
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { chooseSuccessor, judgeMigration, migrationReady, orphanSlots } from './host-migration';
import { Harness, settle } from './testing/harness';
import type { Peer } from './testing/harness';
import { scheduledInput } from './testing/test-game';
import { PlayerRole, SessionState, Topology } from './types';
import type { SessionConfig } from './types';

const member = (
  slot: number,
  over: Partial<{ plays: boolean; present: boolean; away: boolean }>,
) => ({
  slot,
  plays: true,
  present: true,
  away: false,
  ...over,
});

describe('chooseSuccessor', () => {
  it.each([
    ['the lowest player slot after the host', [member(0, {}), member(1, {}), member(2, {})], 0, 1],
    ['skips a spectator', [member(0, {}), member(1, { plays: false }), member(2, {})], 0, 2],
    ['skips an away player', [member(0, {}), member(1, { away: true }), member(3, {})], 0, 3],
    [
      'skips a departed player',
      [member(0, {}), member(1, { present: false }), member(4, {})],
      0,
      4,
    ],
    [
      'works for a host that is not slot 0',
      [member(0, { present: false }), member(1, {}), member(2, {})],
      1,
      2,
    ],
    ['-1 when only spectators are left', [member(0, {}), member(1, { plays: false })], 0, -1],
  ])('%s', (_name, members, hostSlot, expected) => {
    expect(chooseSuccessor(members, hostSlot)).toBe(expected);
  });
});

describe('orphanSlots', () => {
  const counted = (
    slot: number,
    over: Partial<{ present: boolean; away: boolean; counted: boolean; plays: boolean }>,
  ) => ({
    ...member(slot, over),
    counted: true,
    ...over,
  });
  it.each([
    ['the host only', [counted(0, {}), counted(1, {}), counted(2, {})], [0]],
    [
      'with departed and away players',
      [counted(0, {}), counted(1, { present: false }), counted(2, { away: true }), counted(3, {})],
      [0, 1, 2],
    ],
    ['not a spectator or a lobby member', [counted(0, {}), counted(1, { counted: false })], [0]],
  ])('%s', (_name, members, expected) => {
    expect(orphanSlots(members, 0)).toEqual(expected);
  });
});

describe('judgeMigration', () => {
  const view = {
    ...{ senderSlot: 1, namedHostSlot: 0, hostSlot: 0 },
    ...{ successorSlot: 1, hostGone: true, announcement: false },
  };
  it.each([
    ['accepts the successor once the host is gone', view, 'accept'],
    ['keeps a query aside while the host is still here', { ...view, hostGone: false }, 'defer'],
    ['accepts the announcement once the host is gone', { ...view, announcement: true }, 'accept'],
    [
      'refuses an announcement while the host is still here',
      { ...view, hostGone: false, announcement: true },
      'refuse',
    ],
    ['refuses a non-successor', { ...view, senderSlot: 2 }, 'refuse'],
    [
      'refuses a non-successor even once the host is gone',
      { ...view, senderSlot: 2, hostGone: true },
      'refuse',
    ],
    ['refuses a non-member', { ...view, senderSlot: -1 }, 'refuse'],
    ['refuses a message about another host', { ...view, namedHostSlot: 2 }, 'refuse'],
  ])('%s', (_name, input, kind) => {
    expect(judgeMigration(input).kind).toBe(kind);
  });
});

describe('migrationReady', () => {
  it.each([
    [0, 0, 5000, true],
    [1, 100, 5000, false],
    // A member whose link is alive is waited for past disconnectTimeout…
    [1, 5000, 5000, false],
    [1, 14_999, 5000, false],
    // …up to the limit, so one that never answers cannot stall the room.
    [1, 15_000, 5000, true],
  ])('%i live member(s) waited for, %i ms of %i: %s', (waiting, elapsed, timeout, ready) => {
    expect(migrationReady(waiting, elapsed, timeout)).toBe(ready);
  });
});

/** Three players (p0 hosts) and a spectator; `late` joins later. */
function harness(
  seed: number,
  config: Partial<SessionConfig>,
): {
  h: Harness;
  transports: Map<string, LocalTransport>;
} {
  const transports = createLocalTransportGroup(['p0', 'p1', 'p2', 'spec', 'late'], {
    latency: 20,
    jitter: 5,
    seed,
  });
  const h = new Harness(transports, seed, config);
  h.peers[3]!.session.setLocalRole(PlayerRole.Spectator);
  return { h, transports };
}

/** Frames in which each survivor's game advanced, over `frames` frames. */
async function runCounting(h: Harness, frames: number, peers: readonly Peer[]): Promise<number[]> {
  const advanced = peers.map(() => 0);
  for (let i = 0; i < frames; i++) {
    // Transport connects are promises: let them settle between frames.
    await settle();
    const f = h.frame++;
    h.peers.forEach((peer, index) => {
      const r = peer.session.tick(scheduledInput(h.seed, index, h.inputsChange ? f : 0));
      const k = peers.indexOf(peer);
      if (k >= 0 && r.advanced) advanced[k]!++;
    });
    for (const peer of h.peers) peer.transport.tick(h.frameMs);
  }
  return advanced;
}

async function expectConverged(h: Harness, peers: readonly Peer[]): Promise<void> {
  h.inputsChange = false;
  await h.runSettled(240);
  let tick = Infinity;
  for (const p of peers) tick = Math.min(tick, p.session.confirmedTick + 1);
  const hashes = peers.map((p) => p.session.rollbackEngine?.getSnapshot(tick)?.hash);
  expect(tick, `seed ${h.seed}: nobody confirmed a common tick`).toBeGreaterThan(0);
  expect(new Set(hashes).size, `seed ${h.seed}: hashes at ${tick}: ${hashes.join()}`).toBe(1);
  expect(hashes[0], `seed ${h.seed}: no snapshot at ${tick}`).toBeDefined();
  for (const p of peers) expect(p.desyncs, `seed ${h.seed}: ${p.id} saw a desync`).toEqual([]);
}

/** The two surviving players, the successor (the lower slot; join order decides slots) first. */
function successorFirst(h: Harness): [Peer, Peer] {
  const p1 = h.peers[1]!;
  const p2 = h.peers[2]!;
  return p1.session.players.get('p1')!.slot < p1.session.players.get('p2')!.slot
    ? [p1, p2]
    : [p2, p1];
}

async function startWithSpectator(h: Harness): Promise<void> {
  await h.start(600, 4);
  await h.runSettled(90);
}

/** How the host stops in {@link stallHost}. */
type HostStall = {
  /** Runs before each frame. */
  during?: (i: number) => void;
  /**
   * Only its game loop stops: its page lives, so its transport still delivers messages (its
   * handler runs). Else its whole main thread stops (no message read or sent) and its transport
   * catches up on the time it missed afterwards.
   */
  loopOnly?: boolean;
  /** Its loop still ticks every this many frames (never by default). */
  tickEvery?: number;
};

/** The host stops for `frames` frames: its whole main thread, or only its game loop. */
async function stallHost(h: Harness, frames: number, how: HostStall = {}): Promise<void> {
  const { during, loopOnly = false, tickEvery = Infinity } = how;
  const host = h.host;
  for (let i = 0; i < frames; i++) {
    during?.(i);
    await settle();
    const f = h.frame++;
    h.peers.forEach((peer, index) => {
      if (peer !== host || (i + 1) % tickEvery === 0) {
        peer.session.tick(scheduledInput(h.seed, index, f));
      }
    });
    for (const peer of h.peers) if (loopOnly || peer !== host) peer.transport.tick(h.frameMs);
  }
  if (!loopOnly) host.transport.tick(frames * h.frameMs);
}

/** A host and one guest playing; `changed` collects every `hostChanged`'s new host id. */
async function twoPlaying(seed: number, topology: Topology) {
  const transports = createLocalTransportGroup(['p0', 'p1'], { latency: 20, jitter: 5, seed });
  const h = new Harness(transports, seed, { topology });
  await h.start(600, 2);
  await h.runSettled(90);
  const changed: string[] = [];
  for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(id));
  const [host, guest] = h.peers as [Peer, Peer];
  return { h, transports, changed, host, guest };
}

describe.each([
  ['star', Topology.Star, 1901],
  ['mesh', Topology.Mesh, 1902],
])('host migration (%s)', (_name, topology, seed) => {
  const lose = {
    leaves: (h: Harness) => h.host.session.leaveRoom(),
    'is lost': (h: Harness, transports: Map<string, LocalTransport>) => {
      const t0 = transports.get('p0')!;
      for (const id of ['p1', 'p2', 'spec']) LocalTransport.unlink(t0, transports.get(id)!);
    },
  };

  it.each(Object.keys(lose) as (keyof typeof lose)[])(
    'the host %s: the other two play on under p1 and converge, the spectator follows',
    async (how) => {
      const { h, transports } = harness(seed + (how === 'leaves' ? 0 : 10), { topology });
      await startWithSpectator(h);
      const survivors = h.peers.slice(1, 4);
      const changed: [string, string, number][] = [];
      for (const p of survivors) {
        p.session.on('hostChanged', (id, tick) => changed.push([p.id, id, tick]));
      }
      lose[how](h, transports);
      if (how === 'is lost') {
        // Without a goodbye the host gets hostLossGraceMs (3 s) to be reached again, though every
        // try to connect to it is refused: a refusal may be our own network's doing.
        await h.runSettled(150);
        expect(changed, `seed ${h.seed}: taken over inside hostLossGraceMs`).toEqual([]);
        await h.runSettled(60);
      }
      const advanced = await runCounting(h, 300, survivors);
      for (const p of survivors) {
        expect(p.session.state, `seed ${h.seed}: ${p.id}`).toBe(SessionState.Playing);
      }
      // ≥ 80 % of the frames advanced on both players (the spectator trails confirmed inputs).
      expect(advanced[0], `seed ${h.seed}: p1 advanced ${advanced[0]}/300`).toBeGreaterThanOrEqual(
        240,
      );
      expect(advanced[1], `seed ${h.seed}: p2 advanced ${advanced[1]}/300`).toBeGreaterThanOrEqual(
        240,
      );
      const [successor, other] = successorFirst(h);
      expect(successor.session.isHost).toBe(true);
      expect(other.session.isHost).toBe(false);
      const ticks = new Set(changed.map((c) => c[2]));
      expect(
        changed.map((c) => c[1]),
        `seed ${h.seed}`,
      ).toEqual([successor.id, successor.id, successor.id]);
      expect(changed.map((c) => c[0]).sort()).toEqual(['p1', 'p2', 'spec']);
      expect(ticks.size, `seed ${h.seed}: every member agrees on the tick`).toBe(1);
      for (const p of survivors) {
        expect([...p.session.players.keys()].sort()).toEqual(['p1', 'p2', 'spec']);
        expect(p.session.players.get(successor.id)!.isHost).toBe(true);
      }
      expect(h.peers[3]!.session.currentTick).toBeGreaterThan(200);
      await expectConverged(h, survivors);
    },
  );

  it('a late joiner after the migration joins the new host, and so does the old host, as an ordinary member', async () => {
    const { h } = harness(seed + 20, { topology });
    await startWithSpectator(h);
    h.host.session.leaveRoom();
    await h.runSettled(60);
    const [successor] = successorFirst(h);
    expect(successor.session.isHost).toBe(true);
    const roomId = successor.session.roomId!;
    const late = h.peers[4]!;
    let joined = false;
    void late.session.joinRoom(roomId, successor.id).then(() => {
      joined = true;
    });
    await h.runSettledUntil(() => joined && late.session.state === SessionState.Playing, {
      maxFrames: 300,
      what: 'the late joiner plays',
    });
    expect(late.session.state, `seed ${h.seed}`).toBe(SessionState.Playing);
    expect(late.session.players.get(successor.id)!.isHost).toBe(true);
    expect(late.session.players.get('late')!.slot).toBe(4);
    expect(late.session.isHost).toBe(false);
    // The departed host comes back: a new slot, not the host.
    const old = h.host;
    let back = false;
    void old.session.joinRoom(roomId, successor.id).then(() => {
      back = true;
    });
    await h.runSettledUntil(() => back && old.session.state === SessionState.Playing, {
      maxFrames: 300,
      what: 'the old host plays again',
    });
    expect(old.session.state, `seed ${h.seed}: the old host rejoins`).toBe(SessionState.Playing);
    expect(old.session.isHost).toBe(false);
    expect(old.session.players.get('p0')!.slot).toBe(5);
    await h.runSettled(60);
    for (const p of h.peers) expect(p.session.players.size, p.id).toBe(5);
    await expectConverged(h, h.peers);
  });
});

describe.each([
  ['star', Topology.Star, 1951],
  ['mesh', Topology.Mesh, 1952],
])('host migration, not (%s)', (_name, topology, seed) => {
  it('the successor that lost only its own link to the host does not take over: it reconnects', async () => {
    const { h, transports } = harness(seed, { topology });
    await startWithSpectator(h);
    const changed: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(id));
    const [successor] = successorFirst(h);
    const slot = successor.session.players.get(successor.id)!.slot;
    const t0 = transports.get('p0')!;
    const ts = transports.get(successor.id)!;
    LocalTransport.unlink(t0, ts);
    await h.runSettled(120);
    LocalTransport.link(t0, ts);
    await h.runSettled(240);
    expect(changed, `seed ${h.seed}`).toEqual([]);
    expect(successor.session.isHost).toBe(false);
    expect(h.host.session.isHost).toBe(true);
    expect(successor.session.players.get(successor.id)!.slot).toBe(slot);
    for (const p of h.peers.slice(0, 4)) expect(p.session.state, p.id).toBe(SessionState.Playing);
    await expectConverged(h, h.peers.slice(0, 4));
  });
  it('a host that stalls past every link timeout and is back within hostLossGraceMs keeps the room: nobody takes over', async () => {
    const { h } = harness(seed + 10, { topology, disconnectTimeout: 1000 });
    await startWithSpectator(h);
    const changed: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(`${p.id}→${id}`));
    const slots = h.peers.slice(0, 4).map((p) => p.session.players.get(p.id)!.slot);
    // The host's main thread stops for 1.6 s (no tick, no message read or sent): every other
    // member's link to it goes silent past disconnectTimeout at the same moment.
    await stallHost(h, 96);
    await h.runSettled(600);
    expect(changed, `seed ${h.seed}: a successor took over a host that only stalled`).toEqual([]);
    expect(h.host.session.isHost).toBe(true);
    h.peers.slice(0, 4).forEach((p, i) => {
      expect(p.session.state, `seed ${h.seed}: ${p.id}`).toBe(SessionState.Playing);
      expect(p.session.players.get(p.id)!.slot, `seed ${h.seed}: ${p.id}'s slot`).toBe(slots[i]);
      expect(p.session.players.size, `seed ${h.seed}: ${p.id}'s room`).toBe(4);
    });
    await expectConverged(h, h.peers.slice(0, 4));
  });
  it('a host that stalls within hostLossGraceMs keeps the room though the successor cannot reach it: the others hear it again and say so', async () => {
    const { h, transports } = harness(seed + 30, { topology, disconnectTimeout: 1000 });
    await startWithSpectator(h);
    const changed: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(`${p.id}→${id}`));
    const [successor, other] = successorFirst(h);
    const t0 = transports.get('p0')!;
    const ts = transports.get(successor.id)!;
    // The host stalls 2.5 s: both players lose it (1 s of silence) and the other one answers the
    // successor's query that it lost it too. Meanwhile the successor's own link to the host
    // breaks, so its tries to reconnect are refused, until well past the grace.
    await stallHost(h, 150, {
      during: (i) => {
        if (i === 75) LocalTransport.unlink(t0, ts);
      },
    });
    await h.runSettled(180);
    expect(changed, `seed ${h.seed}: the successor took over a host the others reach`).toEqual([]);
    expect(successor.session.isHost).toBe(false);
    LocalTransport.link(t0, ts);
    await h.runSettled(240);
    expect(changed, `seed ${h.seed}`).toEqual([]);
    expect(h.host.session.isHost).toBe(true);
    for (const p of [h.host, successor, other]) {
      expect(p.session.state, `seed ${h.seed}: ${p.id}`).toBe(SessionState.Playing);
      expect(p.session.players.size, `seed ${h.seed}: ${p.id}'s room`).toBe(4);
    }
    await expectConverged(h, h.peers.slice(0, 4));
  });
  it('with two players, the guest that lost its link to the host does not take over alone: it reconnects', async () => {
    const { h, transports, changed, host, guest } = await twoPlaying(seed, topology);
    LocalTransport.unlink(transports.get('p0')!, transports.get('p1')!);
    await h.runSettled(120);
    // Two hosts would split the room: the guest waits to reconnect instead.
    expect(changed, `seed ${h.seed}`).toEqual([]);
    expect(guest.session.isHost, `seed ${h.seed}`).toBe(false);
    LocalTransport.link(transports.get('p0')!, transports.get('p1')!);
    await h.runSettled(240);
    expect(changed, `seed ${h.seed}`).toEqual([]);
    expect(host.session.isHost).toBe(true);
    expect(guest.session.isHost).toBe(false);
    for (const p of h.peers) expect(p.session.state, p.id).toBe(SessionState.Playing);
    await expectConverged(h, h.peers);
  });
});

describe.each([
  ['star', Topology.Star, 1971],
  ['mesh', Topology.Mesh, 1972],
])('a host that left for good, as the signaling server tells (%s)', (_name, topology, seed) => {
  it('the guest of two that lost the host without its goodbye takes over once told the host left, and only then', async () => {
    const { h, transports, changed, host, guest } = await twoPlaying(seed, topology);
    // Told while the host's link is alive: nothing happens (the news only hastens a lost link).
    guest.session.peerLeft('p0');
    await h.runSettled(30);
    expect(changed, `seed ${h.seed}`).toEqual([]);
    expect(guest.session.isHost).toBe(false);
    // The host's page closed and its goodbye went down with its link. Alone, a lost link makes
    // the guest wait to reconnect (it may be its own network: see the test above); told, it
    // takes over at once.
    LocalTransport.unlink(transports.get('p0')!, transports.get('p1')!);
    host.session.destroy();
    h.peers.splice(0, 1);
    await h.runSettled(30);
    expect(changed, `seed ${h.seed}`).toEqual(['p1']);
    expect(guest.session.isHost).toBe(true);
    expect(guest.session.state).toBe(SessionState.Playing);
    const tick = guest.session.currentTick;
    await h.runSettled(60);
    expect(guest.session.currentTick).toBeGreaterThan(tick + 50);
  });

  it('a host gone silent (its links open) is replaced at once once told it left, not after hostLossGraceMs', async () => {
    const { h, transports } = harness(seed, {
      ...{ topology, disconnectTimeout: 1000, hostLossGraceMs: 60_000 },
    });
    await startWithSpectator(h);
    const changed: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(`${p.id}→${id}`));
    // Nothing gets through to or from the host any more, though every link stays open (so a
    // try to connect to it is not refused): every other member loses it, and waits for it.
    const t0 = transports.get('p0')!;
    for (const id of ['p1', 'p2', 'spec']) {
      t0.setLinkConditions(id, { latency: 600_000 });
      transports.get(id)!.setLinkConditions('p0', { latency: 600_000 });
    }
    await h.runSettled(240);
    expect(changed, `seed ${h.seed}: taken over inside hostLossGraceMs`).toEqual([]);
    const [successor] = successorFirst(h);
    for (const p of h.peers.slice(1, 4)) p.session.peerLeft('p0');
    await h.runSettled(120);
    expect(changed.sort(), `seed ${h.seed}`).toEqual(
      ['p1', 'p2', 'spec'].map((id) => `${id}→${successor.id}`),
    );
    await expectConverged(h, h.peers.slice(1, 4));
  });
});

describe('host migration (lobby)', () => {
  it('the host leaving the lobby hands it to the successor, who can start the game', async () => {
    const { h } = harness(1941, {});
    const roomId = await h.host.session.createRoom();
    const joins = [1, 2].map((i) => h.peers[i]!.session.joinRoom(roomId, 'p0'));
    let joined = false;
    void Promise.all(joins).then(() => {
      joined = true;
    });
    await h.runSettledUntil(() => joined, { maxFrames: 300, what: 'the lobby joins complete' });
    expect(joined, `seed ${h.seed}`).toBe(true);
    h.host.session.leaveRoom();
    await h.runSettled(30);
    const [successor, other] = successorFirst(h);
    expect(successor.session.isHost).toBe(true);
    expect(other.session.state).toBe(SessionState.Lobby);
    expect([...other.session.players.keys()].sort()).toEqual(['p1', 'p2']);
    successor.session.start();
    await h.runSettled(60);
    expect(other.session.state).toBe(SessionState.Playing);
    await expectConverged(h, [successor, other]);
  });
});

describe('host migration (trust)', () => {
  it('refuses a migration announcement from a member that is not the successor', async () => {
    const { h } = harness(1931, {});
    await startWithSpectator(h);
    const changed: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(id));
    const forged = encodeMessage({
      type: MessageType.HostMigrated,
      hostSlot: 0,
      newHostSlot: 2, // whatever it claims
      leaveTick: 10,
      acks: [],
      runs: [],
    });
    const query = encodeMessage({ type: MessageType.MigrationQuery, hostSlot: 0, acks: [] });
    // The higher-slot player is not the successor: nobody may follow it, host here or not.
    const [successor, liar] = successorFirst(h);
    void liar.transport.connect(successor.id);
    void liar.transport.connect('spec');
    await settle();
    for (const to of [successor.id, 'spec']) {
      liar.transport.send(to, forged, true);
      liar.transport.send(to, query, true);
    }
    await h.runSettled(30);
    expect(changed).toEqual([]);
    // The successor refuses the announcement (the query only asks it whether it still reaches
    // the host); the spectator refuses both.
    for (const [p, count] of [
      [successor, 1],
      [h.peers[3]!, 2],
    ] as const) {
      const refusals = p.errors.filter((e) => /only the successor/.test(e.error.message));
      expect(refusals.length, p.id).toBe(count);
      expect(p.session.players.get('p0')!.isHost).toBe(true);
    }
    await expectConverged(h, h.peers.slice(0, 4));
  });

  it('refuses the successor while the host is still here: lying about host loss changes nothing', async () => {
    const { h } = harness(1932, { topology: Topology.Mesh });
    await startWithSpectator(h);
    const changed: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(id));
    const forged = encodeMessage({
      type: MessageType.HostMigrated,
      hostSlot: 0,
      newHostSlot: 1,
      leaveTick: 10,
      acks: [],
      runs: [],
    });
    const [successor, other] = successorFirst(h);
    // The successor says the host is gone while it is not (mesh: they are linked already).
    successor.transport.send(other.id, forged, true);
    await h.runSettled(120);
    expect(changed).toEqual([]);
    expect(
      other.errors.filter((e) => /host is still in the room/.test(e.error.message)),
    ).toHaveLength(1);
    expect(other.session.players.get('p0')!.isHost).toBe(true);
    expect(other.session.state).toBe(SessionState.Playing);
    await expectConverged(h, h.peers.slice(0, 4));
  });
});

describe.each([
  ['star', Topology.Star, 1971],
  ['mesh', Topology.Mesh, 1972],
])('a host whose game loop stops (%s)', (_name, topology, seed) => {
  it('hands the room on once messages kept arriving for disconnectTimeout without a tick, and says why', async () => {
    const { h } = harness(seed, { topology, disconnectTimeout: 1000 });
    await startWithSpectator(h);
    const changed: string[] = [];
    for (const p of h.peers) p.session.on('hostChanged', (id) => changed.push(`${p.id}→${id}`));
    const errors: RbnError[] = [];
    h.host.session.on('error', (error) => errors.push(error as RbnError));
    const [successor, other] = successorFirst(h);
    const confirmed = successor.session.confirmedTick;
    // Without the handover the others would wait for the host's inputs for good: its handler
    // relays and answers, so its links never go silent.
    await stallHost(h, 150, { loopOnly: true });
    expect(h.host.session.state, `seed ${h.seed}`).toBe(SessionState.Disconnected);
    expect(errors.map((e) => e.code)).toEqual(['LOOP_STOPPED']);
    expect(errors[0]!.message).toMatch(/tick\(\) was not called for 1000 ms/);
    await h.runSettled(120);
    expect(successor.session.isHost, `seed ${h.seed}`).toBe(true);
    expect(changed.sort()).toEqual(
      [other.id, successor.id, 'spec'].map((id) => `${id}→${successor.id}`).sort(),
    );
    for (const p of [successor, other]) {
      expect(p.session.state, `seed ${h.seed}: ${p.id}`).toBe(SessionState.Playing);
      expect(p.session.players.size, `seed ${h.seed}: ${p.id}'s room`).toBe(3);
    }
    expect(successor.session.confirmedTick).toBeGreaterThan(confirmed + 60);
    await expectConverged(h, [successor, other]);
  });

  it('keeps hosting while it ticks, however seldom (a throttled hidden tab ticks once a second)', async () => {
    const { h } = harness(seed + 10, { topology, disconnectTimeout: 1000 });
    await startWithSpectator(h);
    const errors: string[] = [];
    h.host.session.on('error', (error) => errors.push(error.message));
    await stallHost(h, 300, { loopOnly: true, tickEvery: 60 });
    expect(errors).toEqual([]);
    expect(h.host.session.isHost, `seed ${h.seed}`).toBe(true);
    expect(h.host.session.state).toBe(SessionState.Playing);
    await h.runSettled(60);
    for (const p of h.peers.slice(0, 4)) expect(p.session.players.size, p.id).toBe(4);
    await expectConverged(h, h.peers.slice(0, 3));
  });
});
