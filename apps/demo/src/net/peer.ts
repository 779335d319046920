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

/** Counters the overlay shows. */
export interface PeerCounters {
  rollbacks: number;
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
  /** The newest tick whose inputs are all known. */
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
  /** Corrupts this peer's game so the desync detector has something to find. */
  induceDesync(): void;
  /** Leaves and releases everything. */
  destroy(): void;
}
