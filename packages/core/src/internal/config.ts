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

/** Engine options with every default applied. */
export type ResolvedEngineConfig = {
  snapshotHistorySize: number;
  maxSpeculationTicks: number;
  snapshotInterval: number;
  hashInterval: number;
  inputDelayTicks: number;
  maxInputBytes: number;
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
  return integerIn('inputDelayTicks', value, 0, 0, MAX_INPUT_DELAY_TICKS);
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
  const snapshotHistorySize = integerIn(
    'snapshotHistorySize',
    c.snapshotHistorySize,
    120,
    2,
    1 << 16,
  );
  const maxSpeculationTicks = integerIn(
    'maxSpeculationTicks',
    c.maxSpeculationTicks,
    60,
    0,
    1 << 16,
  );
  if (maxSpeculationTicks >= snapshotHistorySize) {
    throw invalid(
      'maxSpeculationTicks',
      `(${maxSpeculationTicks}) must be less than snapshotHistorySize (${snapshotHistorySize}): a rollback may need the state that many ticks back`,
    );
  }
  const snapshotInterval = integerIn(
    'snapshotInterval',
    c.snapshotInterval,
    DEFAULT_SNAPSHOT_INTERVAL,
    1,
    1 << 16,
  );
  const hashInterval = integerIn('hashInterval', c.hashInterval, 60, 1, MAX_TICK);
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
  };
}
