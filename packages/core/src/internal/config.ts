import { DEFAULT_LIMITS, RbnError, checkTick as checkTickIn } from '@rbn/protocol';
import type { Tick } from '@rbn/protocol';
import type { InputPredictor } from '../game';
import { repeatLastInputPredictor } from '../input-predictors';

/** The largest `inputDelayTicks` the engine accepts. */
export const MAX_INPUT_DELAY_TICKS = 64;

/** Default of `snapshotInterval`: save at most one of three consecutive predicted states. */
export const DEFAULT_SNAPSHOT_INTERVAL = 3;

/** Ticks are non-negative integers below 2^31. */
export const MAX_TICK: Tick = 0x7ffffffe;

/** The inclusive range of each numeric engine setting (integers). */
export const ENGINE_CONFIG_LIMITS = Object.freeze({
  snapshotHistorySize: Object.freeze({ min: 2, max: 1 << 16 }),
  maxSpeculationTicks: Object.freeze({ min: 0, max: 1 << 16 }),
  snapshotInterval: Object.freeze({ min: 1, max: 1 << 16 }),
  hashInterval: Object.freeze({ min: 1, max: MAX_TICK }),
  inputDelayTicks: Object.freeze({ min: 0, max: MAX_INPUT_DELAY_TICKS }),
});

/** The default of each numeric engine setting. */
export const DEFAULT_ENGINE_CONFIG = Object.freeze({
  snapshotHistorySize: 120,
  maxSpeculationTicks: 60,
  snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL,
  hashInterval: 60,
  inputDelayTicks: 0,
});

/** Engine options with every default applied. */
export type ResolvedEngineConfig = {
  snapshotHistorySize: number;
  maxSpeculationTicks: number;
  /** A fixed interval, or `'auto'` (chosen from measured costs). */
  snapshotInterval: number | 'auto';
  hashInterval: number;
  inputDelayTicks: number;
  maxInputBytes: number;
  /** The clock that times `step` and `serialize` for `'auto'`. */
  costClock: () => number;
  inputPredictor: InputPredictor<Uint8Array>;
  startTick: Tick;
};

function invalid(field: string, message: string): RbnError {
  return new RbnError('INVALID_CONFIG', `${field} ${message}`);
}

function integerIn(
  field: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(
      field,
      `must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

/** Validates `inputDelayTicks` (also used by the runtime setter). */
export function checkInputDelay(value: unknown): number {
  const { min, max } = ENGINE_CONFIG_LIMITS.inputDelayTicks;
  return integerIn('inputDelayTicks', value, DEFAULT_ENGINE_CONFIG.inputDelayTicks, min, max);
}

/**
 * Validates a tick argument of a method (the engine reserves `MAX_TICK + 1` as "never"); throws
 * `RbnError` code `'INVALID_ARGUMENT'`.
 */
export function checkTick(name: string, value: unknown): Tick {
  return checkTickIn(name, value, MAX_TICK);
}

/** Validates an input argument; throws `RbnError` code `'INVALID_ARGUMENT'` naming it. */
export function checkInput(name: string, value: unknown): void {
  if (!(value instanceof Uint8Array)) {
    throw new RbnError(
      'INVALID_ARGUMENT',
      `${name} must be a Uint8Array, got ${value === null ? 'null' : typeof value}`,
    );
  }
}

/** Validates a player id argument; throws `RbnError` code `'INVALID_ARGUMENT'`. */
export function checkPlayerId(value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new RbnError(
      'INVALID_ARGUMENT',
      `playerId must be a non-empty string, got ${typeof value === 'string' ? '""' : typeof value}`,
    );
  }
}

/**
 * Applies defaults and validates every field.
 * @throws RbnError code `'INVALID_CONFIG'` naming the field.
 */
export function resolveEngineConfig(config: unknown): ResolvedEngineConfig {
  if (config !== undefined && (typeof config !== 'object' || config === null)) {
    throw invalid('config', 'must be an object');
  }
  const c = (config ?? {}) as Record<string, unknown>;
  const setting = (field: keyof typeof ENGINE_CONFIG_LIMITS): number => {
    const { min, max } = ENGINE_CONFIG_LIMITS[field];
    return integerIn(field, c[field], DEFAULT_ENGINE_CONFIG[field], min, max);
  };
  const snapshotHistorySize = setting('snapshotHistorySize');
  const maxSpeculationTicks = setting('maxSpeculationTicks');
  if (maxSpeculationTicks >= snapshotHistorySize) {
    throw invalid(
      'maxSpeculationTicks',
      `(${maxSpeculationTicks}) must be less than snapshotHistorySize (${snapshotHistorySize}): a rollback may need the state that many ticks back`,
    );
  }
  const snapshotInterval = c.snapshotInterval === 'auto' ? 'auto' : setting('snapshotInterval');
  if (c.costClock !== undefined && typeof c.costClock !== 'function') {
    throw invalid('costClock', 'must be a function returning milliseconds');
  }
  // The engine owns no clock: 'auto' times the game's calls with the caller's.
  if (snapshotInterval === 'auto' && c.costClock === undefined) {
    throw invalid('snapshotInterval', "'auto' needs a costClock to time step and serialize with");
  }
  const costClock = (c.costClock as (() => number) | undefined) ?? stoppedClock;
  const hashInterval = setting('hashInterval');
  const inputDelayTicks = checkInputDelay(c.inputDelayTicks);
  const maxInputBytes = integerIn(
    'maxInputBytes',
    c.maxInputBytes,
    DEFAULT_LIMITS.maxInputBytes,
    0,
    0xffff,
  );
  const startTick = integerIn('startTick', c.startTick, 0, 0, MAX_TICK);
  let inputPredictor = repeatLastInputPredictor;
  if (c.inputPredictor !== undefined) {
    const p = c.inputPredictor;
    if (
      typeof p !== 'object' ||
      p === null ||
      !('predict' in p) ||
      typeof p.predict !== 'function'
    ) {
      throw invalid(
        'inputPredictor',
        'must be an object with a predict(playerId, tick, lastConfirmed) method',
      );
    }
    inputPredictor = p as InputPredictor<Uint8Array>;
  }
  return {
    snapshotHistorySize,
    maxSpeculationTicks,
    snapshotInterval,
    hashInterval,
    inputDelayTicks,
    maxInputBytes,
    inputPredictor,
    startTick,
    costClock,
  };
}

/** The clock of an engine with a fixed snapshot interval (never read). */
function stoppedClock(): number {
  return 0;
}
