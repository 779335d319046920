import { RbnError, sameBytes } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import type { Game, InputPredictor } from './game';
import { GameError } from './game-error';
import {
  MAX_INPUT_DELAY_TICKS,
  checkInput,
  checkInputDelay,
  checkPlayerId,
  checkTick,
  resolveEngineConfig,
} from './internal/config';
import { InputBuffer, NEVER } from './internal/input-buffer';
import { SnapshotCadence } from './internal/snapshot-cadence';
import { StateHistory } from './internal/state-history';

/** The largest interval `snapshotInterval: 'auto'` chooses. */
const MAX_AUTO_SNAPSHOT_INTERVAL = 8;

/** Options of a {@link RollbackEngine}. Every field is optional. */
/**
 * Checks engine settings without creating an engine: what the constructor would reject is
 * rejected here, with the same error (a session checks its settings with it up front).
 * @param config - The settings to check.
 * @throws RbnError `'INVALID_CONFIG'` naming the first bad field.
 * @example
 * ```ts
 * validateEngineConfig({ snapshotHistorySize: 120, maxSpeculationTicks: 60 }); // fine
 * validateEngineConfig({ inputDelayTicks: 100 }); // throws INVALID_CONFIG (0–64)
 * ```
 */
export function validateEngineConfig(config: EngineConfig): void {
  resolveEngineConfig(config);
}

export type EngineConfig = {
  /**
   * How many saved states the engine keeps, i.e. how far back a rollback can go. Must be greater
   * than `maxSpeculationTicks`.
   * @default 120
   */
  snapshotHistorySize?: number;
  /**
   * How many ticks may be simulated with predicted inputs before `tick()` stalls (returns
   * `{ status: 'stalled' }`) until inputs arrive. `0` means lockstep: a tick is simulated only
   * when every input of it is known.
   * @default 60
   */
  maxSpeculationTicks?: number;
  /**
   * Of consecutive states simulated with a predicted input, at most one in every
   * `snapshotInterval` is saved (serialized). A rollback restores the nearest earlier saved state
   * and resimulates from there, so a larger interval calls `game.serialize()` less often and
   * resimulates up to `snapshotInterval - 1` more ticks per rollback. `1` saves every predicted
   * state, as GGPO does; raise it for a game whose `serialize` is expensive next to its `step`.
   * Capped at `snapshotHistorySize - maxSpeculationTicks`, so every rollback stays restorable.
   * `'auto'` starts at 1 and chooses the interval online from the measured cost of `serialize`
   * against `step` (about √(serialize ÷ step), with hysteresis), timed with `costClock`; read
   * the interval in use from {@link RollbackEngine.snapshotInterval}.
   * @default 3
   */
  snapshotInterval?: number | 'auto';
  /**
   * The clock (milliseconds, any origin) that times a sample of `step` and `serialize` calls
   * for `snapshotInterval: 'auto'`, which needs it (the engine owns no clock). A clock that never
   * moves keeps the interval at 1.
   */
  costClock?: () => number;
  /**
   * `onConfirmedHash` is called for every confirmed state S(t) with `t % hashInterval === 0`.
   * @default 60
   */
  hashInterval?: number;
  /**
   * The local input given to `tick()` is scheduled for tick `currentTick + inputDelayTicks`.
   * From 0 to 64; settable at runtime through {@link RollbackEngine.inputDelayTicks}.
   * @default 0
   */
  inputDelayTicks?: number;
  /**
   * Largest input in bytes. Bigger remote inputs are ignored; a bigger local input throws.
   * @default DEFAULT_LIMITS.maxInputBytes (64)
   */
  maxInputBytes?: number;
  /**
   * Guesses remote inputs that have not arrived.
   * @default repeatLastInputPredictor
   */
  inputPredictor?: InputPredictor<Uint8Array>;
  /**
   * The tick of the game's state when the engine is created: the first tick simulated.
   * @default 0
   */
  startTick?: Tick;
};

/** `tick()` simulated one tick. */
export type AdvancedTickResult = {
  readonly status: 'advanced';
  /** The tick just simulated (the state is now S(tick + 1)). */
  readonly tick: Tick;
  /** Whether earlier ticks were resimulated first because a prediction was wrong. */
  readonly rolledBack: boolean;
  /** How many ticks were resimulated before this one (0 if none). */
  readonly rollbackTicks: number;
  /** {@link RollbackEngine.confirmedTick} after this call. */
  readonly confirmedTick: Tick;
};

/**
 * `tick()` did not simulate: doing so would leave more than `maxSpeculationTicks` ticks simulated
 * with predicted inputs. This is an expected outcome, not an error: the local input was recorded,
 * the game is unchanged (unless a rollback fixed the past, see `rolledBack`), and the caller
 * simply calls `tick()` again next frame; the engine advances once the missing inputs arrive.
 */
export type StalledTickResult = {
  readonly status: 'stalled';
  /** The tick that could not be simulated (= `currentTick`). */
  readonly tick: Tick;
  /** Why the engine did not advance. */
  readonly reason: 'speculation-limit';
  /** {@link RollbackEngine.confirmedTick} after this call. */
  readonly confirmedTick: Tick;
  /** Whether past ticks were resimulated with newly arrived inputs during this call. */
  readonly rolledBack: boolean;
  /** How many past ticks were resimulated (0 if none). */
  readonly rollbackTicks: number;
};

/**
 * What `tick()` did. The engine reuses the result objects: a result is valid until the next
 * call to `tick()`; copy the fields you keep.
 */
export type TickResult = AdvancedTickResult | StalledTickResult;

/** What `addRemoteInput` did with an input. */
export type RemoteInputResult = 'accepted' | 'duplicate' | 'ignored';

/** A saved state S(tick) with its hash. */
export type EngineSnapshot = {
  /** The state is S(tick): the state at the start of `tick`. */
  tick: Tick;
  /** The serialized state (a copy the caller owns). */
  state: Uint8Array;
  /** `game.hash()` of the state. */
  hash: number;
};

/** Counters of the engine's work, for diagnostics and benchmarks. */
export type EngineStats = {
  /** Rollbacks done (each restores one saved state and resimulates). */
  rollbacks: number;
  /** Ticks resimulated by all rollbacks. */
  resimulatedTicks: number;
  /** `tick()` calls that returned `'stalled'`. */
  stalls: number;
  /** The deepest rollback, in ticks. */
  maxRollbackDepth: number;
  /** Local inputs dropped because they would have been scheduled too far ahead (see `tick`). */
  droppedLocalInputs: number;
};

type Player = {
  readonly id: PlayerId;
  readonly buffer: InputBuffer;
};

type MutableAdvanced = { -readonly [K in keyof AdvancedTickResult]: AdvancedTickResult[K] };
type MutableStalled = { -readonly [K in keyof StalledTickResult]: StalledTickResult[K] };

const EMPTY_INPUT = new Uint8Array(0);

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * The rollback engine: runs a deterministic {@link Game} ahead of its inputs by predicting the
 * inputs that have not arrived, and when a real input differs from the prediction, restores the
 * saved state of that tick and resimulates up to the present.
 *
 * Tick numbering: S(t) is the state at the start of tick t. Simulating tick t applies the inputs
 * of tick t to S(t), giving S(t + 1). `currentTick` is the next tick to simulate.
 *
 * The engine owns no clock, timer, socket or randomness: the caller calls `tick()` once per
 * frame and feeds it remote inputs with `addRemoteInput`. It copies every input it is given and
 * reuses its buffers, so a tick allocates nothing of its own.
 *
 * @example
 * ```ts
 * const engine = new RollbackEngine(game, { inputDelayTicks: 2 });
 * engine.addPlayer('alice', 0, { local: true });
 * engine.addPlayer('bob', 0);
 * // each frame:
 * for (const { tick, bytes } of receivedFromBob) engine.addRemoteInput('bob', tick, bytes);
 * const result = engine.tick(readKeyboard());
 * if (result.status === 'stalled') showWaitingIndicator();
 * ```
 */
export class RollbackEngine {
  /**
   * Called once for each confirmed state S(t) with `t > 0` and `t % hashInterval === 0`, with
   * `game.hash()` of S(t), during the `tick()` call in which S(t) became final (every input of
   * ticks before t known, and S(t) simulated with them). Compare these between peers to detect a
   * desync.
   */
  onConfirmedHash: ((tick: Tick, hash: number) => void) | null = null;

  readonly #game: Game<Uint8Array>;
  readonly #predictor: InputPredictor<Uint8Array>;
  readonly #historySize: number;
  readonly #maxSpeculation: number;
  readonly #hashInterval: number;
  /** Chooses the snapshot interval for `snapshotInterval: 'auto'`, else null. */
  readonly #cadence: SnapshotCadence | null;
  readonly #maxInputBytes: number;
  readonly #bufferCapacity: number;
  /** How far past `currentTick` an input may be stored. */
  readonly #aheadWindow: number;
  #delay: number;

  readonly #players = new Map<PlayerId, Player>();
  /** The last lookup in `players` (`find`): the session asks about one player many times in a row. */
  #foundId: PlayerId | undefined = undefined;
  #found: Player | undefined = undefined;
  /** Every tracked player (including ones joining later or leaving), sorted by id. */
  #sorted: Player[] = [];
  #localPlayer: Player | undefined;
  #leavingCount = 0;
  #version = 0;
  /**
   * {@link inputsCompleteThrough}, or `undefined` after it may have moved (an input stored, a
   * change to the players) until it is next read: the session reads it, through
   * {@link confirmedTick}, many times a frame, and a walk over every player each time cost more
   * than the engine's own bookkeeping.
   */
  #complete: Tick | undefined = undefined;
  #playerIdsCache: readonly PlayerId[] = [];
  #playerIdsVersion = -1;
  #playerIdsTick = -1;

  /** The saved states and the game's state access (see internal/state-history.ts). */
  readonly #history: StateHistory;
  /** The one map handed to `game.step`, refilled every tick. */
  readonly #stepInputs = new Map<PlayerId, Uint8Array>();
  /** The players whose ids are the keys of `stepInputs`, in order. */
  readonly #stepMembers: Player[] = [];
  readonly #stepScratch: Player[] = [];
  /** The values in `stepInputs`, in `stepMembers` order. */
  readonly #stepHeld: Uint8Array[] = [];
  #tickNow: Tick;
  /** Earliest tick that must be resimulated, or NEVER. */
  #rollbackTo: Tick = NEVER;
  #nextHashTick: Tick;

  readonly #statsData: EngineStats = {
    rollbacks: 0,
    resimulatedTicks: 0,
    stalls: 0,
    maxRollbackDepth: 0,
    droppedLocalInputs: 0,
  };
  readonly #advanced: MutableAdvanced = {
    status: 'advanced',
    tick: 0,
    rolledBack: false,
    rollbackTicks: 0,
    confirmedTick: -1,
  };
  readonly #stalled: MutableStalled = {
    status: 'stalled',
    tick: 0,
    reason: 'speculation-limit',
    confirmedTick: -1,
    rolledBack: false,
    rollbackTicks: 0,
  };

  /**
   * @param game - The game to drive; its current state is S(startTick).
   * @param config - Options; see {@link EngineConfig}.
   * @throws RbnError code `'INVALID_CONFIG'` naming the bad field.
   */
  constructor(game: Game<Uint8Array>, config?: EngineConfig) {
    const c = resolveEngineConfig(config);
    this.#game = game;
    this.#predictor = c.inputPredictor;
    this.#historySize = c.snapshotHistorySize;
    this.#maxSpeculation = c.maxSpeculationTicks;
    this.#hashInterval = c.hashInterval;
    const maxInterval = c.snapshotHistorySize - c.maxSpeculationTicks;
    this.#cadence =
      c.snapshotInterval === 'auto'
        ? new SnapshotCadence(c.costClock, Math.min(maxInterval, MAX_AUTO_SNAPSHOT_INTERVAL))
        : null;
    const every = this.#cadence ? 1 : Math.min(c.snapshotInterval as number, maxInterval);
    this.#maxInputBytes = c.maxInputBytes;
    this.#delay = c.inputDelayTicks;
    // A remote peer can be ahead of us by its speculation plus both input delays.
    this.#aheadWindow = c.maxSpeculationTicks + 2 * MAX_INPUT_DELAY_TICKS + 16;
    // Keep at least snapshotHistorySize + maxSpeculationTicks ticks behind currentTick (so a
    // session can resend inputs a slow peer has not acknowledged) and aheadWindow ahead.
    this.#bufferCapacity = nextPowerOfTwo(
      c.snapshotHistorySize + c.maxSpeculationTicks + this.#aheadWindow,
    );
    const { hashInterval, startTick, snapshotHistorySize: size } = c;
    this.#history = new StateHistory(game, {
      size,
      hashInterval,
      every,
      cadence: this.#cadence,
      startTick,
    });
    this.#tickNow = c.startTick;
    this.#nextHashTick = this.firstHashTickFrom(c.startTick);
  }

  // ---------------------------------------------------------------------------------------------
  // Players

  /**
   * Adds a player whose inputs count from `joinTick` on. If `joinTick < currentTick`, the next
   * `tick()` rolls back to `joinTick` and resimulates with the player (so a join agreed at a past
   * tick lands exactly there on every peer).
   * @param playerId - The player's id (unique among tracked players).
   * @param joinTick - The first tick whose input of this player counts.
   * @param options - `local: true` marks the single local player, whose input `tick()` takes.
   * Peers must agree on `joinTick` before any of them confirms it: choose it beyond every input
   * already scheduled. A join at or before {@link confirmedTick} rewrites states already reported
   * as confirmed (the engine still resimulates correctly, but hashes already emitted are stale).
   * @throws RbnError `'PLAYER_EXISTS'` if the id is still in the game (an id that left may be
   * added again once its leave tick is confirmed and `joinTick` is not before it), `'LOCAL_PLAYER_EXISTS'` for a second local player,
   * `'TICK_OUT_OF_RANGE'` if `joinTick` is older than the saved history, `'INVALID_ARGUMENT'`
   * for an empty or non-string id or a `joinTick` that is not an integer from 0 to 2^31 − 2.
   */
  addPlayer(playerId: PlayerId, joinTick: Tick, options?: { local?: boolean }): void {
    checkPlayerId(playerId);
    checkTick('joinTick', joinTick);
    const existing = this.#players.get(playerId);
    if (existing !== undefined) {
      const leave = existing.buffer.leaveTick;
      // A player whose leave is confirmed may come back under the same id.
      if (leave === NEVER || leave > joinTick || leave > this.confirmedTick + 1) {
        throw new RbnError('PLAYER_EXISTS', `player ${playerId} is already in the engine`);
      }
    }
    const local = options?.local === true;
    if (local && this.#localPlayer !== undefined && this.#localPlayer !== existing) {
      throw new RbnError(
        'LOCAL_PLAYER_EXISTS',
        `cannot add ${playerId} as local player: ${this.#localPlayer.id} already is`,
      );
    }
    this.markRollback(joinTick, 'joinTick');
    if (existing !== undefined) {
      // The earlier lifetime stays tracked (its inputs, ending before this join) while a rollback
      // could restore a state before its leave; purgeLeftPlayers forgets it after that.
      if (existing === this.#localPlayer) this.#localPlayer = undefined;
      this.#changed();
    }
    const buffer = new InputBuffer(this.#bufferCapacity, this.#maxInputBytes, joinTick);
    // Inputs before the first state of this history are baked into it.
    const base = this.#history.baseTick;
    if (buffer.receivedTick < base - 1) buffer.dropBefore(base);
    const player: Player = { id: playerId, buffer };
    this.#players.set(playerId, player);
    this.#foundId = undefined;
    this.#sorted.push(player);
    this.#sorted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (local) this.#localPlayer = player;
    this.#changed();
  }

  /**
   * Ends a player's lifetime: its inputs of ticks `>= leaveTick` stop counting. If
   * `leaveTick < currentTick`, the next `tick()` rolls back to `leaveTick` and resimulates
   * without the player. The player stays tracked (for rollbacks) until its leave is confirmed
   * and older than the saved history. Calling it again moves the leave tick. As for joins, peers
   * must agree on `leaveTick` before confirming it.
   * @param playerId - A tracked player.
   * @param leaveTick - The first tick without the player.
   * @throws RbnError `'UNKNOWN_PLAYER'`, `'TICK_OUT_OF_RANGE'`, `'INVALID_ARGUMENT'`.
   */
  removePlayer(playerId: PlayerId, leaveTick: Tick): void {
    checkTick('leaveTick', leaveTick);
    const player = this.#players.get(playerId);
    if (player === undefined) {
      throw new RbnError('UNKNOWN_PLAYER', `cannot remove player ${playerId}: not in the engine`);
    }
    const buffer = player.buffer;
    const effective = Math.max(leaveTick, buffer.joinTick);
    const previous = buffer.leaveTick;
    this.markRollback(Math.min(previous, effective), 'leaveTick');
    if (previous === NEVER) this.#leavingCount++;
    buffer.leaveTick = effective;
    this.#changed();
  }

  /**
   * Whether the player is in the game at `currentTick` or will join later (added, and its leave
   * tick, if any, is still ahead).
   * @param playerId - The player's id.
   * @returns `true` if the player counts now or later.
   */
  hasPlayer(playerId: PlayerId): boolean {
    const player = this.#players.get(playerId);
    return player !== undefined && player.buffer.leaveTick > this.#tickNow;
  }

  /** The players for which {@link hasPlayer} is true, sorted by id. Do not mutate. */
  get playerIds(): readonly PlayerId[] {
    if (
      this.#playerIdsVersion !== this.#version ||
      (this.#leavingCount > 0 && this.#playerIdsTick !== this.#tickNow)
    ) {
      const ids: PlayerId[] = [];
      for (const p of this.#sorted) if (p.buffer.leaveTick > this.#tickNow) ids.push(p.id);
      this.#playerIdsCache = Object.freeze(ids);
      this.#playerIdsVersion = this.#version;
      this.#playerIdsTick = this.#tickNow;
    }
    return this.#playerIdsCache;
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  /**
   * Gives the engine a remote player's input for one tick. The bytes are copied. Inputs may
   * arrive in any order and more than once. If the tick was already simulated with a different
   * (predicted) input, the next `tick()` rolls back to the earliest such tick.
   * @param playerId - The remote player.
   * @param tick - The tick the input is for.
   * @param input - The input bytes.
   * @returns `'accepted'` (stored), `'duplicate'` (already had it; the first copy wins), or
   * `'ignored'` (unknown or local player, a tick that is not an integer, outside the player's
   * lifetime, too old or too far ahead of `currentTick`, or longer than `maxInputBytes`). A
   * peer's bad tick or size never throws and never grows memory: the buffers are fixed rings.
   * @throws RbnError `'INVALID_ARGUMENT'` if `input` is not a `Uint8Array` (a caller bug).
   */
  addRemoteInput(playerId: PlayerId, tick: Tick, input: Uint8Array): RemoteInputResult {
    checkInput('input', input);
    const player = this.find(playerId);
    if (player === undefined || player === this.#localPlayer) return 'ignored';
    if (!Number.isInteger(tick) || input.length > this.#maxInputBytes) return 'ignored';
    const buffer = player.buffer;
    if (!buffer.isActiveAt(tick)) return 'ignored';
    if (tick <= buffer.receivedTick) return 'duplicate';
    if (tick >= this.#tickNow + this.#aheadWindow || tick < this.#tickNow - this.#historySize) {
      return 'ignored';
    }
    if (buffer.put(tick, input) === 'duplicate') return 'duplicate';
    this.#complete = undefined;
    // An input of a tick before the state the history starts from (a state loaded on joining or
    // coming back) changes nothing simulated here: that state already holds its effect.
    const simulated = tick < this.#tickNow && tick >= this.#history.baseTick;
    if (simulated && tick < this.#rollbackTo && !buffer.usedEquals(tick, input)) {
      this.#rollbackTo = tick;
    }
    return 'accepted';
  }

  /**
   * Forgets a player's received inputs of ticks `>= fromTick` (remote or local), so other inputs
   * can be given for them: the session decides a silent player's inputs from an agreed tick
   * ("away"), overriding any it already had. If `fromTick < currentTick`, the next `tick()`
   * rolls back to it. Peers must agree on `fromTick` before any of them confirms it. Ticks
   * before the last {@link loadState} (or the start tick) are part of that state: a `fromTick`
   * before it forgets from there.
   * @param playerId - A tracked player (an unknown one is ignored).
   * @param fromTick - The first tick to forget.
   * @throws RbnError `'TICK_OUT_OF_RANGE'` if `fromTick` is older than the saved history,
   * `'INVALID_ARGUMENT'` for a bad tick.
   */
  retractInputs(playerId: PlayerId, fromTick: Tick): void {
    checkTick('fromTick', fromTick);
    // Inputs before the first state of this history are baked into it: none to forget there
    // (a late joiner hears of a window that opened before the state it loaded).
    const from = Math.max(fromTick, this.#history.baseTick);
    const player = this.#players.get(playerId);
    // Inputs that arrived past a gap count too: a tick simulated with one rolls back.
    if (player === undefined || player.buffer.storedThrough < from) return;
    this.markRollback(from, 'fromTick');
    player.buffer.retractFrom(from);
    this.#changed();
  }

  /**
   * Schedules `input` as the local player's input for every tick after its last scheduled one
   * through `throughTick` (within the speculation window): a member coming back after being away
   * takes over, from the state it loaded, the inputs the room decided for it meanwhile.
   * @param throughTick - The last tick to fill.
   * @param input - The input; copied.
   * @throws RbnError `'INVALID_ARGUMENT'` for an input that is not a `Uint8Array` or too long.
   */
  fillLocalInputs(throughTick: Tick, input: Uint8Array): void {
    checkInput('input', input);
    const local = this.#localPlayer;
    if (local === undefined) return;
    if (input.length > this.#maxInputBytes) {
      throw new RbnError('INVALID_ARGUMENT', `input is longer than maxInputBytes`);
    }
    const buffer = local.buffer;
    const limit = Math.min(buffer.leaveTick, this.#tickNow + this.#aheadWindow, throughTick + 1);
    for (let t = Math.max(buffer.receivedTick + 1, buffer.joinTick); t < limit; t++) {
      buffer.put(t, input);
    }
    this.#complete = undefined;
  }

  /**
   * The received (never predicted) input of a player for a tick, including the local player's
   * scheduled inputs, if still buffered (at least `snapshotHistorySize + maxSpeculationTicks`
   * ticks are kept).
   * @param playerId - The player.
   * @param tick - The tick.
   * @returns A view valid until the next mutating call (copy it to keep it), or `undefined`.
   */
  getInput(playerId: PlayerId, tick: Tick): Uint8Array | undefined {
    const player = this.find(playerId);
    if (player === undefined || !player.buffer.isActiveAt(tick)) return undefined;
    return player.buffer.get(tick);
  }

  /**
   * Changes whenever a player is added or removed, inputs are retracted or a state is loaded:
   * while it does not, {@link getInput} gives the same bytes for a tick it held before (unless
   * the tick is older than {@link oldestRestorableTick}), so a caller may cache what it derives
   * from them.
   */
  get version(): number {
    return this.#version;
  }

  /**
   * The highest tick T such that every input of the player for ticks `joinTick..T` has arrived
   * (ticks before the last loaded state count as arrived).
   * @param playerId - The player.
   * @returns T, or -1 for an unknown player.
   */
  getReceivedTick(playerId: PlayerId): Tick {
    return this.find(playerId)?.buffer.receivedTick ?? -1;
  }

  /**
   * The minimum of {@link getReceivedTick} over tracked players whose inputs still matter (a
   * player whose inputs are complete up to its leave tick does not count). Not capped by
   * `currentTick`. `Infinity` when no player constrains it.
   */
  get inputsCompleteThrough(): Tick {
    if (this.#complete !== undefined) return this.#complete;
    let min = Number.POSITIVE_INFINITY;
    const players = this.#sorted;
    for (let k = 0; k < players.length; k++) {
      const p = players[k]!;
      const received = p.buffer.receivedTick;
      if (received + 1 >= p.buffer.leaveTick) continue;
      if (received < min) min = received;
    }
    this.#complete = min;
    return min;
  }

  /**
   * The latest tick with a scheduled local input, -1 if none (or no local player). A session
   * sends local inputs up to this tick.
   */
  get lastLocalInputTick(): Tick {
    const local = this.#localPlayer;
    if (local === undefined) return -1;
    const received = local.buffer.receivedTick;
    return received >= local.buffer.joinTick && local.buffer.has(received) ? received : -1;
  }

  /**
   * The snapshot interval in use: the configured one, or with `snapshotInterval: 'auto'` the
   * one chosen so far from measured costs.
   */
  get snapshotInterval(): number {
    return this.#history.every;
  }

  /**
   * Delay, in ticks, between a local input given to `tick()` and the tick it is scheduled for.
   * Changeable at any time: growing it fills the skipped ticks by repeating the previous input;
   * shrinking it never drops or rewrites a scheduled input (see {@link tick}).
   * @throws RbnError `'INVALID_CONFIG'` unless an integer from 0 to 64.
   */
  get inputDelayTicks(): number {
    return this.#delay;
  }

  set inputDelayTicks(value: number) {
    this.#delay = checkInputDelay(value);
  }

  // ---------------------------------------------------------------------------------------------
  // Ticks

  /** The next tick to simulate; the game holds S(currentTick). */
  get currentTick(): Tick {
    return this.#tickNow;
  }

  /**
   * The highest tick t below `currentTick` such that the inputs of every tick up to t are known
   * for every player, so S(t + 1) is final. -1 if none.
   */
  get confirmedTick(): Tick {
    return Math.min(this.inputsCompleteThrough, this.confirmationCap, this.#tickNow - 1);
  }

  /**
   * {@link confirmedTick} as the game's own states reflect it now: between two `tick()` calls,
   * an input that arrived for a tick simulated with a different prediction holds this below that
   * tick until the next `tick()` (or {@link getSnapshot}) rolls back. What a caller that reads the
   * game's states between ticks may treat as final.
   */
  get simulatedConfirmedTick(): Tick {
    return Math.min(this.confirmedTick, this.#rollbackTo - 1);
  }

  /**
   * The newest tick that may count as confirmed even when every input of it is known; `Infinity`
   * (the default) for no limit. A session caps a guest's confirmation at the host's
   * acknowledgement of the guest's own inputs, since until then the host may still decide them
   * (when it marks the guest away): no confirmed hash is ever reported for a tick that changes.
   */
  confirmationCap: Tick = Number.POSITIVE_INFINITY;

  /** Counters of rollbacks, resimulated ticks and stalls. A live object: do not mutate. */
  get stats(): Readonly<EngineStats> {
    return this.#statsData;
  }

  /**
   * Runs one frame of the rollback algorithm:
   * 1. schedules `localInput` (copied) for the local player at `currentTick + inputDelayTicks`;
   * 2. if an input arrived (or a player joined/left) for a tick already simulated differently,
   *    restores the saved state of the earliest such tick and resimulates up to `currentTick`;
   * 3. if simulating `currentTick` would leave more than `maxSpeculationTicks` ticks simulated
   *    with predicted inputs, stops here and returns `{ status: 'stalled' }`;
   * 4. otherwise predicts missing inputs, saves S(currentTick) if a rollback may need it (the
   *    tick has a predicted input, or is a checkpoint or hash tick), steps the game and advances.
   *
   * Local input scheduling: ticks between the last scheduled input and the target tick (when the
   * delay grew, or at the start: the first `inputDelayTicks` ticks) are filled by repeating the
   * previous local input (an empty input before the first one). When the target is already
   * scheduled (the delay shrank, or the engine is stalled), the input is appended after the last
   * scheduled one unless it equals it; skipping repeats this way lets the effective delay shrink
   * back without losing a change of input.
   *
   * @param localInput - The local player's input for this frame (empty if omitted). Ignored
   * without a local player (spectator).
   * @returns The result; the object is reused and valid until the next call.
   * @throws RbnError `'INVALID_ARGUMENT'` if `localInput` is not a `Uint8Array` or is longer
   * than `maxInputBytes`;
   * {@link GameError} if the game throws.
   */
  tick(localInput?: Uint8Array): TickResult {
    this.scheduleLocalInput(localInput ?? EMPTY_INPUT);
    const resimulated = this.resolveRollback();
    // No input arrives during the rest of this call, so this holds until it returns.
    const complete = this.inputsCompleteThrough;

    if (this.#tickNow - complete > this.#maxSpeculation) {
      this.#statsData.stalls++;
      const confirmed = Math.min(complete, this.confirmationCap, this.#tickNow - 1);
      this.emitConfirmedHashes(confirmed);
      const r = this.#stalled;
      r.tick = this.#tickNow;
      r.confirmedTick = confirmed;
      r.rolledBack = resimulated > 0;
      r.rollbackTicks = resimulated;
      return r;
    }

    const simulated = this.#tickNow;
    this.simulate(simulated);
    this.#tickNow = simulated + 1;
    const confirmed = Math.min(complete, this.confirmationCap, simulated);
    if (this.#leavingCount > 0) this.purgeLeftPlayers();
    this.emitConfirmedHashes(confirmed);
    const r = this.#advanced;
    r.tick = simulated;
    r.rolledBack = resimulated > 0;
    r.rollbackTicks = resimulated;
    r.confirmedTick = confirmed;
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // States

  /**
   * The saved state S(tick) and its hash, if still in the history (the last
   * `snapshotHistorySize` ticks up to `currentTick`). Resimulates first if inputs arrived that
   * change it.
   * @param tick - The tick of the state.
   * @returns A copy of the state with its hash, or `undefined`.
   * @throws {@link GameError} if the game throws.
   */
  getSnapshot(tick: Tick): EngineSnapshot | undefined {
    if (!Number.isInteger(tick) || tick < 0 || tick > this.#tickNow) return undefined;
    this.resolveRollback();
    return this.#history.inspect(tick, this.#tickNow, this.#replayTick);
  }

  /**
   * The newest confirmed state S(confirmedTick + 1) and its hash, e.g. to send to a late joiner.
   * @returns A copy of the state with its tick and hash.
   * @throws {@link GameError} if the game throws.
   */
  getConfirmedState(): EngineSnapshot {
    const tick = this.confirmedTick + 1;
    const snapshot = this.getSnapshot(tick);
    if (snapshot === undefined) {
      throw new RbnError('INTERNAL_ERROR', `confirmed state S(${tick}) is not in the history`);
    }
    return snapshot;
  }

  /**
   * State transfer: loads `state` as S(tick) and makes `tick` the current tick. Keeps buffered
   * inputs of ticks `>= tick`, drops every saved state and the remote players' older inputs, and
   * counts every input before `tick` as received. The local player's older inputs stay readable
   * through {@link getInput}: a peer that has not acknowledged them still needs them resent.
   * Players whose leave tick is `<= tick` are forgotten.
   * @param tick - The tick of the state.
   * @param state - A state produced by `game.serialize()`; copied.
   * @throws {@link GameError} if `game.deserialize` or `game.hash` throws;
   * RbnError `'INVALID_ARGUMENT'` for a bad tick.
   */
  loadState(tick: Tick, state: Uint8Array): void {
    checkTick('tick', tick);
    this.startHistoryAt(tick, state);
    this.#tickNow = tick;
    for (const p of this.#sorted) {
      p.buffer.forgetUsedFrom(0);
      p.buffer.dropBefore(tick, p === this.#localPlayer);
    }
    if (this.#leavingCount > 0) this.purgeLeftPlayers();
    this.#changed();
  }

  /**
   * Loads `state` as S(tick) for a tick already simulated and resimulates from it up to
   * {@link currentTick} at once, with the inputs held (predicting missing ones): a rollback whose
   * start state is given. Unlike {@link loadState} the current tick and the inputs stay, so a
   * peer correcting an older state does not fall behind. The saved states are replaced; no
   * rollback goes before `tick` afterwards; hashed ticks from `tick` on are reported again
   * through `onConfirmedHash` from the next `tick()`. Inputs before `tick` count as received.
   * @param tick - From the oldest tick a rollback can restore (the last `snapshotHistorySize`
   * ticks, not before the last {@link loadState}) to `currentTick`.
   * @param state - A state produced by `game.serialize()`; copied.
   * @throws RbnError `'TICK_OUT_OF_RANGE'` outside that range (nothing changes),
   * `'INVALID_ARGUMENT'` for a tick that is not an integer from 0 to 2^31 − 2;
   * {@link GameError} if the game throws.
   */
  loadPastState(tick: Tick, state: Uint8Array): void {
    checkTick('tick', tick);
    const range = `${this.oldestRestorableTick}..${this.#tickNow}`;
    if (tick < this.oldestRestorableTick || tick > this.#tickNow) {
      throw new RbnError('TICK_OUT_OF_RANGE', `loadPastState: tick ${tick} is outside ${range}`);
    }
    this.startHistoryAt(tick, state);
    for (const p of this.#sorted) {
      p.buffer.forgetUsedFrom(0);
      if (p.buffer.receivedTick < tick - 1) p.buffer.dropBefore(tick, p === this.#localPlayer);
    }
    for (let t = tick; t < this.#tickNow; t++) this.simulate(t);
    if (tick < this.#tickNow) this.countRollback(this.#tickNow - tick);
    if (this.#leavingCount > 0) this.purgeLeftPlayers();
    this.#changed();
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Makes `state` the first state S(tick) of a new history, and the game's state. */
  private startHistoryAt(tick: Tick, state: Uint8Array): void {
    this.#history.startAt(tick, state);
    this.#rollbackTo = NEVER;
    this.#nextHashTick = this.firstHashTickFrom(tick);
  }

  private firstHashTickFrom(tick: Tick): Tick {
    const from = Math.max(tick, 1);
    return Math.ceil(from / this.#hashInterval) * this.#hashInterval;
  }

  /** Requests a rollback to `tick` if it was already simulated; checks a state to restore exists. */
  private markRollback(tick: Tick, field: string): void {
    const target = Math.max(tick, this.#history.baseTick);
    if (target >= this.#tickNow || target >= this.#rollbackTo) return;
    if (this.#history.restorableAtOrBefore(target, this.#tickNow) < 0) {
      throw new RbnError(
        'TICK_OUT_OF_RANGE',
        `${field} ${tick} is older than the saved history (oldest restorable tick: ${this.oldestRestorableTick})`,
      );
    }
    this.#rollbackTo = target;
  }

  /**
   * The oldest tick a rollback can restore (the last `snapshotHistorySize` ticks, not before the
   * last {@link loadState}): the oldest tick {@link loadPastState} takes.
   */
  get oldestRestorableTick(): Tick {
    return this.#history.oldestRestorable(this.#tickNow);
  }

  private scheduleLocalInput(input: Uint8Array): void {
    checkInput('localInput', input);
    const local = this.#localPlayer;
    if (local === undefined) return;
    if (input.length > this.#maxInputBytes) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `local input is ${input.length} bytes, more than maxInputBytes (${this.#maxInputBytes})`,
      );
    }
    const buffer = local.buffer;
    this.#complete = undefined;
    const limit = Math.min(buffer.leaveTick, this.#tickNow + this.#aheadWindow);
    const target = this.#tickNow + this.#delay;
    if (target < buffer.joinTick) return; // not in the game yet
    let next = Math.max(buffer.receivedTick + 1, buffer.joinTick);
    if (next <= target) {
      const previous = buffer.get(next - 1) ?? EMPTY_INPUT;
      for (; next < target && next < limit; next++) buffer.put(next, previous);
      if (target < limit) buffer.put(target, input);
      return;
    }
    const last = buffer.get(next - 1);
    if (last !== undefined && sameBytes(last, input)) return;
    if (next < limit) buffer.put(next, input);
    else if (next < buffer.leaveTick) this.#statsData.droppedLocalInputs++;
  }

  /** Performs a pending rollback; returns how many ticks were resimulated. */
  private resolveRollback(): number {
    const target = this.#rollbackTo;
    this.#rollbackTo = NEVER;
    if (target >= this.#tickNow) return 0;
    // S(target) is saved when target was simulated with a prediction; for a join or leave it may
    // not be, then the nearest earlier saved state is restored.
    const from = this.#history.restore(target, this.#tickNow);
    for (let t = from; t < this.#tickNow; t++) this.simulate(t);
    const depth = this.#tickNow - from;
    this.countRollback(depth);
    return depth;
  }

  private countRollback(depth: number): void {
    const stats = this.#statsData;
    stats.rollbacks++;
    stats.resimulatedTicks += depth;
    if (depth > stats.maxRollbackDepth) stats.maxRollbackDepth = depth;
  }

  /**
   * Steps the game through tick `t` (from S(t) to S(t + 1)), predicting missing inputs; S(t) is
   * saved first when a rollback may need it (see `StateHistory.beforeStep`).
   *
   * The one map handed to `step` is brought up to date in the same walk over the players: while
   * the players in the game are the ones the map holds, in order, a value holding the same bytes
   * as the player's input stays (the game reads the map's inputs during `step` only, so which
   * array holds them does not matter, and most inputs repeat) and a changed one overwrites its
   * key's value, which keeps the order and allocates nothing. Otherwise the map is rebuilt.
   */
  private simulate(t: Tick): void {
    const players = this.#sorted;
    const scratch = this.#stepScratch;
    const members = this.#stepMembers;
    const held = this.#stepHeld;
    let count = 0;
    let predicted = false;
    let same = true;
    for (let i = 0; i < players.length; i++) {
      const player = players[i] as Player;
      const buffer = player.buffer;
      if (!buffer.isActiveAt(t)) continue;
      if (!buffer.useReceived(t)) {
        predicted = true;
        const guess = this.#predictor.predict(player.id, t, buffer.latestBefore(t));
        if (guess.length > this.#maxInputBytes) {
          throw new RbnError(
            'INVALID_PREDICTION',
            `inputPredictor returned ${guess.length} bytes for ${player.id} at tick ${t}, more than maxInputBytes (${this.#maxInputBytes})`,
          );
        }
        buffer.setUsed(t, guess);
      }
      if (same && members[count] === player) {
        if (!buffer.usedEquals(t, held[count] as Uint8Array)) {
          const view = buffer.getUsed(t) as Uint8Array;
          this.#stepInputs.set(player.id, view);
          held[count] = view;
        }
      } else {
        same = false;
      }
      scratch[count] = player;
      count++;
    }
    if (!same || count !== members.length || this.#stepInputs.size !== count) {
      this.#rebuildStepInputs(count, t);
    }
    this.#history.beforeStep(t, predicted);
    this.#stepGame(t);
  }

  /** Refills the step map, in order, with the inputs used at `t` by `stepScratch[0..count)`. */
  #rebuildStepInputs(count: number, t: Tick): void {
    const inputs = this.#stepInputs;
    const members = this.#stepMembers;
    const scratch = this.#stepScratch;
    const held = this.#stepHeld;
    inputs.clear();
    members.length = 0;
    for (let k = 0; k < count; k++) {
      const player = scratch[k] as Player;
      const view = player.buffer.getUsed(t) as Uint8Array;
      members.push(player);
      inputs.set(player.id, view);
      held[k] = view;
    }
  }

  /** Steps the game with the step map (timing a sample of steps for `snapshotInterval: 'auto'`). */
  #stepGame(t: Tick): void {
    const cadence = this.#cadence;
    const timed = cadence !== null && cadence.sampleStep();
    const started = timed ? cadence.now() : 0;
    try {
      this.#game.step(this.#stepInputs);
    } catch (error) {
      throw new GameError('step', t, error);
    }
    if (timed) {
      cadence.addStep(cadence.now() - started);
      this.#history.every = cadence.interval;
    }
  }

  /** Steps tick `t` again with the inputs it was last simulated with; false if not buffered. */
  readonly #replayTick = (t: Tick): boolean => {
    const players = this.#sorted;
    let count = 0;
    for (let i = 0; i < players.length; i++) {
      const player = players[i] as Player;
      if (!player.buffer.isActiveAt(t)) continue;
      if (player.buffer.getUsed(t) === undefined) return false;
      this.#stepScratch[count] = player;
      count++;
    }
    // Rare (a hash or snapshot of an unsaved past tick): the map is simply rebuilt.
    this.#rebuildStepInputs(count, t);
    this.#stepGame(t);
    return true;
  };

  private emitConfirmedHashes(confirmed: Tick): void {
    const through = confirmed + 1;
    if (this.#nextHashTick > through) return;
    while (this.#nextHashTick <= through) {
      const tick = this.#nextHashTick;
      this.#nextHashTick += this.#hashInterval;
      const callback = this.onConfirmedHash;
      if (callback === null) continue;
      const saved = this.#history.saved.getHash(tick);
      const hash = saved ?? this.#history.inspect(tick, this.#tickNow, this.#replayTick)?.hash;
      if (hash !== undefined) callback(tick, hash);
    }
  }

  /**
   * Forgets players whose leave is final and out of reach: confirmed, and older than any state a
   * rollback could restore.
   */
  private purgeLeftPlayers(): void {
    const through = Math.min(this.confirmedTick + 1, this.#tickNow - this.#historySize + 1);
    for (let i = this.#sorted.length - 1; i >= 0; i--) {
      const p = this.#sorted[i] as Player;
      const leave = p.buffer.leaveTick;
      if (leave !== NEVER && (leave <= through || leave <= this.#history.baseTick)) this.forget(p);
    }
  }

  /**
   * Records a change to the players, their lifetimes or held inputs beyond the arrival of new
   * ones: bumps {@link version}; {@link inputsCompleteThrough} is recomputed when next read.
   */
  #changed(): void {
    this.#version++;
    this.#complete = undefined;
  }

  /** `players.get(playerId)`, remembering the last answer. */
  private find(playerId: PlayerId): Player | undefined {
    if (playerId === this.#foundId) return this.#found;
    const player = this.#players.get(playerId);
    this.#foundId = playerId;
    this.#found = player;
    return player;
  }

  private forget(player: Player): void {
    // A player that came back under the same id has a newer record in `players`.
    if (this.#players.get(player.id) === player) this.#players.delete(player.id);
    this.#foundId = undefined;
    const index = this.#sorted.indexOf(player);
    if (index >= 0) this.#sorted.splice(index, 1);
    if (player === this.#localPlayer) this.#localPlayer = undefined;
    if (player.buffer.leaveTick !== NEVER) this.#leavingCount--;
    this.#changed();
  }
}
