// A lying member (issue 15, holes 1–9): each attack must be refused with a peer-violation
// event naming the liar, and change nothing else for the honest members: same players, same
// speed, same states, no throw out of tick().
import {
  JoinRejectReason,
  MessageType,
  WireRole,
  encodeMessage,
  tryDecodeMessage,
} from '@rbn/protocol';
import type { Message, RbnError } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { createSession } from './session';
import { Harness, settle } from './testing/harness';
import type { Peer } from './testing/harness';
import { TestGame } from './testing/test-game';
import { DesyncAuthority, PlayerRole, SessionState, Topology } from './types';
import type { SessionConfig } from './types';

const HASH_INTERVAL = 20;
const TOPOLOGIES = [Topology.Star, Topology.Mesh];
const AUTHORITIES = [DesyncAuthority.Host, DesyncAuthority.Peer];

/** The session's internals a test reaches into (not public API). */
type Internals = { desync: { request(peerId: string, tick: number, forwardTo: string[]): void } };

async function game(
  seed: number,
  config: Partial<SessionConfig>,
  ids = ['p0', 'p1', 'p2'],
  members = 3,
): Promise<Harness> {
  const h = new Harness(createLocalTransportGroup(ids, { latency: 10, seed }), seed, {
    hashInterval: HASH_INTERVAL,
    ...config,
  });
  await h.start(600, members);
  h.run(60);
  return h;
}

function send(from: Peer, to: string, message: Message, reliable = true): void {
  from.transport.send(to, encodeMessage(message), reliable);
}

function peer(h: Harness, id: string): Peer {
  return h.peers.find((p) => p.id === id)!;
}

function violations(victim: Peer, from: string): string[] {
  return victim.errors
    .filter((e) => e.context.source === 'peer' && e.context.peerId === from)
    .map((e) => e.error.message);
}

/** Plays on and checks that p0, p1 and p2 still play together, in sync. */
function expectUnharmed(h: Harness, tag: string, members = ['p0', 'p1', 'p2']): void {
  h.run(120);
  h.inputsChange = false;
  h.run(90);
  const players = h.peers.filter((p) => members.includes(p.id)).slice(0, 3);
  for (const p of players) {
    expect(p.session.state, `${tag}: ${p.id} state`).toBe(SessionState.Playing);
    expect([...p.session.players.keys()].sort(), `${tag}: ${p.id} players`).toEqual(members);
  }
  let tick = Infinity;
  for (const p of players) tick = Math.min(tick, p.session.confirmedTick + 1);
  const hashes = players.map((p) => p.session.rollbackEngine?.getSnapshot(tick)?.hash);
  expect(hashes[0], tag).toBeTypeOf('number');
  expect(new Set(hashes).size, `${tag}: hashes at ${tick}: ${hashes.join()}`).toBe(1);
}

/** Rewrites every message a peer sends (the liar's modified client). */
function rewriteOutgoing(liar: Peer, rewrite: (message: Message, to: string) => Message): void {
  const transport = liar.transport;
  const original = transport.send.bind(transport);
  transport.send = (to: string, bytes: Uint8Array, reliable: boolean) => {
    const decoded = tryDecodeMessage(bytes);
    original(to, decoded.ok ? encodeMessage(rewrite(decoded.message, to)) : bytes, reliable);
  };
}

/** Counts the messages of a type a peer sends. */
function countOutgoing(p: Peer, type: MessageType): { count: number } {
  const counter = { count: 0 };
  const transport = p.transport;
  const original = transport.send.bind(transport);
  transport.send = (to: string, bytes: Uint8Array, reliable: boolean) => {
    const decoded = tryDecodeMessage(bytes);
    if (decoded.ok && decoded.message.type === type) counter.count++;
    original(to, bytes, reliable);
  };
  return counter;
}

describe('Session against a lying member', () => {
  for (const topology of TOPOLOGIES) {
    for (const desyncAuthority of AUTHORITIES) {
      const name = `${Topology[topology]} × ${DesyncAuthority[desyncAuthority]}`;
      const config = { topology, desyncAuthority };

      it(`hole 1: a requested Sync outside the tick window, or that does not load as it claims, replaces nothing (${name}, seed 81)`, async () => {
        const h = await game(81, config);
        const victim = peer(h, 'p1');
        const liar = topology === Topology.Star ? peer(h, 'p0') : peer(h, 'p2');
        const good = liar.session.rollbackEngine!.getConfirmedState();
        const ask = (): void =>
          (victim.session as unknown as Internals).desync.request(liar.id, good.tick, []);
        const sync = (tick: number, state: Uint8Array, hash: number): Message => ({
          type: MessageType.Sync,
          tick,
          hash,
          state,
          players: [],
        });
        const garbage = new Uint8Array(good.state.length).fill(7);
        const attempts: Message[] = [
          sync(2 ** 31 - 2, good.state, good.hash),
          sync(victim.session.currentTick + 1_000_000, good.state, good.hash),
          sync(good.tick, garbage, 1), // does not hash to what it claims
          sync(good.tick, new Uint8Array(3), good.hash), // the game's deserialize refuses it
        ];
        const realDeserialize = victim.game.deserialize.bind(victim.game);
        victim.game.deserialize = (data: Uint8Array) => {
          if (data.length !== good.state.length) throw new Error('bad state size');
          realDeserialize(data);
        };
        const before = victim.synced.length;
        for (const attempt of attempts) {
          ask();
          send(liar, 'p1', attempt);
          h.run(2);
        }
        const errors = violations(victim, liar.id);
        expect(errors, name).toEqual([
          expect.stringMatching(/outside the window/),
          expect.stringMatching(/outside the window/),
          expect.stringMatching(/hashes to \d+ here but claims 1/),
          expect.stringMatching(/cannot load \(bad state size\)/),
        ]);
        // Only the liar's honest answers to the requests (its real state) were loaded.
        for (const tick of victim.synced.slice(before))
          expect(tick, name).toBeLessThan(good.tick + 60);
        expectUnharmed(h, name);
      });
    }

    it(`hole 1: a requested peer's self-consistent state at a tick nobody hashed replaces nothing (${Topology[topology]} × Peer, seed 85)`, async () => {
      const tag = `${Topology[topology]} × Peer`;
      const h = await game(85, { topology, desyncAuthority: DesyncAuthority.Peer });
      const victim = h.host; // its hash loses the vote: it asks p1, the lowest slot of the majority
      const liar = peer(h, 'p1');
      const made: number[] = [];
      let answers = 0;
      rewriteOutgoing(liar, (m, to) => {
        if (to !== victim.id || m.type !== MessageType.Sync) return m;
        // A state of the liar's own making that loads and hashes as it claims, at a tick
        // nobody hashed (a hashed tick is a multiple of HASH_INTERVAL), or at the asked tick.
        const state = m.state.slice();
        for (let i = 4; i < state.length; i++) state[i] = (state[i]! + 1 + answers) & 0xff;
        const own = new TestGame(state.length / 4);
        own.deserialize(state);
        made.push(own.hash());
        const tick = answers++ % 2 === 0 ? m.tick + 3 : m.tick;
        return { ...m, tick, state, hash: own.hash() };
      });
      victim.game.perturbAt.add(victim.session.currentTick + 10);
      h.run(360);
      expect(answers, tag).toBeGreaterThan(0);
      expect(victim.synced, tag).toEqual([]);
      const refused = violations(victim, liar.id);
      expect(refused.length, tag).toBeGreaterThan(0);
      for (const text of refused)
        expect(text, tag).toMatch(/but we asked for tick \d+ \(agreed hash/);
      // Our own state stays ours: none of the liar's states is in the victim's history.
      const engine = victim.session.rollbackEngine!;
      for (let t = engine.currentTick - 100; t <= engine.currentTick; t++) {
        expect(made, tag).not.toContain(engine.getSnapshot(t)?.hash);
      }
      expect(victim.session.state, tag).toBe(SessionState.Playing);
      expect([...victim.session.players.keys()].sort(), tag).toEqual(['p0', 'p1', 'p2']);
      // The honest player and the liar (whose own game is honest) still agree, and play on.
      const tick = Math.min(liar.session.confirmedTick, peer(h, 'p2').session.confirmedTick);
      expect(tick, tag).toBeGreaterThan(360);
      const hashes = [liar, peer(h, 'p2')].map(
        (p) => p.session.rollbackEngine!.getSnapshot(tick)?.hash,
      );
      expect(hashes[0], tag).toBe(hashes[1]);
    });

    const name = Topology[topology];

    if (topology === Topology.Mesh) {
      for (const desyncAuthority of AUTHORITIES) {
        const tag = `Mesh × ${DesyncAuthority[desyncAuthority]}`;
        it(`hole 4: a player that sends one peer other inputs than everyone else is dropped, and the others agree again (${tag}, seed 84)`, async () => {
          const h = await game(84, { topology, desyncAuthority });
          const liar = peer(h, 'p2');
          const liarSlot = h.host.session.players.get('p2')!.slot;
          rewriteOutgoing(liar, (m, to) => {
            if (to !== 'p1' || m.type !== MessageType.Input) return m;
            const runs = m.runs.map((run) => {
              if (run.slot !== liarSlot) return run;
              const inputs = run.inputs.map((input) =>
                input.map((b, i) => (i === 0 ? b ^ 0x5a : b)),
              );
              return { ...run, inputs };
            });
            return { ...m, runs };
          });
          const dropped: string[] = [];
          h.host.session.on('playerDropped', (id) => dropped.push(id));
          h.run(120); // 2 s: the host compares digests every hashInterval ticks
          expect(dropped, tag).toEqual(['p2']);
          expect(violations(h.host, 'p2').join(), tag).toMatch(
            /different inputs for the same ticks to different peers \(p2's inputs of ticks \d+\.\.\d+, reported by p1\); dropped/,
          );
          expect(violations(h.host, 'p1'), tag).toEqual([]);
          expectUnharmed(h, tag, ['p0', 'p1']);
        });
      }
    }

    it(`hole 3: senderTick and pong ticks pushed 3000 ahead do not make anyone run faster (${name}, seed 83)`, async () => {
      const h = await game(83, { topology });
      const liar = peer(h, 'p2');
      rewriteOutgoing(liar, (m) => {
        if (m.type === MessageType.Input || m.type === MessageType.InputAck) {
          return { ...m, senderTick: m.senderTick + 3000 };
        }
        if (m.type === MessageType.Pong) return { ...m, tick: m.tick + 3000 };
        return m;
      });
      const honest = [peer(h, 'p0'), peer(h, 'p1')];
      const start = honest.map((p) => p.session.currentTick);
      const frames = 600;
      h.run(frames);
      honest.forEach((p, i) => {
        const advanced = p.session.currentTick - start[i]!;
        expect(
          advanced,
          `${name}: ${p.id} advanced ${advanced} ticks in ${frames} frames`,
        ).toBeLessThanOrEqual(frames + 10);
        expect(p.session.catchUpTicks, `${name}: ${p.id} catch-up ticks`).toBeLessThan(10);
      });
      const target = topology === Topology.Star ? peer(h, 'p0') : peer(h, 'p1');
      const errors = violations(target, 'p2');
      expect(errors.length, name).toBeGreaterThan(0);
      expect(errors.length, `${name}: throttled to one a second`).toBeLessThanOrEqual(2 * 12);
      for (const e of errors) expect(e).toMatch(/beyond any tick it can be at/);
    });

    it(`hole 5: lag reports are rate-limited, name the reporter, and spectators cannot send them (${name}, seed 85)`, async () => {
      const h = await game(85, { topology }, ['p0', 'p1', 'p2', 's'], 3);
      const spectator = peer(h, 's');
      const reports: [string, number, string][] = [];
      h.host.session.on('lagReport', (id, behind, reporter) =>
        reports.push([id, behind, reporter]),
      );
      spectator.session.setLocalRole(PlayerRole.Spectator);
      await h.join(3);
      for (let i = 0; i < 600; i++) {
        send(peer(h, 'p2'), 'p0', { type: MessageType.LagReport, slot: 1, ticksBehind: 40 });
      }
      for (let i = 0; i < 50; i++) {
        send(spectator, 'p0', { type: MessageType.LagReport, slot: 1, ticksBehind: 40 });
      }
      h.run(3);
      const forged = reports.filter(([id]) => id === 'p1');
      expect(forged, name).toEqual([['p1', 40, 'p2']]);
      expect(violations(h.host, 's').join(), name).toMatch(/lag report from a non-player/);
      expectUnharmed(h, name, ['p0', 'p1', 'p2', 's']);
    });

    it(`hole 8: 3000 copies of one forged hash raise one desync event, and a hash flood is cut at the per-peer rate (${name}, seed 88)`, async () => {
      const h = await game(88, { topology });
      h.run(120);
      const victim = topology === Topology.Star ? peer(h, 'p0') : peer(h, 'p1');
      // A tick the victim has hashed itself (hashes go out HASH_DELAY_TICKS after confirmation).
      const tick = Math.floor((victim.session.confirmedTick - 40) / HASH_INTERVAL) * HASH_INTERVAL;
      const desyncs = victim.desyncs.length;
      for (let i = 0; i < 3000; i++) {
        send(peer(h, 'p2'), victim.id, { type: MessageType.Hash, tick, hash: 12345 }, false);
      }
      h.run(5);
      expect(victim.desyncs.slice(desyncs), name).toEqual([
        { tick, local: expect.any(Number) as number, remote: 12345 },
      ]);
      const errors = violations(victim, 'p2');
      expect(errors.join(), name).toMatch(/more than \d+ hashes a second/);
      expect(errors.length, `${name}: reported once a second`).toBeLessThanOrEqual(2);
    });

    it(`hole 7: a player slot freed a tick reach after its player left is taken by the next joiner, and the game goes on (${name}, seed 87)`, async () => {
      const h = await game(87, { topology }, ['p0', 'p1', 'p2', 'x'], 3);
      const slot = h.host.session.players.get('p1')!.slot;
      peer(h, 'p1').session.leaveRoom();
      h.run(650); // tickReach with the defaults: 60 + 300 + 256 ticks
      await h.join(3);
      for (const p of [h.host, peer(h, 'p2'), peer(h, 'x')]) {
        expect(p.session.players.get('x')?.slot, `${name}: ${p.id}`).toBe(slot);
      }
      expectUnharmed(h, name, ['p0', 'p2', 'x']);
    });

    it(`hole 9: a ping flood gets one pong per 100 ms (${name}, seed 89)`, async () => {
      const h = await game(89, { topology });
      const victim = topology === Topology.Star ? peer(h, 'p0') : peer(h, 'p1');
      const pongs = countOutgoing(victim, MessageType.Pong);
      for (let i = 0; i < 1000; i++) {
        send(peer(h, 'p2'), victim.id, { type: MessageType.Ping, timestamp: i, tick: 0 }, false);
      }
      h.run(6); // 100 ms
      expect(pongs.count, name).toBeLessThanOrEqual(4);
      expectUnharmed(h, name);
    });
  }

  it('hole 1: a start state for an extreme tick or one the game cannot load is refused (Star, seed 80)', async () => {
    const ids = ['p0', 'p1', 'p2'];
    const h = new Harness(createLocalTransportGroup(ids, { latency: 10, seed: 80 }), 80, {});
    const roomId = await h.host.session.createRoom();
    const join = h.peers[1]!.session.joinRoom(roomId, 'p0');
    for (let i = 0; i < 30; i++) {
      await settle();
      h.runFrame();
    }
    await join;
    const state = h.host.game.serialize().slice();
    const hash = h.host.game.hash();
    const start = (tick: number, bytes: Uint8Array, claimed: number): Message => ({
      type: MessageType.StateSync,
      tick,
      hash: claimed,
      state: bytes,
      players: [],
    });
    send(h.host, 'p1', start(2 ** 31 - 2, state, hash));
    send(h.host, 'p1', start(0, new Uint8Array(state.length).fill(9), hash));
    h.run(3);
    const victim = h.peers[1]!;
    expect(victim.session.state).toBe(SessionState.Lobby);
    expect(violations(victim, 'p0')).toEqual([expect.stringMatching(/tick 2147483646 \(0\.\.0\)/)]);
    expect(victim.errors.map((e) => e.error.message).join()).toMatch(/not loaded/);
    h.host.session.start();
    h.run(30);
    expect(victim.session.state).toBe(SessionState.Playing);
  });

  it('hole 2: one forged DisconnectReport does not remove a healthy player (Mesh, seed 82)', async () => {
    const h = await game(82, { topology: Topology.Mesh });
    send(peer(h, 'p2'), 'p0', { type: MessageType.DisconnectReport, slot: 1, tick: 10 });
    h.run(3);
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p1', 'p2']);
    expectUnharmed(h, 'Mesh seed 82');
  });

  it('hole 2: a disconnect report expires: an old one does not make a later one mutual (Mesh, seed 82)', async () => {
    const h = await game(82, { topology: Topology.Mesh, disconnectTimeout: 1000 });
    const away: string[] = [];
    h.host.session.on('playerAway', (id) => away.push(id));
    const slotOf = (id: string) => h.host.session.players.get(id)!.slot;
    send(peer(h, 'p2'), 'p0', { type: MessageType.DisconnectReport, slot: slotOf('p1'), tick: 10 });
    // Longer than twice disconnectTimeout: a link still broken would have been reported again.
    h.run(150);
    send(peer(h, 'p1'), 'p0', { type: MessageType.DisconnectReport, slot: slotOf('p2'), tick: 10 });
    h.run(3);
    expect(away, 'Mesh seed 82: a player taken for lost').toEqual([]);
    expect(h.host.transport.connectedPeers.has('p2')).toBe(true);
    expect(h.host.transport.connectedPeers.has('p1')).toBe(true);
    expectUnharmed(h, 'Mesh seed 82');
  });

  it('hole 2: a new peer cannot join as a player id that left the room (Mesh, seed 82)', async () => {
    const h = await game(82, { topology: Topology.Mesh }, ['p0', 'p1', 'p2', 'x'], 3);
    peer(h, 'p1').session.leaveRoom();
    h.run(30);
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p2']);
    const x = peer(h, 'x');
    const impostor = createSession({
      game: new TestGame(),
      transport: x.transport,
      localPlayerId: 'p1',
      clock: { now: () => x.transport.now },
    });
    const outcome: { error?: RbnError } = {};
    impostor.joinRoom(h.host.session.roomId!, 'p0').catch((e: unknown) => {
      outcome.error = e as RbnError;
    });
    for (let i = 0; i < 30 && !outcome.error; i++) {
      await settle();
      impostor.tick();
      h.runFrame();
    }
    expect((outcome.error as RbnError & { reason?: JoinRejectReason })?.reason).toBe(
      JoinRejectReason.DuplicatePlayer,
    );
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p2']);
  });

  it('hole 9: a JoinRequest flood gets at most 4 refusals a second, whatever it asks (Star, seed 89)', async () => {
    const h = await game(89, { topology: Topology.Star }, ['p0', 'p1', 'p2', 'x'], 3);
    const rejects = countOutgoing(h.host, MessageType.JoinReject);
    const x = peer(h, 'x');
    const connected = x.transport.connect('p0');
    for (let i = 0; i < 10; i++) {
      await settle();
      h.runFrame();
    }
    await connected;
    const flood = (): void => {
      for (let i = 0; i < 500; i++) {
        send(x, 'p0', {
          type: MessageType.JoinRequest,
          protocolVersion: i % 2 === 0 ? 1 : 2, // a version mismatch or a wrong room
          roomId: 'not-this-room',
          playerId: `x${i}`,
          role: WireRole.Player,
          metadata: new Uint8Array(0),
        });
      }
      h.run(6); // 100 ms
    };
    flood();
    expect(rejects.count, 'first second').toBe(4);
    flood();
    expect(rejects.count, 'still the first second').toBe(4);
    h.run(60);
    flood();
    expect(rejects.count, 'next second').toBe(8);
    expectUnharmed(h, 'Star seed 89');
  });

  it('hole 9: pings from peers outside the room share 20 pongs a second (Star, seed 90)', async () => {
    const h = await game(90, { topology: Topology.Star }, ['p0', 'p1', 'p2', 'x'], 3);
    const x = peer(h, 'x');
    const connected = x.transport.connect('p0');
    for (let i = 0; i < 10; i++) {
      await settle();
      h.runFrame();
    }
    await connected;
    let pongs = 0;
    x.transport.onMessage = (_from, bytes) => {
      const decoded = tryDecodeMessage(bytes);
      if (decoded.ok && decoded.message.type === MessageType.Pong) pongs++;
    };
    for (let i = 0; i < 1000; i++) {
      send(x, 'p0', { type: MessageType.Ping, timestamp: i, tick: 0 }, false);
    }
    h.run(6);
    expect(pongs).toBeLessThanOrEqual(20);
    expect(pongs).toBeGreaterThan(0);
    expectUnharmed(h, 'Star seed 90');
  });

  it('hole 5: lag reports about the reporter, an empty slot or a spectator, or older than the game, are refused (Star, seed 85)', async () => {
    const h = await game(85, { topology: Topology.Star }, ['p0', 'p1', 'p2', 's'], 3);
    peer(h, 's').session.setLocalRole(PlayerRole.Spectator);
    await h.join(3);
    const reports: string[] = [];
    h.host.session.on('lagReport', (id) => reports.push(id));
    const spectatorSlot = h.host.session.players.get('s')!.slot;
    const lies = [
      { slot: 2, ticksBehind: 10 }, // itself
      { slot: 77, ticksBehind: 10 }, // nobody
      { slot: spectatorSlot, ticksBehind: 10 }, // a spectator has no inputs to lag with
      { slot: 1, ticksBehind: h.host.session.currentTick + 1000 }, // older than the game
    ];
    for (const lie of lies) {
      send(peer(h, 'p2'), 'p0', { type: MessageType.LagReport, ...lie });
      h.run(62); // past the once-a-second report throttle
    }
    expect(reports).toEqual([]);
    expect(violations(h.host, 'p2')).toEqual([
      expect.stringMatching(/a lag report about slot 2/),
      expect.stringMatching(/a lag report about slot 77/),
      expect.stringMatching(new RegExp(`a lag report about slot ${spectatorSlot}`)),
      expect.stringMatching(/a lag of \d+ ticks in a game at tick \d+/),
    ]);
  });

  it('hole 6: dropPlayer after a rejoin drops the present member (Star, seed 86)', async () => {
    const h = await game(86, { topology: Topology.Star });
    h.host.session.dropPlayer('p1');
    h.run(30);
    await h.join(1);
    h.run(30);
    h.host.session.dropPlayer('p1');
    h.run(30);
    expect(peer(h, 'p1').session.state).toBe(SessionState.Disconnected);
    expect([...h.host.session.players.keys()].sort()).toEqual(['p0', 'p2']);
    expect(h.host.session.players.size).toBe(2);
  });

  it('hole 7: a spectator joining and leaving over and over does not use up join slots (Star, seed 87)', async () => {
    const h = await game(87, { topology: Topology.Star, joinRateLimitRequests: 1000 }, [
      'p0',
      'p1',
      'p2',
      's',
    ]);
    const spectator = peer(h, 's');
    spectator.session.setLocalRole(PlayerRole.Spectator);
    for (let round = 0; round < 300; round++) {
      await h.join(3, 120);
      spectator.session.leaveRoom();
      h.run(2);
    }
    await h.join(3, 120);
    expect(h.host.session.players.get('s')?.role).toBe(PlayerRole.Spectator);
  });
});
