import { RbnError } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import type { Game } from './game';
import { GameError } from './game-error';

/** Options of {@link runSyncTest}. */
export type SyncTestOptions = {
  /** Creates a game in its initial state; called twice (two games must start equal). */
  createGame: () => Game<Uint8Array>;
  /** The players, all present from tick 0. Inputs are handed to `step` in this order, sorted. */
  playerIds: PlayerId[];
  /** The input of a player for a tick; must be deterministic (it is asked more than once). */
  inputs: (tick: Tick, playerId: PlayerId) => Uint8Array;
  /** How many ticks to simulate. */
  ticks: number;
  /**
   * Depth of the rollback forced after every tick: restore the state this many ticks back and
   * resimulate.
   * @default 8
   */
  rollbackTicks?: number;
};

/** Outcome of {@link runSyncTest}. */
export type SyncTestResult =
  | {
      /** Every tick's hash matched. */
      ok: true;
      /** How many ticks were checked. */
      ticks: number;
    }
  | {
      ok: false;
      /** The first tick t whose state S(t) differed. */
      tick: Tick;
      /** Hash of S(t) in the straight run. */
      expectedHash: number;
      /** Hash of S(t) after rollback and resimulation. */
      actualHash: number;
      /** S(t) serialized by the straight run. */
      expectedState: Uint8Array;
      /** S(t) serialized after rollback and resimulation. */
      actualState: Uint8Array;
    };

function call<T>(
  operation: 'step' | 'serialize' | 'deserialize' | 'hash',
  tick: Tick,
  fn: () => T,
): T {
  try {
    return fn();
  } catch (error) {
    throw new GameError(operation, tick, error);
  }
}

/**
 * Checks a game is deterministic and that `serialize`/`deserialize` capture its whole state —
 * GGPO's "sync test". Runs one copy of the game straight through the inputs, and a second copy
 * that after every tick restores its own saved state `rollbackTicks` back and resimulates to the
 * present, as the rollback engine does on a misprediction. After every tick the two hashes must
 * match; the first tick where they do not is reported with both serialized states, so you can
 * diff them to find the state your game forgot to serialize or the non-deterministic code
 * (wall-clock time, `Math.random`, iteration over unordered collections, a counter outside the
 * state).
 *
 * @param options - The game factory, players, input schedule, length and rollback depth.
 * @returns `{ ok: true, ticks }`, or the first bad tick with both hashes and states.
 * @throws RbnError `'INVALID_CONFIG'` for bad options; {@link GameError} if the game throws.
 *
 * @example
 * ```ts
 * import { runSyncTest } from '@rbn/core';
 *
 * const result = runSyncTest({
 *   createGame: () => new MyGame(),
 *   playerIds: ['a', 'b'],
 *   inputs: (tick, player) => new Uint8Array([(tick * 7 + player.length) & 3]),
 *   ticks: 600,
 *   rollbackTicks: 8,
 * });
 * if (!result.ok) console.error(`desync at tick ${result.tick}`, result.expectedState, result.actualState);
 * ```
 */
export function runSyncTest(options: SyncTestOptions): SyncTestResult {
  const { createGame, inputs, ticks } = options;
  const depth = options.rollbackTicks ?? 8;
  if (!Number.isInteger(ticks) || ticks < 0) {
    throw new RbnError('INVALID_CONFIG', `ticks must be a non-negative integer, got ${ticks}`);
  }
  if (!Number.isInteger(depth) || depth < 1) {
    throw new RbnError('INVALID_CONFIG', `rollbackTicks must be a positive integer, got ${depth}`);
  }
  const playerIds = [...options.playerIds].sort();
  const straight = createGame();
  const rolling = createGame();
  const history: Uint8Array[] = new Array<Uint8Array>(depth + 1);
  const stepInputs = new Map<PlayerId, Uint8Array>();

  const stepWithInputs = (game: Game<Uint8Array>, tick: Tick): void => {
    stepInputs.clear();
    for (const id of playerIds) stepInputs.set(id, inputs(tick, id).slice());
    call('step', tick, () => game.step(stepInputs));
  };
  const compare = (tick: Tick): SyncTestResult | undefined => {
    const expectedHash = call('hash', tick, () => straight.hash());
    const actualHash = call('hash', tick, () => rolling.hash());
    if (expectedHash === actualHash) return undefined;
    return {
      ok: false,
      tick,
      expectedHash,
      actualHash,
      expectedState: call('serialize', tick, () => straight.serialize()).slice(),
      actualState: call('serialize', tick, () => rolling.serialize()).slice(),
    };
  };
  const save = (tick: Tick): void => {
    history[tick % (depth + 1)] = call('serialize', tick, () => rolling.serialize()).slice();
  };

  const initial = compare(0);
  if (initial) return initial;
  save(0);
  for (let t = 0; t < ticks; t++) {
    stepWithInputs(straight, t);
    stepWithInputs(rolling, t);
    save(t + 1);
    const from = Math.max(0, t + 1 - depth);
    const state = history[from % (depth + 1)];
    if (state !== undefined) {
      call('deserialize', from, () => rolling.deserialize(state));
      for (let u = from; u <= t; u++) {
        stepWithInputs(rolling, u);
        save(u + 1);
      }
    }
    const bad = compare(t + 1);
    if (bad) return bad;
  }
  return { ok: true, ticks };
}
