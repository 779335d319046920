import { RbnError } from '@rbn/protocol';
import type { Tick } from '@rbn/protocol';
import type { Game } from '../game';
import { GameError } from '../game-error';
import type { EngineSnapshot } from '../rollback-engine';
import { SnapshotBuffer } from './snapshot-buffer';
import type { SnapshotCadence } from './snapshot-cadence';

/** What a {@link StateHistory} is created with (see its constructor). */
export type HistoryOptions = {
  readonly size: number;
  readonly hashInterval: number;
  readonly every: number;
  readonly cadence: SnapshotCadence | null;
  readonly startTick: Tick;
};

/**
 * The engine's state history: which states S(t) are saved (and when one is worth saving), the
 * first state of the current history, restoring a saved state for a rollback and reading a past
 * state back. It is also the engine's only access to the game's `serialize`, `deserialize` and
 * `hash`, each wrapped so a throwing game becomes a {@link GameError}. The engine owns one.
 */
export class StateHistory {
  /** The saved states, with the hashes of the hashed ticks. */
  readonly saved: SnapshotBuffer;
  /** The tick of the first state of this history (start or last `loadState`). */
  baseTick: Tick;
  /**
   * The newest tick whose state is saved in the current timeline: saved while simulating it,
   * loaded by `loadState`, or restored by a rollback (which resets it to the restored tick).
   */
  lastSaved: Tick = Number.NEGATIVE_INFINITY;
  /** At most one of this many consecutive predicted states is saved (`snapshotInterval`). */
  every: number;
  /** S(t) is also saved every this many ticks, so a late join or leave has a state to restore. */
  private readonly checkpointInterval: number;

  /** `snapshotHistorySize`: how many ticks back a rollback can go. */
  readonly size: number;
  /** Hashed ticks are always saved, with their hash. */
  private readonly hashInterval: number;
  /** Times the saves for `snapshotInterval: 'auto'`, else null. */
  private readonly cadence: SnapshotCadence | null;

  /**
   * @param game - The engine's game.
   * @param options - `size` (`snapshotHistorySize`), `hashInterval`, the initial interval
   * `every`, the `cadence` of `snapshotInterval: 'auto'` (else null) and the `startTick`.
   */
  constructor(
    private readonly game: Game<Uint8Array>,
    options: HistoryOptions,
  ) {
    this.size = options.size;
    this.hashInterval = options.hashInterval;
    this.cadence = options.cadence;
    this.saved = new SnapshotBuffer(options.size);
    this.every = options.every;
    this.checkpointInterval = Math.max(1, Math.floor(options.size / 4));
    this.baseTick = options.startTick;
  }

  /** Makes `state` the first state S(tick) of a new history, and the game's state. */
  startAt(tick: Tick, state: Uint8Array): void {
    this.saved.clear();
    this.saved.save(tick, state);
    this.lastSaved = tick;
    this.deserialize(this.saved.get(tick) ?? state, tick);
    this.saved.setHash(tick, this.hash(tick));
    this.baseTick = tick;
  }

  /**
   * The oldest tick a rollback can restore when the game holds S(now): the last `size` ticks,
   * not before {@link baseTick}.
   */
  oldestRestorable(now: Tick): Tick {
    return Math.max(this.baseTick, now - this.size + 1);
  }

  /** The latest tick `r <= tick` whose state S(r) is saved, or -1 if none is in the history. */
  restorableAtOrBefore(tick: Tick, now: Tick): Tick {
    const floor = this.oldestRestorable(now);
    for (let r = tick; r >= floor; r--) if (this.saved.has(r)) return r;
    return -1;
  }

  /**
   * Puts the game in the nearest saved state at or before S(target) for a rollback (ticks between
   * had no prediction, so they resimulate to the same states).
   * @returns The tick of the restored state.
   */
  restore(target: Tick, now: Tick): Tick {
    const from = this.restorableAtOrBefore(target, now);
    const state = from < 0 ? undefined : this.saved.get(from);
    if (state === undefined) {
      throw new RbnError(
        'INTERNAL_ERROR',
        `no saved state at or before S(${target}) to roll back to`,
      );
    }
    this.deserialize(state, from);
    this.lastSaved = from;
    return from;
  }

  /**
   * Before tick `t` is stepped: saves S(t) only when a rollback may need it: when a player's
   * input for `t` is predicted (a late input can only fix such a tick) and no state of the last
   * `every - 1` ticks is saved, every `size / 4` ticks (a checkpoint for joins and leaves
   * announced late), for hash ticks, and for the first state. A state saved in this timeline
   * already (the one a rollback just restored, or `loadState`'s) is kept as it is. A stale copy
   * of S(t) from an earlier simulation is dropped otherwise.
   */
  beforeStep(t: Tick, predicted: boolean): void {
    if (t === this.lastSaved) {
      // S(t) is saved in this timeline already (just restored or loaded): nothing to save.
    } else if (t % this.checkpointInterval === 0 || (t > 0 && t % this.hashInterval === 0)) {
      this.save(t);
    } else if (predicted) {
      if (t - this.lastSaved >= this.every) this.save(t);
      else this.saved.drop(t);
    } else if (t === this.baseTick) {
      if (!this.saved.has(t)) this.save(t);
    } else {
      this.saved.drop(t);
    }
  }

  /**
   * S(tick) and its hash, for `tick` in the history up to `now`: the saved copy, the live state,
   * or, for a tick whose state was not saved, replayed from the nearest earlier saved state with
   * `replay` (the game is put back in S(now) afterwards).
   * @param replay - Steps a tick again with the inputs it was last simulated with; false if
   * they are no longer buffered.
   */
  inspect(tick: Tick, now: Tick, replay: (t: Tick) => boolean): EngineSnapshot | undefined {
    if (tick === now) {
      const live = this.serialize(tick);
      return { tick, state: live.slice(), hash: this.hash(tick) };
    }
    const saved = this.saved.get(tick);
    const savedHash = this.saved.getHash(tick);
    if (saved !== undefined && savedHash !== undefined) {
      return { tick, state: saved.slice(), hash: savedHash };
    }
    const from = this.restorableAtOrBefore(tick, now);
    const start = from < 0 ? undefined : this.saved.get(from);
    if (start === undefined) return undefined;
    const current = this.serialize(now).slice();
    let result: EngineSnapshot | undefined;
    try {
      this.deserialize(start, from);
      let replayed = true;
      for (let t = from; t < tick && replayed; t++) replayed = replay(t);
      if (replayed) {
        const state = this.serialize(tick).slice();
        result = { tick, state, hash: this.hash(tick) };
        if (from === tick) this.saved.setHash(tick, result.hash);
      }
    } finally {
      this.deserialize(current, now);
    }
    return result;
  }

  private save(tick: Tick): void {
    const cadence = this.cadence;
    // 'auto' weighs the whole save (serialize, hash tick, storing it) against a step, timing one
    // save in a few: two clock readings per save cost a large share of a small game's frame.
    const timed = cadence !== null && cadence.sampleSerialize();
    const started = timed ? cadence.now() : 0;
    const state = this.serialize(tick);
    this.lastSaved = tick;
    if (tick > 0 && tick % this.hashInterval === 0) {
      this.saved.save(tick, state, this.hash(tick));
    } else {
      this.saved.save(tick, state);
    }
    if (timed) cadence.addSerialize(cadence.now() - started);
  }

  private serialize(tick: Tick): Uint8Array {
    try {
      return this.game.serialize();
    } catch (error) {
      throw new GameError('serialize', tick, error);
    }
  }

  private hash(tick: Tick): number {
    try {
      return this.game.hash();
    } catch (error) {
      throw new GameError('hash', tick, error);
    }
  }

  private deserialize(state: Uint8Array, tick: Tick): void {
    try {
      this.game.deserialize(state);
    } catch (error) {
      throw new GameError('deserialize', tick, error);
    }
  }
}
