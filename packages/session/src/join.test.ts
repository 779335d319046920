import {
  JoinRejectReason,
  MessageType,
  PROTOCOL_VERSION,
  WireRole,
  decodeMessage,
  encodeMessage,
} from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { decideAdmission } from './join';
import type { AdmissionInput } from './join';
import { Harness, localHarness as harness } from './testing/harness';
import { PlayerRole, SessionState, Topology } from './types';
import type { PlayerInfo } from './types';

function expectConverged(h: Harness, label: string, peers = h.peers): void {
  let tick = Infinity;
  for (const p of peers) tick = Math.min(tick, p.session.confirmedTick + 1);
  const hashes = peers.map((p) => p.session.rollbackEngine?.getSnapshot(tick)?.hash);
  expect(hashes[0], label).toBeTypeOf('number');
  expect(new Set(hashes).size, `${label}: hashes at ${tick}: ${hashes.join()}`).toBe(1);
}

describe('Session late join', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`a player joins a game in progress at one agreed tick and everyone converges (${Topology[topology]}, seed 21)`, async () => {
      const seed = 21;
      const h = harness(3, seed, { latency: 30, jitter: 5, packetLoss: 0.02 }, { topology });
      const joinedInfo: PlayerInfo[][] = h.peers.map(() => []);
      h.peers.forEach((p, i) =>
        p.session.on('playerJoined', (info) => {
          if (info.playerId === 'p2') joinedInfo[i]!.push(info);
        }),
      );
      await h.start(600, 2);
      h.run(200);
      await h.join(2);
      h.run(300);
      h.inputsChange = false;
      h.run(90);
      const ticks = h.peers.map((p) => p.session.players.get('p2')?.joinTick);
      expect(new Set(ticks).size, `join ticks ${ticks.join()}`).toBe(1);
      expect(ticks[0]).toBeGreaterThan(200);
      for (const list of joinedInfo) expect(list.length).toBe(1);
      // The joiner's inputs count: its engine and everyone else's simulate it.
      for (const p of h.peers) expect(p.session.rollbackEngine?.hasPlayer('p2')).toBe(true);
      expectConverged(h, `seed ${seed}`);
      for (const p of h.peers) expect(p.desyncs, `seed ${seed} ${p.id}`).toEqual([]);
    });
  }

  it('a spectator joins mid-game, follows the game and never holds the players back (seed 22)', async () => {
    const seed = 22;
    const h = harness(3, seed, { latency: 20 });
    h.peers[2]!.session.setLocalRole(PlayerRole.Spectator);
    await h.start(600, 2);
    h.run(100);
    await h.join(2);
    const spectator = h.peers[2]!;
    expect(spectator.session.players.get('p2')?.role).toBe(PlayerRole.Spectator);
    expect(h.host.session.rollbackEngine?.hasPlayer('p2')).toBe(false);
    h.run(200);
    expectConverged(h, `seed ${seed}`);
    // The spectator's loop hangs for 2 s: the players do not stall.
    const stallsBefore = h.peers[0]!.stalls + h.peers[1]!.stalls;
    for (let f = 0; f < 120; f++) {
      for (const p of h.peers.slice(0, 2)) p.session.tick(new Uint8Array([f & 3]));
      for (const p of h.peers) p.transport.tick(h.frameMs);
    }
    expect(h.peers[0]!.stalls + h.peers[1]!.stalls).toBe(stallsBefore);
    // It catches up by running faster.
    const behind = h.peers[0]!.session.currentTick - spectator.session.currentTick;
    expect(behind).toBeGreaterThan(100);
    h.run(200);
    // Caught up: it trails only by the confirmation delay (it runs on confirmed inputs only)
    // and its stream buffer (inputHeartbeatTicks + 2 = 10 ticks).
    const trailing = h.peers[0]!.session.currentTick - spectator.session.currentTick;
    expect(trailing).toBeLessThan(30);
    expect(spectator.session.currentTick).toBeGreaterThanOrEqual(h.host.session.confirmedTick - 20);
    expect(spectator.session.catchUpTicks).toBeGreaterThan(100);
    h.inputsChange = false;
    h.run(60);
    expectConverged(h, `seed ${seed}`);
  });
});

describe('Session spectators see confirmed inputs only', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`relays to a spectator no input past the host's confirmed tick, so the spectator never rolls back (${Topology[topology]}, seed 5)`, async () => {
      const seed = 5;
      const h = harness(3, seed, { latency: 50, jitter: 10 }, { topology });
      h.peers[2]!.session.setLocalRole(PlayerRole.Spectator);
      let runs = 0;
      let beyond = 0;
      const transport = h.host.transport;
      const send = transport.send.bind(transport);
      transport.send = (peerId, message, reliable) => {
        if (peerId === 'p2' && message[0] === MessageType.Input) {
          const decoded = decodeMessage(message);
          if (decoded.type === MessageType.Input) {
            for (const run of decoded.runs) {
              runs++;
              const last = run.startTick + run.inputs.length - 1;
              if (last > h.host.session.confirmedTick) beyond++;
            }
          }
        }
        send(peerId, message, reliable);
      };
      await h.start();
      h.run(600);
      expect(runs).toBeGreaterThan(100);
      expect(beyond).toBe(0);
      // The players mispredict and roll back; the spectator has nothing to mispredict.
      expect(h.peers[0]!.rollbacks + h.peers[1]!.rollbacks).toBeGreaterThan(10);
      expect(h.peers[2]!.rollbacks).toBe(0);
      expect(h.peers[2]!.session.currentTick).toBeGreaterThan(500);
      h.inputsChange = false;
      h.run(60);
      expectConverged(h, `seed ${seed}`);
    });
  }
});

describe('Session leave and drop', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`dropPlayer removes a player at one agreed tick on every peer (${Topology[topology]}, seed 23)`, async () => {
      const seed = 23;
      const h = harness(3, seed, { latency: 30, packetLoss: 0.05 }, { topology });
      await h.start();
      h.run(150);
      const left: [string, number][][] = h.peers.map(() => []);
      const dropped: [string, Uint8Array | undefined][] = [];
      h.peers.forEach((p, i) =>
        p.session.on('playerLeft', (info) => left[i]!.push([info.playerId, info.leaveTick])),
      );
      h.peers[1]!.session.on('playerDropped', (id, metadata) => dropped.push([id, metadata]));
      h.host.session.dropPlayer('p2', new Uint8Array([7]));
      h.run(200);
      expect(h.peers[2]!.session.state).toBe(SessionState.Disconnected);
      expect(dropped).toEqual([['p2', new Uint8Array([7])]]);
      expect(left[0]!.length).toBe(1);
      expect(left[1]).toEqual(left[0]);
      expect(h.peers[1]!.session.players.has('p2')).toBe(false);
      h.inputsChange = false;
      h.run(60);
      expectConverged(h, `seed ${seed}`, h.peers.slice(0, 2));
      expect(h.peers[0]!.session.confirmedTick).toBeGreaterThan(400);
    });

    it(`a player leaving a game in progress leaves at one agreed tick (${Topology[topology]}, seed 24)`, async () => {
      const seed = 24;
      const h = harness(4, seed, { latency: 20 }, { topology });
      await h.start();
      h.run(100);
      const left: number[][] = h.peers.map(() => []);
      h.peers.forEach((p, i) =>
        p.session.on('playerLeft', (info) => left[i]!.push(info.leaveTick)),
      );
      h.peers[3]!.session.leaveRoom();
      h.run(200);
      expect(left[0]!.length).toBe(1);
      expect(left[1]).toEqual(left[0]);
      expect(left[2]).toEqual(left[0]);
      h.inputsChange = false;
      h.run(60);
      expectConverged(h, `seed ${seed}`, h.peers.slice(0, 3));
      expect(h.peers[1]!.session.confirmedTick).toBeGreaterThan(300);
    });
  }

  it('a dropped player can join again under the same id and gets the state (seed 25)', async () => {
    const seed = 25;
    const h = harness(3, seed, { latency: 20 });
    await h.start();
    h.run(100);
    h.host.session.dropPlayer('p2');
    h.run(200);
    expect(h.peers[2]!.session.state).toBe(SessionState.Disconnected);
    await h.join(2);
    h.run(200);
    h.inputsChange = false;
    h.run(60);
    expect(h.peers[2]!.session.players.get('p2')?.joinTick).toBeGreaterThan(300);
    expectConverged(h, `seed ${seed}`);
  });

  it('a silent peer fires networkInterrupted, then is disconnected at an agreed tick (seed 26)', async () => {
    const seed = 26;
    const h = harness(
      3,
      seed,
      { latency: 20 },
      // A player that goes silent leaves at once (no reconnect window: see reconnect.test.ts).
      { disconnectNotifyStart: 300, disconnectTimeout: 1000, reconnectWindowMs: 0 },
    );
    await h.start();
    h.run(60);
    const interrupted: [string, number][] = [];
    const left: [string, number][] = [];
    h.host.session.on('networkInterrupted', (id, ms) => interrupted.push([id, ms]));
    h.peers[1]!.session.on('playerLeft', (info) => left.push([info.playerId, info.leaveTick]));
    // p2 goes silent: its session and transport stop.
    for (let f = 0; f < 120; f++) {
      for (const p of h.peers.slice(0, 2)) p.session.tick(new Uint8Array([f & 1]));
      for (const p of h.peers.slice(0, 2)) p.transport.tick(h.frameMs);
    }
    expect(interrupted.length).toBe(1);
    expect(interrupted[0]![0]).toBe('p2');
    expect(interrupted[0]![1]).toBeGreaterThan(0);
    expect(interrupted[0]![1]).toBeLessThanOrEqual(700);
    expect(left.map(([id]) => id)).toEqual(['p2']);
    const confirmed = h.peers[1]!.session.confirmedTick;
    for (let f = 0; f < 120; f++) {
      for (const p of h.peers.slice(0, 2)) p.session.tick(new Uint8Array([1]));
      for (const p of h.peers.slice(0, 2)) p.transport.tick(h.frameMs);
    }
    expect(h.peers[1]!.session.confirmedTick).toBeGreaterThan(confirmed + 100);
    expectConverged(h, `seed ${seed}`, h.peers.slice(0, 2));
  });
});

describe('Session host loss and mesh size', () => {
  it('ends the session of a spectator left without any player when the host disconnects (seed 27)', async () => {
    // A room only ends when no player is left (with players left, see host-migration.test.ts).
    const h = harness(2, 27, { latency: 10 }, { reconnectWindowMs: 0 });
    h.peers[1]!.session.setLocalRole(PlayerRole.Spectator);
    await h.start();
    h.run(60);
    const states: SessionState[] = [];
    h.peers[1]!.session.on('stateChange', (s) => states.push(s));
    h.host.transport.disconnectAll();
    h.run(5);
    expect(states).toEqual([SessionState.Disconnected]);
    const closed = h.peers[1]!.errors.find((e) => e.context.recoverable === false);
    expect(closed?.error.message).toMatch(/lost the host/);
  });

  it('keeps the room for the others when the host leaves: a successor hosts it (seed 35)', async () => {
    const h = harness(3, 35, { latency: 10 }, { topology: Topology.Mesh });
    await h.start();
    h.run(30);
    h.host.session.leaveRoom();
    expect(h.host.session.state).toBe(SessionState.Disconnected);
    h.run(30);
    for (const p of h.peers.slice(1)) {
      expect(p.session.state).toBe(SessionState.Playing);
      expect(p.errors.find((e) => (e.error as { code?: string }).code === 'ROOM_CLOSED')).toBe(
        undefined,
      );
    }
    expect(h.peers.slice(1).filter((p) => p.session.isHost)).toHaveLength(1);
  });

  it('warns through error when a mesh room grows past 4 players (seed 28)', async () => {
    const h = harness(5, 28, {}, { topology: Topology.Mesh, maxPlayers: 5 });
    await h.start();
    const warnings = h.host.errors.filter(
      (e) => (e.error as { code?: string }).code === 'MESH_TOO_LARGE',
    );
    expect(warnings.length).toBe(1);
    h.run(120);
    expectConverged(h, 'seed 28');
  });
});

describe('Session spectators and versions', () => {
  it('many spectators in star follow the game; players never wait for them (seed 29)', async () => {
    const seed = 29;
    const h = harness(8, seed, { latency: 25, packetLoss: 0.05 });
    for (const p of h.peers.slice(2)) p.session.setLocalRole(PlayerRole.Spectator);
    await h.start(600, 5); // two players and three spectators from the lobby
    h.run(100);
    await h.join(5);
    await h.join(6);
    await h.join(7);
    h.run(200);
    expect(h.host.session.rollbackEngine?.playerIds).toEqual(['p0', 'p1']);
    expect(h.peers[0]!.stalls + h.peers[1]!.stalls).toBe(0);
    h.inputsChange = false;
    h.run(60);
    expectConverged(h, `seed ${seed}`);
  });

  it('rejects a joiner that speaks another protocol version, with a reason', async () => {
    const transports = createLocalTransportGroup(['h', 'x'], { seed: 30 });
    const h = new Harness(new Map([['h', transports.get('h')!]]), 30);
    await h.host.session.createRoom();
    const x = transports.get('x')!;
    const answers: Uint8Array[] = [];
    x.onMessage = (_from, bytes) => answers.push(bytes);
    await x.connect('h');
    x.send(
      'h',
      encodeMessage({
        type: MessageType.JoinRequest,
        protocolVersion: PROTOCOL_VERSION + 1,
        roomId: h.host.session.roomId!,
        playerId: 'x',
        role: WireRole.Player,
        metadata: new Uint8Array(0),
      }),
      true,
    );
    for (let i = 0; i < 3; i++) {
      h.host.transport.tick(16);
      x.tick(16);
    }
    const answer = answers
      .map((b) => decodeMessage(b))
      .find((m) => m.type === MessageType.JoinReject);
    expect(answer).toMatchObject({ reason: JoinRejectReason.VersionMismatch });
    expect(answer && 'message' in answer ? answer.message : '').toMatch(/version/);
    expect(h.host.session.players.size).toBe(1);
  });
});

describe('Session join while paused', () => {
  it('a player joining a paused game is paused too, and plays on after resume (seed 31)', async () => {
    const h = harness(3, 31, { latency: 20 }, { resumeCountdownSeconds: 0 });
    await h.start(600, 2);
    h.run(60);
    h.host.session.pause();
    h.run(10);
    await h.join(2);
    h.run(10);
    expect(h.peers[2]!.session.state).toBe(SessionState.Paused);
    const frozen = h.peers[2]!.session.currentTick;
    h.run(30);
    expect(h.peers[2]!.session.currentTick).toBe(frozen);
    h.host.session.resume();
    h.run(200);
    h.inputsChange = false;
    h.run(60);
    expectConverged(h, 'seed 31');
  });
});

describe('Session time sync', () => {
  it('a peer running ahead is told to stretch its frames; interrupted traffic resumes (seed 32)', async () => {
    const h = harness(2, 32, { latency: 30 }, { disconnectNotifyStart: 200 });
    await h.start();
    h.run(120);
    const base = 1000 / 60;
    // The host entered Playing a one-way latency (~2 ticks) before p1, and this lockstep loop
    // does not stretch ticks, so the host stays slightly ahead: a small stretch, not the cap.
    expect(h.host.session.frameDelayMultiplier).toBeLessThan(1.1);
    expect(h.host.session.framesAheadEstimate).toBeLessThan(3);
    // p1's loop runs at half speed for 2 s: the host pulls ahead and is told to slow down.
    // (The estimate moves with each of p1's messages, a heartbeat apart: its highest over the
    // last second says it, not its value on one frame.)
    let ahead = 0;
    let multiplier = 1;
    let delayMs = base;
    for (let f = 0; f < 120; f++) {
      h.host.session.tick(new Uint8Array([1]));
      if (f % 2 === 0) h.peers[1]!.session.tick(new Uint8Array([2]));
      for (const p of h.peers) p.transport.tick(h.frameMs);
      if (f < 60 || h.host.session.framesAheadEstimate <= ahead) continue;
      ahead = h.host.session.framesAheadEstimate;
      multiplier = h.host.session.frameDelayMultiplier;
      delayMs = h.host.session.recommendedFrameDelayMs;
    }
    expect(ahead).toBeGreaterThan(2);
    expect(multiplier).toBeCloseTo(1.1);
    expect(delayMs).toBeCloseTo(base * 1.1);
    expect(h.peers[1]!.session.catchUpTicks).toBeGreaterThan(10);
    const events: string[] = [];
    h.host.session.on('networkInterrupted', (id) => events.push(`interrupted ${id}`));
    h.host.session.on('networkResumed', (id) => events.push(`resumed ${id}`));
    const syncs: number[] = [];
    h.host.session.on('timeSync', (ahead) => syncs.push(ahead));
    // p1's loop and network stall for 0.5 s.
    for (let f = 0; f < 30; f++) {
      h.host.session.tick(new Uint8Array([1]));
      h.host.transport.tick(h.frameMs);
    }
    h.run(240);
    expect(events).toEqual(['interrupted p1', 'resumed p1']);
    expect(Math.abs(h.host.session.framesAheadEstimate)).toBeLessThan(5);
    expect(syncs.length).toBeGreaterThan(3);
  });
});

describe('Session mesh link loss', () => {
  it('when two mesh players lose their link, the host removes one at an agreed tick and the rest play on (seed 33)', async () => {
    const h = harness(3, 33, { latency: 20 }, { topology: Topology.Mesh, reconnectWindowMs: 0 });
    await h.start();
    h.run(100);
    const left: string[] = [];
    h.host.session.on('playerLeft', (info) => left.push(info.playerId));
    h.peers[1]!.transport.disconnect('p2');
    h.run(300);
    expect(left.length).toBe(1);
    const remaining = h.peers.filter((p) => p.session.state === SessionState.Playing);
    expect(remaining.length).toBe(2);
    h.inputsChange = false;
    h.run(60);
    expectConverged(h, 'seed 33', remaining);
    expect(remaining[1]!.session.confirmedTick).toBeGreaterThan(400);
  });
});

describe('Session hidden tab', () => {
  it('a tab hidden longer than disconnectTimeout is dropped cleanly and ends its session when it wakes (seed 34)', async () => {
    const h = harness(3, 34, { latency: 20 }, { disconnectTimeout: 2000, reconnectWindowMs: 0 });
    await h.start();
    h.run(60);
    const sleeper = h.peers[2]!;
    // 3 s without ticking the session or its transport (a throttled background tab).
    for (let f = 0; f < 180; f++) {
      for (const p of h.peers.slice(0, 2)) p.session.tick(new Uint8Array([f & 1]));
      for (const p of h.peers.slice(0, 2)) p.transport.tick(h.frameMs);
    }
    expect(h.host.session.players.has('p2')).toBe(false);
    // It wakes up: a big time jump, then frames again.
    sleeper.transport.tick(3000);
    expect(() => h.run(30)).not.toThrow();
    expect(sleeper.session.state).toBe(SessionState.Disconnected);
    h.inputsChange = false;
    h.run(60);
    expectConverged(h, 'seed 34', h.peers.slice(0, 2));
  });
});

describe('Session late joiner view', () => {
  it('reports every member with its real join tick and goes straight to Playing, never through Lobby (seed 24)', async () => {
    const seed = 24;
    const h = harness(3, seed, { latency: 20 });
    await h.start(600, 2);
    h.run(120);
    const joiner = h.peers[2]!;
    const states: SessionState[] = [];
    const joined: PlayerInfo[] = [];
    joiner.session.on('stateChange', (state) => states.push(state));
    joiner.session.on('playerJoined', (info) => joined.push(info));
    await h.join(2);
    expect(states, `seed ${seed}`).toEqual([SessionState.Connecting, SessionState.Playing]);
    const byId = new Map(joined.map((info) => [info.playerId, info.joinTick]));
    expect(byId.get('p0'), `seed ${seed}`).toBe(0);
    expect(byId.get('p1'), `seed ${seed}`).toBe(0);
    expect(byId.get('p2'), `seed ${seed}`).toBeGreaterThan(120);
    for (const info of joined) expect(info.joinTick, `seed ${seed} ${info.playerId}`).not.toBe(-1);
  });
});

describe('decideAdmission', () => {
  const request = {
    type: MessageType.JoinRequest,
    protocolVersion: PROTOCOL_VERSION,
    roomId: 'r',
    playerId: 'x',
    role: WireRole.Player,
    metadata: new Uint8Array(0),
  } as const;
  const base: AdmissionInput = {
    request,
    role: PlayerRole.Player,
    isHost: true,
    withinRateLimit: true,
    retryAfterMs: 0,
    roomId: 'r',
    state: SessionState.Lobby,
    duplicate: false,
    players: 1,
    spectators: 0,
    maxPlayers: 2,
    maxSpectators: 1,
    freeSlot: 1,
  };
  const rows: [string, Partial<AdmissionInput>, JoinRejectReason | 'admit'][] = [
    ['admits into a free slot', {}, 'admit'],
    ['admits into a running game', { state: SessionState.Playing }, 'admit'],
    ['refuses when not hosting', { isHost: false }, JoinRejectReason.NotAccepting],
    [
      'refuses past the rate limit',
      { withinRateLimit: false, retryAfterMs: 99 },
      JoinRejectReason.RateLimited,
    ],
    [
      'refuses another protocol version',
      { request: { ...request, protocolVersion: 999 } },
      JoinRejectReason.VersionMismatch,
    ],
    ['refuses another room', { request: { ...request, roomId: 'q' } }, JoinRejectReason.WrongRoom],
    [
      'refuses while the room closes',
      { state: SessionState.Connecting },
      JoinRejectReason.NotAccepting,
    ],
    ['refuses a duplicate', { duplicate: true }, JoinRejectReason.DuplicatePlayer],
    ['refuses a player when full', { players: 2 }, JoinRejectReason.RoomFull],
    [
      'admits a spectator when players are full',
      { players: 2, role: PlayerRole.Spectator },
      'admit',
    ],
    [
      'refuses a spectator when spectators are full',
      { role: PlayerRole.Spectator, spectators: 1 },
      JoinRejectReason.RoomFull,
    ],
    ['refuses when every join slot was used', { freeSlot: -1 }, JoinRejectReason.RoomFull],
  ];
  for (const [name, change, expected] of rows) {
    it(name, () => {
      const admission = decideAdmission({ ...base, ...change });
      expect(admission.admit ? 'admit' : admission.reason).toBe(expected);
    });
  }
});
