import type { ArenaGame } from '../game/arena';
import type { HashLog } from './hash-log';

/** What one tick of a peer did, for the overlay. */
export interface PeerTick {
  /** Ticks resimulated by a rollback in this tick (0: none). */
  rollbackTicks: number;
  /** The peer could not advance (waiting for inputs, or not playing yet). */
  stalled: boolean;
}

/** Live link figures of a peer, for the overlay's graphs. */
export interface PeerStats {
  /** Round trip to the (first) remote peer in ms, when known. */
  rttMs: number | undefined;
  /** How many ticks this peer runs ahead of the remote peers (negative: behind). */
  framesAhead: number;
  /** Bytes sent since the start. */
  bytesSent: number;
  /** Bytes received since the start. */
  bytesReceived: number;
}

/** One remote peer's link as this peer's session measures it. */
export interface RemoteLink {
  /** The remote peer's id. */
  peerId: string;
  /** Smoothed round trip in ms (0 before the first pong). */
  rttMs: number;
  /** Bytes sent to it since the start. */
  bytesSent: number;
  /** Bytes received from it since the start. */
  bytesReceived: number;
  /** How many ticks this peer runs ahead of it (negative: behind). */
  framesAhead: number;
  /** Whether the remote peer only watches (not counted in the overlay's frames ahead). */
  spectator: boolean;
}

/** The newest confirmed (final) game state of a peer, e.g. to draw it beside the prediction. */
export interface ConfirmedState {
  /** The state's game tick. */
  tick: number;
  /** The state, as `ArenaGame.serialize()` wrote it (a copy). */
  state: Uint8Array;
}

/** Counters the overlay shows (and one it does not: `rolledBackTicks`). */
export interface PeerCounters {
  /** Ticks that rolled back (each resimulated one or more ticks). */
  rollbacks: number;
  /** Ticks resimulated by those rollbacks, in total (the sum of their depths). */
  rolledBackTicks: number;
  stalls: number;
  desyncs: number;
  /** State transfers received to recover from a desync. */
  recoveries: number;
}

/**
 * One participant of the demo as the page sees it, whatever drives it underneath (an
 * `@rbn/session` session, or a bare rollback engine before sessions existed).
 */
export interface DemoPeer {
  /** Shown above the view, e.g. "P1". */
  readonly label: string;
  /** This peer's player id. */
  readonly playerId: string;
  /** The live game (the predicted present), for drawing. */
  readonly game: ArenaGame;
  /** Hashes of the game by game tick, final once the tick is confirmed. */
  readonly hashes: HashLog;
  /** Counters for the overlay. */
  readonly counters: PeerCounters;
  /** A name for the peer's state, e.g. "Playing". */
  state(): string;
  /** The next tick to simulate. */
  currentTick(): number;
  /** The newest tick whose inputs are all known, as the last tick simulated them. */
  confirmedTick(): number;
  /** Why the peer is not playing (a refused join, a lost host), if it is not. */
  notice(): string | undefined;
  /** Whether the peer is a spectator. */
  isSpectator(): boolean;
  /** Milliseconds between two ticks: 1000/60, stretched a little while this peer runs ahead. */
  frameDelayMs(): number;
  /**
   * Runs one fixed tick with the local buttons.
   * @param buttons - The local input byte.
   * @returns What the tick did.
   */
  tick(buttons: number): PeerTick;
  /** Link figures for the overlay. */
  stats(): PeerStats;
  /** Each remote peer's link, for automation. */
  remotes(): RemoteLink[];
  /** The newest confirmed game state, or `undefined` while there is none (not playing). */
  confirmedState(): ConfirmedState | undefined;
  /** Corrupts this peer's game so the desync detector has something to find. */
  induceDesync(): void;
  /** Leaves and releases everything. */
  destroy(): void;
}
