import type { PlayerId, Tick } from '@rbn/protocol';

/**
 * What a game gives rbn: a deterministic simulation that can save and restore itself.
 * Given the same state and the same inputs, `step` must produce the same state on every peer.
 *
 * @typeParam TInput - One player's input for one tick. The engine and the wire carry inputs as
 * bytes, so sessions use `Game<Uint8Array>` (the default).
 */
export interface Game<TInput = Uint8Array> {
  /** Returns the whole game state as bytes. The engine copies them; the game may reuse its buffer. */
  serialize(): Uint8Array;
  /**
   * Replaces the whole game state with one produced by `serialize`.
   * @param data - The serialized state. It belongs to the engine (it is its saved history): read
   * it during the call, never keep or modify it.
   */
  deserialize(data: Uint8Array): void;
  /**
   * Advances the game by one tick.
   * @param inputs - Every active player's input for this tick, by player id. The map and the
   * input arrays belong to the engine and are reused: read them during the call, never keep them.
   */
  step(inputs: Map<PlayerId, TInput>): void;
  /** Returns a 32-bit hash of the state, equal on every peer whose state is equal. */
  hash(): number;
  /**
   * Optional: a JSON-able view of a serialized state (plain objects, arrays, numbers, strings,
   * booleans, `null`), for tools. When a desync is found, the session diffs the two peers'
   * views and names the differing paths (`players[1].x: 10 → 17`) in its `desyncReport`.
   * Called outside the simulation with a state `serialize` produced (possibly by another peer):
   * it must not change the game, and should not throw on any state the game can produce.
   * @param state - A serialized state; read it during the call, never keep or modify it.
   * @returns The view of the state.
   */
  describe?(state: Uint8Array): unknown;
}

/**
 * Guesses a remote player's input for a tick whose real input has not arrived yet.
 */
export interface InputPredictor<TInput = Uint8Array> {
  /**
   * @param playerId - The player whose input is needed.
   * @param tick - The tick the input is for.
   * @param lastConfirmed - The player's most recent received input before `tick`, if any.
   * @returns The predicted input. It must not be mutated afterwards.
   */
  predict(playerId: PlayerId, tick: Tick, lastConfirmed: TInput | undefined): TInput;
}
