import type { PlayerId } from '@rbn/protocol';
import type { ArenaGame } from '../game/arena';
import { HashLog } from './hash-log';

/**
 * Wraps the arena for a session or engine: logs the hash after every step, keeps the hash each
 * tick had when the session confirmed it (see {@link HashLog}; what a peer would report, and what
 * the tests compare), and can corrupt the state at a chosen tick, every time that tick is
 * simulated (resimulations included), so an induced desync survives rollbacks until a state
 * transfer replaces it.
 */
export class RecordingGame {
  /** Hashes of confirmed game ticks, as they were when confirmed (see {@link confirm}). */
  readonly hashes = new HashLog();
  /**
   * Hash after each step of the current history: a rollback forgets the ticks after the state it
   * loads, a state from elsewhere all of them.
   */
  private readonly log = new HashLog();
  /** The newest tick in {@link log}. */
  private newest = -1;
  /** The newest tick {@link confirm} took. */
  private confirmed = -1;
  private corruptAt = -1;

  /**
   * @param game - The arena to drive.
   */
  constructor(readonly game: ArenaGame) {}

  /**
   * Makes the state after the next step wrong on this peer only.
   */
  corruptNextTick(): void {
    this.corruptAt = this.game.tick + 1;
  }

  /** Steps the arena, then records the new state's hash. */
  step(inputs: Map<PlayerId, Uint8Array>): void {
    this.game.step(inputs);
    if (this.game.tick === this.corruptAt) this.game.corrupt();
    else if (this.corruptAt >= 0 && this.game.tick > this.corruptAt + 512) this.corruptAt = -1;
    this.log.set(this.game.tick, this.game.hash());
    this.newest = this.game.tick;
  }

  /**
   * Takes the hashes of the game ticks up to `gameTick` the session has now confirmed. Call it
   * between ticks of the session.
   * @param gameTick - The newest confirmed game tick.
   */
  confirm(gameTick: number): void {
    for (let t = Math.max(this.confirmed + 1, gameTick - 4095); t <= gameTick; t++) {
      const hash = this.log.get(t);
      if (hash !== undefined) this.hashes.set(t, hash);
    }
    this.confirmed = Math.max(this.confirmed, gameTick);
  }

  /** The arena's state as bytes. */
  serialize(): Uint8Array {
    return this.game.serialize();
  }

  /** Loads a state (a rollback, or a state transfer). */
  deserialize(data: Uint8Array): void {
    this.game.deserialize(data);
    const tick = this.game.tick;
    // A rollback to a state of our own history simulates the ticks after it again; a state from
    // elsewhere (a late join, coming back from away, a state transfer) owns none of the log.
    const hash = this.game.hash();
    if (this.log.get(tick) === hash) this.log.forgetAfter(tick, this.newest);
    else {
      this.log.clear();
      // The state's own tick is known: a peer that confirms only that tick yet still has its hash.
      this.log.set(tick, hash);
    }
    this.newest = tick;
  }

  /** A JSON-able view of a state (for desync reports). */
  describe(state: Uint8Array): unknown {
    return this.game.describe(state);
  }

  /** The arena's hash. */
  hash(): number {
    return this.game.hash();
  }
}
