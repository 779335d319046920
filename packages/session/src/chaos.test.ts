// The seeded chaos suite: many players, both topologies, a hostile network (latency, jitter,
// loss, duplication, reordering, a 2 s lag spike), and a timeline of joins, leaves, a drop, a
// rejoin, a spectator and a peer that stops ticking for 3 s. Every run must end with identical
// confirmed states, no stall once the network heals, no desync event, and bounded buffers.
import { LocalTransport, createLocalTransportGroup } from '@rbn/transport-local';
import { TransformingTransport } from '@rbn/transport-transform';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SESSION_CONFIG } from './config';
import { Harness, settle } from './testing/harness';
import type { Peer, VirtualTransport } from './testing/harness';
import { PlayerRole, SessionState, Topology } from './types';

/** The internals whose size is checked for bounded memory (not public API). */
/** The session's per-peer state, read through its private fields (bounded-memory checks). */
type Internals = {
  links: { list: readonly unknown[] };
  desync: { remoteTickCount: number; localTickCount: number };
};

type ChaosCase = {
  players: number;
  topology: Topology;
  latency: number;
  jitter: number;
  packetLoss: number;
  seed: number;
  /** Frames of the scripted part (the timeline scales to it). */
  frames: number;
  /** Run the full timeline (joins, leaves, drop, rejoin, spectator, freeze). */
  events: boolean;
  /**
   * Wrap every transport in a TransformingTransport with small segments and a 4 KB game state,
   * so state transfers (joins, the rejoin) are compressed, segmented and reassembled under loss.
   */
  transform?: boolean;
};

const CASES: ChaosCase[] = [
  {
    players: 2,
    topology: Topology.Star,
    latency: 0,
    jitter: 0,
    packetLoss: 0.2,
    seed: 101,
    frames: 2400,
    events: true,
  },
  {
    players: 3,
    topology: Topology.Mesh,
    latency: 80,
    jitter: 30,
    packetLoss: 0.1,
    seed: 102,
    frames: 2400,
    events: true,
  },
  {
    players: 4,
    topology: Topology.Star,
    latency: 120,
    jitter: 40,
    packetLoss: 0.05,
    seed: 103,
    frames: 2400,
    events: true,
  },
  {
    players: 4,
    topology: Topology.Mesh,
    latency: 250,
    jitter: 20,
    packetLoss: 0.15,
    seed: 104,
    frames: 2400,
    events: true,
  },
  {
    players: 8,
    topology: Topology.Star,
    latency: 60,
    jitter: 20,
    packetLoss: 0.1,
    seed: 105,
    frames: 2400,
    events: true,
  },
  {
    players: 8,
    topology: Topology.Mesh,
    latency: 40,
    jitter: 10,
    packetLoss: 0.05,
    seed: 106,
    frames: 1500,
    events: true,
  },
  {
    players: 4,
    topology: Topology.Star,
    latency: 80,
    jitter: 20,
    packetLoss: 0.1,
    seed: 108,
    frames: 1500,
    events: true,
    transform: true,
  },
  {
    players: 16,
    topology: Topology.Star,
    latency: 50,
    jitter: 10,
    packetLoss: 0.05,
    seed: 107,
    frames: 300,
    events: false,
  },
  // The 3-player mesh case with its host lost instead of saying goodbye (an odd seed): no other
  // case loses a mesh host. Seed 225 (like 6 % of this case's odd seeds) failed while the lost
  // host's states past the announced leave tick were compared (see `lost` below). Last in the
  // list, so CHAOS_CASES keeps its indices.
  {
    players: 3,
    topology: Topology.Mesh,
    latency: 80,
    jitter: 30,
    packetLoss: 0.1,
    seed: 225,
    frames: 2400,
    events: true,
  },
];

function label(c: ChaosCase): string {
  const over = c.transform ? ' over TransformingTransport' : '';
  return `${c.players} players ${Topology[c.topology]}${over}, ${c.latency}±${c.jitter} ms, ${c.packetLoss * 100}% loss (seed ${c.seed})`;
}

/** Segment size of the transform case: a 4 KB state transfer takes several segments. */
const SEGMENT = 1024;

/** The transform stack over each LocalTransport, still driven by the LocalTransport's time. */
function transformed(inner: LocalTransport): VirtualTransport & TransformingTransport {
  const outer = new TransformingTransport(inner, {
    maxSegmentSize: SEGMENT,
    compression: 'never',
    now: () => inner.now,
  });
  return Object.defineProperties(outer, {
    tick: { value: (ms: number) => inner.tick(ms) },
    now: { get: () => inner.now },
  }) as VirtualTransport & TransformingTransport;
}

async function runChaos(c: ChaosCase): Promise<void> {
  const ids = Array.from({ length: c.players }, (_, i) => `p${i}`);
  const withSpectator = c.events ? [...ids, 'spec'] : ids;
  const transports = createLocalTransportGroup(withSpectator, {
    latency: c.latency,
    jitter: c.jitter,
    packetLoss: c.packetLoss,
    duplication: 0.02,
    reorder: 0.05,
    seed: c.seed,
  });
  const outer = new Map<string, VirtualTransport & TransformingTransport>();
  const sizes = { largestMessage: 0, largestFrame: 0 };
  if (c.transform) {
    for (const [id, inner] of transports) {
      const t = transformed(inner);
      const send = t.send.bind(t);
      t.send = (peerId, message, reliable) => {
        sizes.largestMessage = Math.max(sizes.largestMessage, message.byteLength);
        send(peerId, message, reliable);
      };
      const innerSend = inner.send.bind(inner);
      inner.send = (peerId, frame, reliable) => {
        sizes.largestFrame = Math.max(sizes.largestFrame, frame.byteLength);
        innerSend(peerId, frame, reliable);
      };
      outer.set(id, t);
    }
  }
  const h = new Harness(
    c.transform ? outer : transports,
    c.seed,
    { topology: c.topology, maxPlayers: Math.max(4, c.players), hashInterval: 30 },
    c.transform ? 1024 : undefined,
  );
  const tag = label(c);
  const spectator = c.events ? h.peers[h.peers.length - 1]! : undefined;
  spectator?.session.setLocalRole(PlayerRole.Spectator);
  const late = c.events ? c.players - 1 : -1; // the last player joins a game in progress
  await h.start(900, c.events ? c.players - 1 : c.players);

  const frozen = new Set<Peer>();
  // Every frame each playing peer records the hash of the newest state it has just confirmed:
  // a confirmed state is final (no away decision, departure or host migration changes it), so
  // every tick recorded by two peers must hash the same on both. One exception: a host lost
  // without a goodbye may have confirmed S(t) with its own input of a tick t - 1 that was still
  // in flight, or lost, when its links were cut: nobody else ever held it, so the room goes on
  // without its inputs from the leave tick the successor announces. Its states past that tick
  // are its own (migration-confirmation.test.ts leaves its confirmations out for the same
  // reason); every earlier one is compared.
  const records: { tick: number; hash: number; peer: string }[] = [];
  const lost = { peer: '', leaveTick: Infinity };
  const bounds = {
    remoteHashes: 0,
    localHashes: 0,
    links: 0,
    trackedPlayers: 0,
    pendingInputs: 0,
    reassemblyBytes: 0,
  };
  const record = (peer: Peer): void => {
    const engine = peer.session.rollbackEngine;
    if (!engine) return;
    const tick = peer.session.confirmedTick;
    const hash = tick > 0 ? engine.getSnapshot(tick)?.hash : undefined;
    if (hash !== undefined) records.push({ tick, hash, peer: peer.id });
    const internals = peer.session as unknown as Internals;
    bounds.remoteHashes = Math.max(bounds.remoteHashes, internals.desync.remoteTickCount);
    bounds.localHashes = Math.max(bounds.localHashes, internals.desync.localTickCount);
    bounds.links = Math.max(bounds.links, internals.links.list.length);
    bounds.trackedPlayers = Math.max(bounds.trackedPlayers, engine.playerIds.length);
    for (const other of h.peers) {
      const pending = peer.session.getNetworkStats(other.id)?.pendingInputs ?? 0;
      bounds.pendingInputs = Math.max(bounds.pendingInputs, pending);
    }
    const reassembly = outer.get(peer.id)?.getReassemblyStats().bufferedBytes ?? 0;
    bounds.reassemblyBytes = Math.max(bounds.reassemblyBytes, reassembly);
  };
  const frame = (): void => {
    const f = h.frame++;
    h.peers.forEach((peer, i) => {
      if (frozen.has(peer) || peer.session.state === SessionState.Disconnected) return;
      const r = peer.session.tick(inputFor(c.seed, i, h.inputsChange ? f : 0));
      if (r.stalled) peer.stalls++;
      record(peer);
    });
    for (const peer of h.peers) peer.transport.tick(h.frameMs);
  };
  const run = (frames: number): void => {
    for (let i = 0; i < frames; i++) frame();
  };
  const join = async (index: number): Promise<void> => {
    const peer = h.peers[index]!;
    const joining = peer.session.joinRoom(h.host.session.roomId!, 'p0');
    const outcome: { error?: string } = {};
    joining.catch((e: unknown) => (outcome.error = e instanceof Error ? e.message : 'failed'));
    for (let i = 0; i < 900 && peer.session.state !== SessionState.Playing; i++) {
      if (outcome.error !== undefined) throw new Error(`${tag}: ${outcome.error}`);
      await settle();
      frame();
    }
    expect(peer.session.state, `${tag}: ${peer.id} joins`).toBe(SessionState.Playing);
  };

  const step = Math.floor(c.frames / 9);
  run(step);
  if (c.events) {
    await join(late);
    run(step);
    // A 2 s lag spike on peer 1's outgoing messages.
    const spiky = transports.get('p1')!;
    spiky.setConditions({ latency: 2000 });
    run(120);
    spiky.setConditions({ latency: c.latency });
    run(step);
    // Peer 2 (or 1) stops ticking for 3 s (a hidden tab), then resumes and catches up.
    const sleeper = h.peers[Math.min(2, c.players - 1)]!;
    frozen.add(sleeper);
    run(180);
    frozen.delete(sleeper);
    run(step);
    if (c.players >= 3) {
      // The host drops the player before the late joiner; it rejoins under the same id.
      const victim = h.peers[c.players - 2]!;
      h.host.session.dropPlayer(victim.id);
      run(step);
      expect(victim.session.state, tag).toBe(SessionState.Disconnected);
      await join(c.players - 2);
      run(step);
    }
    await join(h.peers.length - 1); // the spectator
    run(step);
    if (c.players >= 3) {
      h.peers[1]!.session.leaveRoom();
      run(step);
      // At a seeded random frame the host says goodbye or is lost (every link cut, its tab
      // gone): a successor takes over and the others play on.
      run((c.seed * 7919) % step);
      const host = h.host;
      if (c.seed % 2 === 0) host.session.leaveRoom();
      else {
        const t0 = transports.get('p0')!;
        for (const p of h.peers.slice(1)) LocalTransport.unlink(t0, transports.get(p.id)!);
        lost.peer = host.id;
        for (const p of h.peers.slice(1)) {
          p.session.on('hostChanged', (_id, tick) => (lost.leaveTick = tick));
        }
      }
      frozen.add(host);
      // A host lost without a goodbye is waited for hostLossGraceMs before a successor takes
      // over: the shorter cases' step is less than that.
      const grace = Math.ceil(DEFAULT_SESSION_CONFIG.hostLossGraceMs / h.frameMs);
      run(c.seed % 2 === 0 ? step : Math.max(step, grace + 60));
      // The successor: the lowest player slot left, as every survivor sees it.
      const others = h.peers.filter((p) => p !== host && p.session.state === SessionState.Playing);
      const players = [...others[0]!.session.players.values()].filter(
        (info) => info.role === PlayerRole.Player,
      );
      const successor = players.reduce((a, b) => (b.slot < a.slot ? b : a));
      const hosts = others.filter((p) => p.session.isHost).map((p) => p.id);
      expect(hosts, `${tag}: new host`).toEqual([successor.playerId]);
      for (const p of others) {
        expect(p.session.players.get(successor.playerId)?.isHost, `${tag}: ${p.id}`).toBe(true);
      }
    }
  } else {
    run(c.frames);
  }

  // Heal: the network becomes good again and inputs stop changing.
  for (const t of transports.values()) {
    t.setConditions({
      latency: 20,
      jitter: 0,
      packetLoss: 0,
      reorder: 0,
      duplication: 0,
    });
  }
  h.inputsChange = false;
  const live = h.peers.filter((p) => p.session.state === SessionState.Playing && !frozen.has(p));
  const before = live.map((p) => p.session.confirmedTick);
  run(360);
  live.forEach((p, i) => {
    expect(p.session.confirmedTick, `${tag}: ${p.id} stalls after healing`).toBeGreaterThan(
      before[i]! + 250,
    );
  });
  let tick = Infinity;
  for (const p of live) tick = Math.min(tick, p.session.confirmedTick + 1);
  const hashes = live.map((p) => p.session.rollbackEngine?.getSnapshot(tick)?.hash);
  expect(hashes[0], tag).toBeTypeOf('number');
  expect(new Set(hashes).size, `${tag}: hashes at ${tick}: ${hashes.join()}`).toBe(1);
  const { checked, mismatches } = compareRecords(
    records.filter((r) => r.peer !== lost.peer || r.tick <= lost.leaveTick),
  );
  expect(mismatches, `${tag}: confirmed states differ`).toEqual([]);
  // Nearly every tick of the run was checked on at least two peers.
  expect(checked, `${tag}: confirmed ticks compared`).toBeGreaterThan(h.frame * 0.7);
  // Bounded memory: hash bookkeeping, links and tracked players do not grow with the run.
  expect(bounds.remoteHashes, `${tag}: remote hash ticks`).toBeLessThanOrEqual(64);
  expect(bounds.localHashes, `${tag}: local hash ticks`).toBeLessThanOrEqual(20);
  expect(bounds.links, `${tag}: links`).toBeLessThanOrEqual(c.players + 1);
  expect(bounds.trackedPlayers, `${tag}: tracked players`).toBeLessThanOrEqual(c.players + 2);
  // Unacknowledged inputs per link stay within what the engines keep (an input ring of 512
  // ticks per player), however long the run: a lag spike or a freeze backs them up for its
  // length, and when the mesh host starts forwarding a departed player's inputs to a peer, that
  // slot counts from the player's join tick until the peer's first ack (one round trip).
  expect(bounds.pendingInputs, `${tag}: pending inputs`).toBeLessThan((c.players + 1) * 512);
  if (c.transform) {
    // State transfers needed segmenting (messages above the segment size were sent), every
    // frame on the wire fit a segment, and nothing is left half reassembled.
    expect(sizes.largestMessage, `${tag}: largest message`).toBeGreaterThan(SEGMENT);
    expect(sizes.largestFrame, `${tag}: largest frame`).toBeLessThanOrEqual(SEGMENT);
    const reassembled = [...outer.values()].reduce(
      (n, t) => n + (t.getReassemblyStats().partialMessages === 0 ? 1 : 0),
      0,
    );
    expect(reassembled, `${tag}: partial messages left after healing`).toBe(outer.size);
    expect(bounds.reassemblyBytes, `${tag}: reassembly bytes`).toBeLessThan(64 * 1024);
  }
  for (const p of h.peers) {
    expect(p.desyncs, `${tag}: ${p.id} desyncs`).toEqual([]);
    // Expected errors: the dropped player's ROOM_CLOSED, MESH_TOO_LARGE; nothing else from the session.
    const unexpected = p.errors
      .filter((e) => e.context.source === 'session' || e.context.source === 'listener')
      .filter((e) => !/dropped this player|not recommended/.test(e.error.message))
      .map((e) => e.error.message);
    expect(unexpected, `${tag}: ${p.id} errors`).toEqual([]);
    // A host cut off mid-game stands frozen with the acks it had: not a leak.
    for (const other of frozen.has(p) ? [] : h.peers) {
      const stats = p.session.getNetworkStats(other.id);
      if (stats)
        expect(stats.pendingInputs, `${tag}: ${p.id}→${other.id} pending`).toBeLessThan(400);
    }
  }
}

/**
 * Compares the recorded hashes of each tick with the first one recorded.
 * @returns How many records matched the first of their tick, and up to 5 that did not.
 */
function compareRecords(records: readonly { tick: number; hash: number; peer: string }[]): {
  checked: number;
  mismatches: string[];
} {
  const first = new Map<number, { hash: number; peer: string }>();
  const mismatches: string[] = [];
  let checked = 0;
  for (const r of records) {
    const other = first.get(r.tick);
    if (!other) first.set(r.tick, r);
    else if (other.hash !== r.hash) {
      if (mismatches.length < 5)
        mismatches.push(`tick ${r.tick}: ${other.peer} ${other.hash}, ${r.peer} ${r.hash}`);
    } else checked++;
  }
  return { checked, mismatches };
}

function inputFor(seed: number, player: number, frame: number): Uint8Array {
  const epoch = Math.floor((frame + player * 3) / 6);
  const h = Math.imul(seed ^ (player * 0x9e3779b1), 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35);
  return new Uint8Array([(h >>> 13) & 0xff]);
}

/**
 * `CHAOS_SEEDS=a-b` runs every case with each seed from `a` to `b` instead of its own, to look
 * for more failures (`CHAOS_CASES=1,3` picks cases by their index in {@link CASES}).
 */
function sweep(): ChaosCase[] {
  const range = /^(\d+)-(\d+)$/.exec(process.env.CHAOS_SEEDS ?? '');
  if (!range) return CASES;
  const picked = process.env.CHAOS_CASES?.split(',').map(Number);
  const cases = picked ? CASES.filter((_, i) => picked.includes(i)) : CASES;
  const seeds: number[] = [];
  for (let seed = Number(range[1]); seed <= Number(range[2]); seed++) seeds.push(seed);
  return cases.flatMap((c) => seeds.map((seed) => ({ ...c, seed })));
}

describe('Session chaos', () => {
  for (const c of sweep()) {
    const hostLoss = c.players >= 3 ? ' and host loss' : '';
    const events = ` with joins, a lag spike, a frozen peer, a drop, a rejoin, a spectator, a leave${hostLoss}`;
    // The event loop turns before each run (tooling/vitest-yield.ts), not within it: with a turn
    // every 100 frames of a run, three of these runs ended in other states (promise callbacks,
    // a join's, ran frames earlier than they do now).
    // A hang cap, not a time budget: a run takes 2-10 s on a quiet machine and several times
    // that on a loaded one (24-27 s were seen with other suites sharing the two cores).
    it(`survives ${label(c)}${c.events ? events : ''}`, { timeout: 120_000 }, async () => {
      await runChaos(c);
    });
  }
});
