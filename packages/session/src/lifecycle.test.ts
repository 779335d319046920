import { JoinRejectReason, MessageType, encodeMessage } from '@rbn/protocol';
import type { RbnError } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { createSession } from './session';
import { Harness, settle } from './testing/harness';
import { TestGame } from './testing/test-game';
import { PlayerRole, SessionState, Topology } from './types';
import type { SessionConfig } from './types';

function harness(
  n: number,
  seed: number,
  net: { latency?: number; jitter?: number; packetLoss?: number } = {},
  config: Partial<SessionConfig> = {},
): Harness {
  const ids = Array.from({ length: n }, (_, i) => `p${i}`);
  return new Harness(createLocalTransportGroup(ids, { ...net, seed }), seed, config);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as RbnError).code;
  }
  return undefined;
}

async function rejection(promise: Promise<unknown>): Promise<RbnError> {
  try {
    await promise;
  } catch (error) {
    return error as RbnError;
  }
  throw new Error('expected a rejection');
}

describe('Session config', () => {
  const transport = createLocalTransportGroup(['a']).get('a')!;
  const game = new TestGame();

  it('throws INVALID_CONFIG naming the field for out-of-range values', () => {
    const cases: [Partial<SessionConfig>, string][] = [
      [{ maxPlayers: 17 }, 'maxPlayers'],
      [{ maxPlayers: 1 }, 'maxPlayers'],
      [{ tickRate: 0 }, 'tickRate'],
      [{ hashInterval: 1.5 }, 'hashInterval'],
      [{ snapshotHistorySize: -1 }, 'snapshotHistorySize'],
      [{ topology: 7 as Topology }, 'topology'],
      [{ disconnectNotifyStart: 9000, disconnectTimeout: 5000 }, 'disconnectNotifyStart'],
      [{ inputDelayTicks: Number.NaN }, 'inputDelayTicks'],
    ];
    for (const [config, field] of cases) {
      let error: RbnError | undefined;
      try {
        createSession({ game, transport, config });
      } catch (e) {
        error = e as RbnError;
      }
      expect(error?.code, field).toBe('INVALID_CONFIG');
      expect(error?.message, field).toContain(field);
    }
  });

  it('rejects unknown config fields by name', () => {
    expect(() =>
      createSession({ game, transport, config: { tickrate: 60 } as Partial<SessionConfig> }),
    ).toThrow(/config\.tickrate/);
  });

  it('applies the documented defaults', () => {
    const session = createSession({ game, transport });
    expect(session.config).toMatchObject({
      snapshotHistorySize: 120,
      maxSpeculationTicks: 60,
      hashInterval: 60,
      tickRate: 60,
      maxPlayers: 4,
      topology: Topology.Star,
      inputDelayTicks: 0,
    });
    expect(session.state).toBe(SessionState.Disconnected);
    expect(session.localPlayerId).toBe('a');
    session.destroy();
  });
});

describe('Session lifecycle', () => {
  it('goes Disconnected → Connecting → Lobby → Playing and fires gameStart once on every peer', async () => {
    const h = harness(3, 1, { latency: 10 });
    const states = h.peers.map(() => [] as SessionState[]);
    const starts = h.peers.map(() => 0);
    h.peers.forEach((p, i) => {
      p.session.on('stateChange', (s) => states[i]!.push(s));
      p.session.on('gameStart', () => starts[i]!++);
    });
    await h.start();
    for (const s of states) {
      expect(s).toEqual([SessionState.Connecting, SessionState.Lobby, SessionState.Playing]);
    }
    expect(starts).toEqual([1, 1, 1]);
    expect(h.host.session.isHost).toBe(true);
    expect(h.peers[1]!.session.isHost).toBe(false);
    expect(h.peers[1]!.session.roomId).toBe(h.host.session.roomId);
    expect([...h.peers[2]!.session.players.keys()].sort()).toEqual(['p0', 'p1', 'p2']);
    expect(h.peers[2]!.session.players.get('p0')?.isHost).toBe(true);
  });

  it('throws clear errors for calls in the wrong state or by the wrong peer', async () => {
    const h = harness(2, 2);
    const [host, client] = [h.peers[0]!.session, h.peers[1]!.session];
    expect(codeOf(() => host.start())).toBe('NOT_HOST');
    expect(codeOf(() => host.leaveRoom())).toBe('INVALID_STATE');
    await h.start();
    expect(codeOf(() => client.start())).toBe('NOT_HOST');
    expect(() => client.start()).toThrow(/only the host can start/);
    expect(codeOf(() => host.start())).toBe('INVALID_STATE');
    expect(codeOf(() => client.pause())).toBe('NOT_HOST');
    expect(codeOf(() => client.dropPlayer('p0'))).toBe('NOT_HOST');
    expect(codeOf(() => host.resume())).toBe('INVALID_STATE');
    expect(codeOf(() => host.dropPlayer('nobody'))).toBe('UNKNOWN_PLAYER');
    expect(codeOf(() => client.setLocalRole(PlayerRole.Spectator))).toBe('INVALID_STATE');
    expect(codeOf(() => host.requestSync())).toBe('INVALID_STATE');
    expect((await rejection(host.createRoom())).message).toMatch(/already in a room/);
    expect((await rejection(client.joinRoom('x', 'p0'))).message).toMatch(/already in a room/);
    client.destroy();
    expect(codeOf(() => client.tick())).toBe('DESTROYED');
  });

  it('rejects joins for a wrong room, a full room and a duplicate player, also once started', async () => {
    const ids = ['h', 'a', 'b', 'c'];
    const transports = createLocalTransportGroup(ids, { seed: 3 });
    const make = (id: string, localPlayerId = id) =>
      createSession({
        game: new TestGame(),
        transport: transports.get(id)!,
        localPlayerId,
        config: { maxPlayers: 2 },
        clock: { now: () => transports.get(id)!.now },
      });
    const host = make('h');
    const a = make('a');
    const b = make('b', 'a'); // same player id as a
    const c = make('c');
    const pump = async (frames = 5) => {
      for (let i = 0; i < frames; i++) {
        await settle();
        for (const s of [host, a, b, c]) if (s.state !== SessionState.Disconnected) s.tick();
        for (const t of transports.values()) t.tick(16);
      }
    };
    const roomId = await host.createRoom();
    const wrong = rejection(c.joinRoom('nope', 'h'));
    await pump();
    const wrongError = await wrong;
    expect(wrongError.code).toBe('JOIN_REJECTED');
    expect((wrongError as RbnError & { reason: JoinRejectReason }).reason).toBe(
      JoinRejectReason.WrongRoom,
    );
    expect(c.state).toBe(SessionState.Disconnected);

    const joinA = a.joinRoom(roomId, 'h');
    await pump();
    await joinA;
    const dup = rejection(b.joinRoom(roomId, 'h'));
    await pump();
    expect(((await dup) as RbnError & { reason: JoinRejectReason }).reason).toBe(
      JoinRejectReason.DuplicatePlayer,
    );
    const full = rejection(c.joinRoom(roomId, 'h'));
    await pump();
    expect(((await full) as RbnError & { reason: JoinRejectReason }).reason).toBe(
      JoinRejectReason.RoomFull,
    );
    host.start();
    const late = rejection(c.joinRoom(roomId, 'h'));
    await pump();
    expect(((await late) as RbnError & { reason: JoinRejectReason }).reason).toBe(
      JoinRejectReason.RoomFull,
    );
  });

  it('rate-limits join requests per peer', async () => {
    const transports = createLocalTransportGroup(['h', 'a'], { seed: 4 });
    const make = (id: string) =>
      createSession({
        game: new TestGame(),
        transport: transports.get(id)!,
        config: { joinRateLimitRequests: 1, joinRateLimitWindowMs: 60_000 },
        clock: { now: () => transports.get(id)!.now },
      });
    const host = make('h');
    const a = make('a');
    await host.createRoom();
    const pump = async () => {
      for (let i = 0; i < 5; i++) {
        await settle();
        host.tick();
        for (const t of transports.values()) t.tick(16);
      }
    };
    const first = rejection(a.joinRoom('wrong', 'h'));
    await pump();
    expect(((await first) as RbnError & { reason: JoinRejectReason }).reason).toBe(
      JoinRejectReason.WrongRoom,
    );
    const second = rejection(a.joinRoom(host.roomId!, 'h'));
    await pump();
    expect(((await second) as RbnError & { reason: JoinRejectReason }).reason).toBe(
      JoinRejectReason.RateLimited,
    );
    // Once joinRateLimitWindowMs has passed, the same peer may try again and gets in.
    for (const t of transports.values()) t.tick(60_000);
    const third = a.joinRoom(host.roomId!, 'h');
    await pump();
    await expect(third).resolves.toBeUndefined();
    expect(a.state).toBe(SessionState.Lobby);
  });

  it('rejects joinRoom with JOIN_TIMEOUT when the host never answers, and JOIN_CANCELLED on leaveRoom', async () => {
    const transports = createLocalTransportGroup(['h', 'a'], { seed: 9 });
    // 'h' has no session: the connection opens but nobody answers the join request.
    const a = createSession({
      game: new TestGame(),
      transport: transports.get('a')!,
      config: { joinTimeout: 1000 },
      clock: { now: () => transports.get('a')!.now },
    });
    const frames = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await settle();
        a.tick();
        for (const t of transports.values()) t.tick(16);
      }
    };
    const timedOut = rejection(a.joinRoom('room', 'h'));
    await frames(55); // 880 ms: still waiting
    expect(a.state).toBe(SessionState.Connecting);
    await frames(10); // past 1000 ms
    expect(a.state).toBe(SessionState.Disconnected);
    expect((await timedOut).code).toBe('JOIN_TIMEOUT');

    const cancelled = rejection(a.joinRoom('room', 'h'));
    await frames(2);
    a.leaveRoom();
    expect((await cancelled).code).toBe('JOIN_CANCELLED');
    expect(a.state).toBe(SessionState.Disconnected);
  });

  it('lets a player leave the lobby and tells the others', async () => {
    const h = harness(3, 5, { latency: 10 });
    const roomId = await h.host.session.createRoom();
    const joins = h.peers.slice(1).map((p) => p.session.joinRoom(roomId, 'p0'));
    for (let i = 0; i < 20; i++) {
      await settle();
      h.runFrame();
    }
    await Promise.all(joins);
    const left: string[] = [];
    h.peers[2]!.session.on('playerLeft', (p) => left.push(p.playerId));
    h.peers[1]!.session.leaveRoom();
    expect(h.peers[1]!.session.state).toBe(SessionState.Disconnected);
    for (let i = 0; i < 10; i++) h.runFrame();
    expect(left).toEqual(['p1']);
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p2']);
  });
});

describe('Session pause and resume', () => {
  it('pauses every peer, counts down 3-2-1 on every peer, then resumes and keeps converging', async () => {
    const h = harness(3, 6, { latency: 30 }, { topology: Topology.Mesh });
    await h.start();
    h.run(120);
    const countdowns = h.peers.map(() => [] as number[]);
    h.peers.forEach((p, i) => p.session.on('resumeCountdown', (s) => countdowns[i]!.push(s)));
    h.host.session.pause();
    h.run(10);
    for (const p of h.peers) expect(p.session.state).toBe(SessionState.Paused);
    const frozen = h.peers.map((p) => p.session.currentTick);
    h.run(60);
    expect(h.peers.map((p) => p.session.currentTick)).toEqual(frozen);
    h.host.session.resume();
    h.run(200);
    for (const c of countdowns) expect(c).toEqual([3, 2, 1]);
    for (const p of h.peers) expect(p.session.state).toBe(SessionState.Playing);
    h.run(200);
    h.inputsChange = false;
    h.run(60);
    const { tick, hashes } = h.confirmedHashes();
    expect(tick).toBeGreaterThan(frozen[0]! + 250);
    expect(new Set(hashes).size).toBe(1);
  });

  it('ignores control messages from a non-host and reports them through error', async () => {
    for (const topology of [Topology.Star, Topology.Mesh]) {
      const h = harness(3, 7, { latency: 10 }, { topology });
      await h.start();
      h.run(30);
      const forged = encodeMessage({ type: MessageType.Pause, tick: 5 });
      const target = topology === Topology.Star ? 'p0' : 'p2';
      h.peers[1]!.transport.send(target, forged, true);
      h.peers[1]!.transport.send(
        target,
        encodeMessage({ type: MessageType.DropPlayer, slot: 0, tick: 1, metadata: null }),
        true,
      );
      h.run(10);
      const victim = h.peers.find((p) => p.id === target)!;
      expect(victim.session.state, Topology[topology]).toBe(SessionState.Playing);
      const peerErrors = victim.errors.filter((e) => e.context.source === 'peer');
      expect(peerErrors.length, Topology[topology]).toBe(2);
      expect(peerErrors[0]!.context.peerId).toBe('p1');
      expect(peerErrors[0]!.context.messageType).toBe(MessageType.Pause);
      expect(peerErrors[0]!.error.message).toMatch(/only come from the host/);
    }
  });
});

describe('Session robustness', () => {
  it('reports garbage bytes through error and keeps playing to identical states (seed 8)', async () => {
    const h = harness(3, 8, { latency: 20 });
    await h.start();
    let x = 8;
    const noise = () => {
      const bytes = new Uint8Array(1 + (x % 40));
      for (let i = 0; i < bytes.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bytes[i] = x >>> 24;
      }
      return bytes;
    };
    for (let f = 0; f < 300; f++) {
      if (f % 10 === 0) {
        h.peers[1]!.transport.send('p0', noise(), f % 20 === 0);
        h.peers[0]!.transport.send('p2', new Uint8Array([0x01, 0xff, 0xff]), false);
        h.peers[2]!.transport.send('p0', new Uint8Array(0), true);
      }
      h.runFrame();
    }
    h.inputsChange = false;
    h.run(60);
    const protocolErrors = h.peers.flatMap((p) =>
      p.errors.filter((e) => e.context.source === 'protocol'),
    );
    expect(protocolErrors.length).toBeGreaterThan(40);
    expect(protocolErrors[0]!.context.peerId).toMatch(/^p[0-2]$/);
    const { tick, hashes } = h.confirmedHashes();
    expect(tick).toBeGreaterThan(300);
    expect(new Set(hashes).size, 'seed 8').toBe(1);
  });

  it("refuses a peer's inputs for a player it does not own (star and mesh)", async () => {
    for (const topology of [Topology.Star, Topology.Mesh]) {
      const h = harness(3, 9, { latency: 10 }, { topology });
      await h.start();
      h.run(30);
      const forged = encodeMessage({
        type: MessageType.Input,
        senderTick: 30,
        acks: [],
        runs: [{ slot: 2, startTick: 100, inputs: [new Uint8Array([9])] }],
      });
      const target = topology === Topology.Star ? 'p0' : 'p2';
      const victim = h.peers.find((p) => p.id === (topology === Topology.Star ? 'p0' : 'p2'))!;
      h.peers[1]!.transport.send(target, forged, false);
      h.run(5);
      const peerErrors = victim.errors.filter((e) => e.context.source === 'peer');
      expect(
        peerErrors.map((e) => e.error.message),
        Topology[topology],
      ).toEqual([expect.stringMatching(/inputs for slot 2/)]);
      h.inputsChange = false;
      h.run(120);
      expect(new Set(h.confirmedHashes().hashes).size).toBe(1);
    }
  });

  it('keeps running when a listener throws, and reports it through error', async () => {
    const h = harness(2, 10);
    h.peers[1]!.session.on('gameStart', () => {
      throw new Error('listener bug');
    });
    await h.start();
    h.run(30);
    const listenerErrors = h.peers[1]!.errors.filter((e) => e.context.source === 'listener');
    expect(listenerErrors.map((e) => [e.error.message, e.context.event])).toEqual([
      ['listener bug', 'gameStart'],
    ]);
    expect(h.peers[1]!.session.currentTick).toBeGreaterThan(20);
  });
});

describe('Session input exchange', () => {
  for (const topology of [Topology.Star, Topology.Mesh]) {
    it(`sends at most one input message per peer link per tick, plus at most two relays on receipt by a star's host (${Topology[topology]}, 4 players)`, async () => {
      const h = harness(4, 11, { latency: 40, packetLoss: 0.1 }, { topology });
      await h.start();
      const perFrame = new Map<string, number>();
      let worst = 0;
      let inputMessages = 0;
      for (const p of h.peers) {
        const send = p.transport.send.bind(p.transport);
        p.transport.send = (peerId, message, reliable) => {
          if (message[0] === MessageType.Input || message[0] === MessageType.InputAck) {
            const key = `${p.id}>${peerId}`;
            const n = (perFrame.get(key) ?? 0) + 1;
            perFrame.set(key, n);
            worst = Math.max(worst, n);
            inputMessages++;
            expect(reliable).toBe(false);
          }
          send(peerId, message, reliable);
        };
      }
      for (let f = 0; f < 300; f++) {
        perFrame.clear();
        h.runFrame();
      }
      // A star's host also passes changed inputs on as they arrive, at most two per link and frame.
      expect(worst).toBeLessThanOrEqual(topology === Topology.Star ? 3 : 1);
      expect(inputMessages).toBeGreaterThan(300);
    });
  }

  it('relays every player’s inputs through the host in star (clients only link to the host)', async () => {
    const h = harness(3, 12, { latency: 20 });
    await h.start();
    h.run(60);
    expect(h.peers[1]!.session.getNetworkStats('p2')).toBeNull();
    expect(h.peers[1]!.session.getNetworkStats('p0')).not.toBeNull();
    h.inputsChange = false;
    h.run(60);
    expect(new Set(h.confirmedHashes().hashes).size).toBe(1);
  });

  it('connects every pair of players in mesh', async () => {
    const h = harness(3, 13, { latency: 20 }, { topology: Topology.Mesh });
    await h.start();
    h.run(60);
    expect(h.peers[1]!.session.getNetworkStats('p2')?.messagesReceived).toBeGreaterThan(10);
    expect(h.peers[2]!.transport.connectedPeers.has('p1')).toBe(true);
  });

  it('reports RTT, traffic rates, frames behind and pending inputs per peer', async () => {
    const h = harness(2, 14, { latency: 50 });
    await h.start();
    h.run(240);
    const stats = h.host.session.getNetworkStats('p1')!;
    expect(stats.rtt).toBeGreaterThan(90);
    expect(stats.rtt).toBeLessThan(140);
    expect(stats.messagesSentPerSecond).toBeGreaterThan(5);
    expect(stats.messagesSentPerSecond).toBeLessThanOrEqual(64);
    expect(stats.bytesSentPerSecond).toBeGreaterThan(stats.messagesSentPerSecond);
    expect(stats.messagesReceivedPerSecond).toBeGreaterThan(5);
    expect(Math.abs(stats.localFramesBehind)).toBeLessThan(10);
    expect(stats.remoteFramesBehind).toBe(-stats.localFramesBehind);
    // With 100 ms of RTT, about six ticks of inputs are always on their way, not yet acked.
    expect(stats.pendingInputs).toBeGreaterThan(0);
    expect(stats.pendingInputs).toBeLessThan(20);
    expect(stats.bytesReceivedPerSecond).toBeGreaterThan(stats.messagesReceivedPerSecond);
    expect(h.host.session.getNetworkStats('nobody')).toBeNull();
  });

  it('reports a peer that runs behind in localFramesBehind / remoteFramesBehind', async () => {
    const h = harness(2, 17, { latency: 20 });
    await h.start();
    h.run(60);
    // p1's loop hangs for 20 frames, then ticks once: the host hears from a peer ~20 ticks back.
    for (let f = 0; f < 20; f++) {
      h.host.session.tick(new Uint8Array([1]));
      for (const p of h.peers) p.transport.tick(h.frameMs);
    }
    h.peers[1]!.session.tick(new Uint8Array([1]));
    for (let f = 0; f < 3; f++) {
      h.host.session.tick(new Uint8Array([1]));
      for (const p of h.peers) p.transport.tick(h.frameMs);
    }
    const onHost = h.host.session.getNetworkStats('p1')!;
    expect(onHost.localFramesBehind).toBeLessThan(-12);
    expect(onHost.remoteFramesBehind).toBeGreaterThan(12);
    const onP1 = h.peers[1]!.session.getNetworkStats('p0')!;
    expect(onP1.localFramesBehind).toBeGreaterThan(12);
  });

  it('changes the input delay while playing and stays in sync', async () => {
    const h = harness(2, 15, { latency: 30 });
    await h.start();
    h.run(100);
    h.peers[1]!.session.inputDelayTicks = 3;
    h.run(100);
    h.peers[1]!.session.inputDelayTicks = 1;
    h.run(100);
    h.inputsChange = false;
    h.run(60);
    expect(new Set(h.confirmedHashes().hashes).size).toBe(1);
    expect(codeOf(() => (h.peers[1]!.session.inputDelayTicks = -1))).toBe('INVALID_CONFIG');
  });

  it('reports a player that falls lagReportThreshold ticks behind (locally and to the host)', async () => {
    const h = harness(3, 16, { latency: 10 }, { lagReportThreshold: 20 });
    await h.start();
    h.run(30);
    const reports: [string, number][] = [];
    const local: [string, number][] = [];
    h.host.session.on('lagReport', (id, behind) => reports.push([id, behind]));
    h.peers[1]!.session.on('lagReport', (id, behind) => local.push([id, behind]));
    // p2 stops ticking (its game loop hangs) while the others continue.
    for (let f = 0; f < 50; f++) {
      for (const p of h.peers.slice(0, 2)) p.session.tick(new Uint8Array([1]));
      for (const p of h.peers) p.transport.tick(h.frameMs);
    }
    // p1 measures it itself; the host measures it too and also hears p1's report.
    expect(local.some(([id, behind]) => id === 'p2' && behind >= 20)).toBe(true);
    const aboutP2 = reports.filter(([id, behind]) => id === 'p2' && behind >= 20);
    expect(aboutP2.length).toBeGreaterThanOrEqual(2);
    // Nobody else was ever reported, and no report was below the threshold.
    expect([...reports, ...local].every(([id, behind]) => id === 'p2' && behind >= 20)).toBe(true);
  });

  it('does not report a player that stays below lagReportThreshold', async () => {
    const h = harness(3, 16, { latency: 10 }, { lagReportThreshold: 20 });
    await h.start();
    h.run(30);
    const reports: [string, number][] = [];
    for (const p of h.peers) p.session.on('lagReport', (id, behind) => reports.push([id, behind]));
    // p2 hangs for 8 frames (its inputs then lag by at most ~13 ticks, under 20), then runs on.
    for (let f = 0; f < 8; f++) {
      for (const p of h.peers.slice(0, 2)) p.session.tick(new Uint8Array([1]));
      for (const p of h.peers) p.transport.tick(h.frameMs);
    }
    h.run(100);
    expect(reports).toEqual([]);
  });
});

describe('Session misuse of async methods', () => {
  it('never throws from createRoom or joinRoom: misuse rejects the promise with a coded RbnError', async () => {
    const transports = createLocalTransportGroup(['a', 'b'], { seed: 3 });
    const a = createSession({ game: new TestGame(), transport: transports.get('a')! });
    await a.createRoom();
    let joined: Promise<void> | undefined;
    expect(() => {
      joined = a.joinRoom('room', 'b');
    }).not.toThrow();
    await expect(joined).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(a.createRoom()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    a.destroy();
    let created: Promise<string> | undefined;
    expect(() => {
      created = a.createRoom();
    }).not.toThrow();
    await expect(created).rejects.toMatchObject({ code: 'DESTROYED' });
    await expect(a.joinRoom('room', 'b')).rejects.toMatchObject({ code: 'DESTROYED' });
  });
});
