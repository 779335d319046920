import type { PlayerId } from '@rbn/protocol';
import type { ArenaGame } from '../game/arena';
import { HashLog } from './hash-log';

/**
 * Wraps the arena for a session or engine: records the hash after every step (see
 * {@link HashLog}) and can corrupt the state at a chosen tick, every time that tick is
 * simulated (resimulations included), so an induced desync survives rollbacks until a state
 * transfer replaces it.
 */
export class RecordingGame {
  /** Hashes by game tick. */
  readonly hashes = new HashLog();
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
    this.hashes.set(this.game.tick, this.game.hash());
  }

  /** The arena's state as bytes. */
  serialize(): Uint8Array {
    return this.game.serialize();
  }

  /** Loads a state (a rollback, or a state transfer). */
  deserialize(data: Uint8Array): void {
    this.game.deserialize(data);
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
