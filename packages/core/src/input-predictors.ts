import type { PlayerId, Tick } from '@rbn/protocol';
import type { InputPredictor } from './game';

const EMPTY_INPUT = new Uint8Array(0);

/**
 * The default predictor: a remote player keeps doing what they last did, i.e. the prediction is
 * their most recent received input before the tick (an empty input if none). Works well for
 * held inputs (movement, thrust); a press or release costs one short rollback.
 *
 * @example
 * ```ts
 * const engine = new RollbackEngine(game, { inputPredictor: repeatLastInputPredictor });
 * ```
 */
export const repeatLastInputPredictor: InputPredictor<Uint8Array> = Object.freeze({
  predict(_playerId: PlayerId, _tick: Tick, lastConfirmed: Uint8Array | undefined): Uint8Array {
    return lastConfirmed ?? EMPTY_INPUT;
  },
});

/**
 * A predictor that always predicts the empty (zero-length) input: "the player pressed nothing".
 * Suits games whose inputs are mostly discrete events (a click, a shot) rather than held state.
 *
 * @example
 * ```ts
 * const engine = new RollbackEngine(game, { inputPredictor: emptyInputPredictor });
 * ```
 */
export const emptyInputPredictor: InputPredictor<Uint8Array> = Object.freeze({
  predict(): Uint8Array {
    return EMPTY_INPUT;
  },
});
