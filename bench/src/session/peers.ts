// Sets up a room of either library on a TraceNetwork, through each library's public API only,
// and wraps every peer in the same frame-loop interface.
import { createSession as createRbnSession, Topology as RbnTopology } from '@rbn/session';
import type { Session as RbnSession } from '@rbn/session';
import { createSession as createRnSession, Topology as RnTopology } from 'rollback-netcode';
import type { Session as RnSession } from 'rollback-netcode';
import type { BenchGame } from './games';
import { TraceNetwork } from './trace-network';
import type { BenchTransport } from './trace-network';

const FRAME_MS = 1000 / 60;

/** rollback-netcode's best working setting: with its default (3) a run of 3 lost packets deadlocks it for good. */
export const RN_INPUT_REDUNDANCY = 8;

/** What the frame loop needs from one peer of either library. */
export type BenchPeer = {
  game: BenchGame;
  /** Wall-clock µs spent inside the library: `tick()` and its message handler. */
  micros: number;
  /** The part of {@link BenchPeer.micros} spent in the game's own methods (`step`, `serialize`, `deserialize`). */
  gameMicros: number;
  /** Timed calls into the library so far (`tick()` and message handler), each adding {@link micros}. */
  timedCalls: number;
  tick(input: Uint8Array): { advanced: boolean };
  currentTick(): number;
  /** The library's time-sync multiplier for the game loop (rollback-netcode has none: 1). */
  frameDelayMultiplier(): number;
};

/** A room of one library, started, every peer on the same tick. */
export type Room = { peers: BenchPeer[]; network: TraceNetwork; destroy(): void };

/** The room's shape. */
export type RoomSpec = { players: number; mesh: boolean; seed: number };

async function microtasks(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

/** Adds the time spent in the transport's message handler (set by the session) to the peer's. */
function timeHandler(transport: BenchTransport, peer: BenchPeer): void {
  const handler = transport.onMessage;
  if (!handler) return;
  transport.onMessage = (peerId, message) => {
    const game = peer.game.ownMicros;
    const start = performance.now();
    handler(peerId, message);
    peer.micros += (performance.now() - start) * 1000;
    peer.timedCalls++;
    peer.gameMicros += peer.game.ownMicros - game;
  };
}

function timedTick(peer: BenchPeer, tick: (input: Uint8Array) => boolean) {
  const result = { advanced: false };
  return (input: Uint8Array) => {
    const game = peer.game.ownMicros;
    const start = performance.now();
    result.advanced = tick(input);
    peer.micros += (performance.now() - start) * 1000;
    peer.timedCalls++;
    peer.gameMicros += peer.game.ownMicros - game;
    return result;
  };
}

/** What the bench's own timers add to a library's measured time, in µs (see {@link timerOverhead}). */
export type TimerOverhead = {
  /** Per timed call into the library: the part of the two clock reads inside the window. */
  perTimedCall: number;
  /** Per timed call of the game's own (`step`, …) made from inside it: its clock reads, less what the game counts as its own. */
  perGameCall: number;
};

/**
 * Measures what the bench's timing itself adds to a library's time: a timed call into a
 * "library" that does nothing, and one that only calls the game's `step` once, timed and
 * accounted exactly as {@link timedTick} does. The lowest of several batches of each (the
 * figure subtracted is never more than the timers' least cost), in µs.
 * @param game - A game of the suite (its `step` is called, so its state moves).
 */
export function timerOverhead(game: BenchGame): TimerOverhead {
  const inputs = new Map([['p', new Uint8Array(1)]]);
  const peer = { micros: 0, gameMicros: 0 };
  const timed = (body: () => void): void => {
    const own = game.ownMicros;
    const start = performance.now();
    body();
    peer.micros += (performance.now() - start) * 1000;
    peer.gameMicros += game.ownMicros - own;
  };
  const batch = (body: () => void, calls: number): number => {
    peer.micros = 0;
    peer.gameMicros = 0;
    for (let i = 0; i < calls; i++) timed(body);
    return (peer.micros - peer.gameMicros) / calls;
  };
  const nothing = (): void => {};
  const step = (): void => game.step(inputs);
  let empty = Infinity;
  let withStep = Infinity;
  for (let b = 0; b < 12; b++) {
    empty = Math.min(empty, batch(nothing, 20_000));
    withStep = Math.min(withStep, batch(step, 20_000));
  }
  return { perTimedCall: empty, perGameCall: Math.max(0, withStep - empty) };
}

/** Runs frames (network only, or ticks too) until `done` or `limit` frames. */
async function frames(
  room: Room,
  limit: number,
  done: () => boolean,
  tickToo: boolean,
): Promise<void> {
  for (let i = 0; i < limit && !done(); i++) {
    await microtasks();
    if (tickToo) for (const p of room.peers) p.tick(new Uint8Array(1));
    room.network.advance(FRAME_MS);
  }
  await microtasks();
}

/** What the room builder needs from one library's session. */
type LibrarySession = {
  readonly currentTick: number;
  createRoom(): Promise<string>;
  joinRoom(roomId: string, hostId: string): Promise<unknown>;
  start(): void;
  destroy(): void;
};

/** One library's session on a transport, and how the frame loop drives it. */
type Opened<S> = {
  session: S;
  /** Ticks once; true when the session advanced. */
  tick: (input: Uint8Array) => boolean;
  frameDelayMultiplier: () => number;
};

/**
 * Builds a room of one library's sessions on a perfect TraceNetwork, every peer timed, and
 * joins every guest to the first peer's room.
 * @param open - Creates the library's session for one peer.
 * @param tickWhileJoining - Whether peers tick while guests join (rbn needs it to answer joins).
 * @returns The room, its sessions (the host first) and the peer ids.
 */
async function joinedRoom<S extends LibrarySession>(
  spec: RoomSpec,
  makeGame: () => BenchGame,
  open: (game: BenchGame, transport: BenchTransport, network: TraceNetwork) => Opened<S>,
  tickWhileJoining: boolean,
): Promise<{ room: Room; sessions: S[]; ids: string[] }> {
  const ids = Array.from({ length: spec.players }, (_, i) => `peer-${i}`);
  const network = new TraceNetwork(spec.seed, ids);
  const sessions: S[] = [];
  const room: Room = { peers: [], network, destroy: () => sessions.forEach((s) => s.destroy()) };
  for (const transport of network.transports) {
    const game = makeGame();
    const opened = open(game, transport, network);
    const peer: BenchPeer = {
      game,
      micros: 0,
      gameMicros: 0,
      timedCalls: 0,
      tick: () => ({ advanced: false }),
      currentTick: () => opened.session.currentTick,
      frameDelayMultiplier: opened.frameDelayMultiplier,
    };
    peer.tick = timedTick(peer, opened.tick);
    timeHandler(transport, peer);
    sessions.push(opened.session);
    room.peers.push(peer);
  }
  const roomId = await sessions[0]!.createRoom();
  let joined = 0;
  for (const s of sessions.slice(1)) void s.joinRoom(roomId, ids[0]!).then(() => joined++);
  await frames(room, 600, () => joined === sessions.length - 1, tickWhileJoining);
  return { room, sessions, ids };
}

/**
 * An rbn room in its default configuration (star or mesh), joined and started on a perfect
 * network.
 */
export async function rbnRoom(spec: RoomSpec, makeGame: () => BenchGame): Promise<Room> {
  const { room, sessions } = await joinedRoom<RbnSession>(
    spec,
    makeGame,
    (game, transport, network) => {
      const session = createRbnSession({
        game,
        transport,
        config: {
          topology: spec.mesh ? RbnTopology.Mesh : RbnTopology.Star,
          maxPlayers: Math.max(4, spec.players),
        },
        clock: { now: () => network.now },
      });
      return {
        session,
        tick: (input) => session.tick(input).advanced,
        frameDelayMultiplier: () => session.frameDelayMultiplier,
      };
    },
    true,
  );
  sessions[0]!.start();
  await frames(room, 600, () => sessions.every((s) => s.currentTick >= 0), false);
  return room;
}

/**
 * A rollback-netcode room with `inputRedundancy: 8`, joined and started on a perfect network; in
 * mesh the bench connects every pair of guests (rollback-netcode leaves that to the application).
 */
export async function rnRoom(spec: RoomSpec, makeGame: () => BenchGame): Promise<Room> {
  const { room, sessions, ids } = await joinedRoom<RnSession>(
    spec,
    makeGame,
    (game, transport) => {
      const session = createRnSession({
        game,
        transport,
        config: {
          topology: spec.mesh ? RnTopology.Mesh : RnTopology.Star,
          maxPlayers: Math.max(4, spec.players),
          inputRedundancy: RN_INPUT_REDUNDANCY,
        },
      });
      return {
        session,
        tick: (input) => {
          const before = session.currentTick;
          session.tick(input);
          return session.currentTick !== before;
        },
        frameDelayMultiplier: () => 1,
      };
    },
    false,
  );
  if (spec.mesh) {
    const transports = room.network.transports;
    for (let a = 1; a < ids.length; a++) {
      for (let b = a + 1; b < ids.length; b++) await transports[a]!.connect(ids[b]!);
    }
  }
  await frames(room, 120, () => false, false);
  sessions[0]!.start();
  await frames(room, 120, () => false, false);
  return room;
}
