// The lockstep frame loop of the session suite and what it measures, the same way for both
// libraries: steps and rollbacks are counted by the game, traffic on the wire, time around the
// library's own calls.
import { inputFor } from './games';
import type { Room, TimerOverhead } from './peers';
import type { LinkConditions } from './trace-network';

const FRAME_MS = 1000 / 60;
const NO_OVERHEAD: TimerOverhead = { perTimedCall: 0, perGameCall: 0 };

/** What one run of a room measured. */
export type Outcome = {
  players: number;
  /** Game `step` calls per frame per peer (input phase). */
  stepsPerFrame: number;
  /** Frames with any resimulation, all peers. */
  rollbacks: number;
  /** Ticks resimulated per rollback (game steps beyond the frame's own new tick). */
  meanRollbackDepth: number;
  maxRollbackDepth: number;
  /**
   * Wall-clock µs inside the library (`tick()` and message handler) per frame per peer, less
   * the time spent in the game's own `step`/`serialize`/`deserialize` calls made from there and
   * less what the bench's own timers add ({@link TimerOverhead}), with frames the OS preempted
   * us in replaced by the peer's median frame ({@link filteredTotal}).
   */
  libraryMicrosPerFrame: number;
  /** The same with the game's calls counted in (all the time inside `tick()` and the handler, less the timers' cost). */
  withGameMicrosPerFrame: number;
  /** Share of peer-frames whose library time was replaced as preempted. */
  preemptedShare: number;
  /** {@link Outcome.libraryMicrosPerFrame} for the host (peer 0) alone. */
  hostMicrosPerFrame: number;
  /** Process CPU (user + system) of the whole loop, network included, per frame per peer. */
  processMicrosPerFrame: number;
  /** Packets put on the wire per second per peer, each counted once. */
  messagesPerSecond: number;
  bytesPerSecond: number;
  /** Packets delivered ÷ packets put on the wire (1 − loss, less what is still in flight). */
  deliveredShare: number;
  /** Ordered guest-to-guest links that carried packets (mesh: should be (n−1)(n−2)). */
  guestLinksUsed: number;
  /** Largest difference between the peers' ticks at the first measured frame. */
  tickSpread: number;
  /** Share of peer-frames in which the game advanced. */
  advancedShare: number;
  /** Peers that reached the common tick of the quiet phase with the host's state there. */
  convergedPeers: number;
  /** Indices of the peers that did not. */
  divergedPeers: number[];
};

/** How long to run: frames of changing input, then frames of constant input to converge. */
export type RunLength = { frames: number; settle: number };

/**
 * Runs `room` in lockstep: every frame each peer ticks once with its input, then the network
 * advances 1/60 s. The scenario's conditions apply from the first measured frame.
 * @param room - A started room.
 * @param conditions - The network of the scenario.
 * @param seed - Seeds the inputs.
 * @param length - Frames to measure and to settle.
 * @param overhead - What the bench's timers add per timed call, subtracted from the CPU figures
 *   (none by default).
 * @returns The measurements.
 */
export function runRoom(
  room: Room,
  conditions: LinkConditions,
  seed: number,
  length: RunLength,
  overhead: TimerOverhead = NO_OVERHEAD,
): Outcome {
  const { peers, network } = room;
  const n = peers.length;
  network.startTrace(conditions);
  network.resetCounters();
  for (const p of peers) {
    p.micros = 0;
    p.gameMicros = 0;
  }
  const startTicks = peers.map((p) => p.currentTick());
  const hashes = peers.map(() => new Map<number, number>());
  let rollbacks = 0;
  let resimulated = 0;
  let maxDepth = 0;
  let steps = 0;
  let advanced = 0;
  // Per peer and frame: library time without the game's calls, and with them.
  const samples = peers.map(() => new Float64Array(length.frames));
  const withGame = peers.map(() => new Float64Array(length.frames));
  const before = new Float64Array(n);
  const gameBefore = new Float64Array(n);
  const callsBefore = new Float64Array(n);
  const gameCallsBefore = new Float64Array(n);
  let wire = { messages: 0, bytes: 0, lost: 0, delivered: 0 };
  let guestLinksUsed = 0;
  const cpuStart = process.cpuUsage();
  let cpu = 0;
  for (let f = 0; f < length.frames + length.settle; f++) {
    const changing = f < length.frames;
    for (let i = 0; i < n; i++) {
      before[i] = peers[i]!.micros;
      gameBefore[i] = peers[i]!.gameMicros;
      callsBefore[i] = peers[i]!.timedCalls;
      gameCallsBefore[i] = peers[i]!.game.ownCalls;
    }
    for (let i = 0; i < n; i++) {
      const peer = peers[i]!;
      const stepsBefore = peer.game.steps;
      const tickBefore = peer.currentTick();
      const r = peer.tick(inputFor(seed, i, changing ? f : length.frames));
      const newTicks = Math.max(0, peer.currentTick() - tickBefore);
      const depth = peer.game.steps - stepsBefore - newTicks;
      if (changing) {
        steps += peer.game.steps - stepsBefore;
        if (r.advanced) advanced++;
        if (depth > 0) {
          rollbacks++;
          resimulated += depth;
          maxDepth = Math.max(maxDepth, depth);
        }
      } else if (r.advanced) {
        hashes[i]!.set(peer.currentTick(), peer.game.hash());
      }
    }
    network.advance(FRAME_MS);
    for (let i = 0; changing && i < n; i++) {
      const peer = peers[i]!;
      const gameCalls = peer.game.ownCalls - gameCallsBefore[i]!;
      const timers =
        (peer.timedCalls - callsBefore[i]!) * overhead.perTimedCall +
        gameCalls * overhead.perGameCall;
      const all = peer.micros - before[i]! - timers;
      withGame[i]![f] = all;
      samples[i]![f] = all - (peer.gameMicros - gameBefore[i]!);
    }
    if (f === length.frames - 1) {
      const used = process.cpuUsage(cpuStart);
      cpu = used.user + used.system;
      wire = network.wire.reduce(
        (s, w) => ({
          messages: s.messages + w.messages,
          bytes: s.bytes + w.bytes,
          lost: s.lost + w.lost,
          delivered: s.delivered + w.delivered,
        }),
        wire,
      );
      for (const [key, count] of network.perLink) {
        if (count > 0 && Math.floor(key / 64) !== 0 && key % 64 !== 0) guestLinksUsed++;
      }
    }
  }
  const seconds = length.frames / 60;
  const filtered = samples.map(filteredTotal);
  const libraryMicros = filtered.reduce((s, t) => s + t.total, 0);
  const withGameMicros = withGame.map(filteredTotal).reduce((s, t) => s + t.total, 0);
  const hostMicros = filtered[0]!.total;
  return {
    players: n,
    stepsPerFrame: steps / (length.frames * n),
    rollbacks,
    meanRollbackDepth: rollbacks === 0 ? 0 : resimulated / rollbacks,
    maxRollbackDepth: maxDepth,
    libraryMicrosPerFrame: libraryMicros / length.frames / n,
    withGameMicrosPerFrame: withGameMicros / length.frames / n,
    hostMicrosPerFrame: hostMicros / length.frames,
    preemptedShare: filtered.reduce((s, t) => s + t.replaced, 0) / (length.frames * n),
    processMicrosPerFrame: cpu / length.frames / n,
    messagesPerSecond: wire.messages / seconds / n,
    bytesPerSecond: wire.bytes / seconds / n,
    deliveredShare: wire.messages === 0 ? 0 : wire.delivered / wire.messages,
    guestLinksUsed,
    tickSpread: Math.max(...startTicks) - Math.min(...startTicks),
    advancedShare: advanced / (length.frames * n),
    ...converged(hashes, length.settle > 0 ? length.frames / 2 : Infinity),
  };
}

/**
 * The library time of one peer over the run, robust to a busy machine: a frame whose time is
 * above both 500 µs and 4× the peer's median frame was preempted by the OS (a time slice is
 * milliseconds; no frame of a trivial game's library work comes near), so it counts as the
 * median frame instead.
 * @param samples - Library µs of each frame.
 * @returns The total, and how many frames were replaced.
 */
function filteredTotal(samples: Float64Array): { total: number; replaced: number } {
  const sorted = Float64Array.from(samples).sort();
  const median = sorted[sorted.length >> 1] ?? 0;
  const limit = Math.max(500, 4 * median);
  let total = 0;
  let replaced = 0;
  for (const s of samples) {
    if (s > limit) replaced++;
    total += s > limit ? median : s;
  }
  return { total, replaced };
}

/** Which peers' state at the last tick every peer reached (at least `minTick`) is the host's. */
function converged(
  hashes: Map<number, number>[],
  minTick: number,
): { convergedPeers: number; divergedPeers: number[] } {
  let common = Infinity;
  for (const h of hashes) common = Math.min(common, h.size === 0 ? -1 : Math.max(...h.keys()));
  const host = hashes[0]!.get(common);
  const divergedPeers = hashes
    .map((h, i) => (common >= minTick && host !== undefined && h.get(common) === host ? -1 : i))
    .filter((i) => i >= 0);
  return { convergedPeers: hashes.length - divergedPeers.length, divergedPeers };
}
