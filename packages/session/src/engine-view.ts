import type { EngineSnapshot, EngineStats, RollbackEngine } from '@rbn/core';
import type { PlayerId, Tick } from '@rbn/protocol';

/**
 * A read-only view of the session's rollback engine, for statistics and debugging. It holds
 * no setter and no hook: nothing reached through it can change the game or disconnect the
 * session's own wiring (desync detection listens to the engine itself; listen to the session's
 * `confirmedHash` event for the hashes).
 */
export interface EngineView {
  /** The next tick to simulate. */
  readonly currentTick: Tick;
  /** The newest tick whose inputs are known for every player (-1 when none). */
  readonly confirmedTick: Tick;
  /** Rollback statistics (a copy). */
  readonly stats: Readonly<EngineStats>;
  /** The players the engine simulates. */
  readonly playerIds: readonly PlayerId[];
  /**
   * Whether the engine simulates a player.
   * @param playerId - The player.
   */
  hasPlayer(playerId: PlayerId): boolean;
  /**
   * A saved state S(tick) with its hash, if the engine still holds it.
   * @param tick - The tick.
   * @returns A copy the caller owns, or `undefined`.
   */
  getSnapshot(tick: Tick): EngineSnapshot | undefined;
  /**
   * The newest confirmed state S(confirmedTick + 1) and its hash.
   * @returns A copy the caller owns.
   */
  getConfirmedState(): EngineSnapshot;
}

/** Wraps an engine in an {@link EngineView} (the engine itself stays out of reach). */
export function engineView(engine: RollbackEngine): EngineView {
  return Object.freeze({
    get currentTick() {
      return engine.currentTick;
    },
    get confirmedTick() {
      return engine.confirmedTick;
    },
    get stats() {
      return { ...engine.stats };
    },
    get playerIds() {
      return [...engine.playerIds];
    },
    hasPlayer: (playerId: PlayerId) => engine.hasPlayer(playerId),
    getSnapshot: (tick: Tick) => engine.getSnapshot(tick),
    getConfirmedState: () => engine.getConfirmedState(),
  });
}
