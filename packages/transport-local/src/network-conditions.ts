import { RbnError, describeValue } from '@rbn/protocol';

/**
 * How a simulated link treats the messages sent over it, in one direction.
 * Loss, duplication and reordering only ever touch unreliable messages.
 */
export type NetworkConditions = {
  /** One-way delay added to every message, in milliseconds. @default 0 */
  latency: number;
  /**
   * Random variation of the delay, in milliseconds: each message waits `latency ± jitter`
   * (uniform, never below 0). Reliable messages stay in order anyway. @default 0
   */
  jitter: number;
  /** Probability in [0, 1] that an unreliable message is lost. @default 0 */
  packetLoss: number;
  /** Probability in [0, 1] that an unreliable message is delivered twice. @default 0 */
  duplication: number;
  /**
   * Probability in [0, 1] that an unreliable message is held back by an extra
   * `1 + U·max(16, latency)` ms, so that messages sent after it overtake it. @default 0
   */
  reorder: number;
};

/** A perfect link: no delay, no loss. */
export const PERFECT_CONDITIONS: Readonly<NetworkConditions> = Object.freeze({
  latency: 0,
  jitter: 0,
  packetLoss: 0,
  duplication: 0,
  reorder: 0,
});

const PROBABILITIES = ['packetLoss', 'duplication', 'reorder'] as const;
const DURATIONS = ['latency', 'jitter'] as const;

/**
 * Checks a partial set of conditions and throws an `RbnError` (`INVALID_CONFIG`) naming the
 * first bad field. Values must be numbers: a string or a boolean is rejected, not coerced.
 * @param conditions - The fields to check.
 * @returns The same object.
 */
export function validateConditions<T extends Partial<NetworkConditions>>(conditions: T): T {
  if (typeof conditions !== 'object' || conditions === null) {
    throw new RbnError(
      'INVALID_CONFIG',
      `LocalTransport: conditions must be an object (got ${conditions === null ? 'null' : typeof conditions})`,
    );
  }
  for (const key of DURATIONS) {
    const value: unknown = conditions[key];
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value >= 0)
    ) {
      throw new RbnError(
        'INVALID_CONFIG',
        `LocalTransport: ${key} must be a finite number of milliseconds >= 0 (got ${describeValue(value)})`,
      );
    }
  }
  for (const key of PROBABILITIES) {
    const value: unknown = conditions[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) {
      throw new RbnError(
        'INVALID_CONFIG',
        `LocalTransport: ${key} must be a probability between 0 and 1 (got ${describeValue(value)})`,
      );
    }
  }
  return conditions;
}

/**
 * Copies only the condition fields that are set (so `undefined` never overwrites a value).
 * @param source - Any object carrying condition fields.
 * @returns The defined condition fields.
 */
export function pickConditions(source: Partial<NetworkConditions>): Partial<NetworkConditions> {
  const out: Partial<NetworkConditions> = {};
  for (const key of [...DURATIONS, ...PROBABILITIES]) {
    const value = source[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
