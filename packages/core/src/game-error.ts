import { RbnError } from '@rbn/protocol';
import type { Tick } from '@rbn/protocol';

/** The `Game` method that threw. */
export type GameOperation = 'step' | 'serialize' | 'deserialize' | 'hash';

/**
 * An error thrown by the game's own code (`step`, `serialize`, `deserialize` or `hash`), wrapped
 * by the engine so the caller learns which operation failed at which tick. The original error is
 * the `cause`. After a `GameError` the engine's state is undefined: load a state
 * ({@link RollbackEngine.loadState}) or create a new engine.
 */
export class GameError extends RbnError {
  /** The game method that threw. */
  readonly operation: GameOperation;
  /**
   * The tick involved: for `step`, the tick being simulated; for `serialize`/`hash`, the tick of
   * the state S(tick) being saved or hashed; for `deserialize`, the tick of the state being loaded.
   */
  readonly tick: Tick;

  /**
   * @param operation - The game method that threw.
   * @param tick - The tick involved.
   * @param cause - The error the game threw.
   */
  constructor(operation: GameOperation, tick: Tick, cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    super('GAME_ERROR', `game.${operation}() threw at tick ${tick}: ${text}`, { cause });
    this.name = 'GameError';
    this.operation = operation;
    this.tick = tick;
  }
}
