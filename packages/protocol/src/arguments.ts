import { RbnError } from './errors';
import { MAX_TICK } from './messages';
import type { Tick } from './messages';

/**
 * Describes a value for an error message about it, short and without dumping its contents:
 * strings quoted, byte arrays and arrays by length, other objects and functions by kind, anything
 * else as `String(value)`.
 * @param value - Any value, usually one a caller passed by mistake.
 * @returns Text such as `"fast"`, `-1`, `NaN`, `null`, `undefined`, `Uint8Array(3)`,
 *   `array(2)`, `an object` or `a function`.
 * @example
 * ```ts
 * throw new RbnError('INVALID_CONFIG', `latency must be >= 0 (got ${describeValue(config.latency)})`);
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/**
 * Throws unless a message handed to a transport is a `Uint8Array`: the check a
 * `TransportAdapter`'s `send` and `broadcast` make before anything is counted, queued or sent,
 * so a caller's mistake fails loudly instead of reaching the wire.
 * @param where - The method being called, for the error message, e.g. `'LocalTransport.send'`.
 * @param message - The value the caller passed as the message.
 * @throws {@link RbnError} with code `'INVALID_ARGUMENT'`: `<where>: message must be a
 *   Uint8Array (got <value>)`, the value described by {@link describeValue}.
 * @example
 * ```ts
 * send(peerId: string, message: Uint8Array, reliable: boolean): void {
 *   assertMessageBytes('MyTransport.send', message);
 *   // … message is a Uint8Array from here on
 * }
 * ```
 */
export function assertMessageBytes(where: string, message: unknown): asserts message is Uint8Array {
  if (!(message instanceof Uint8Array)) {
    throw new RbnError(
      'INVALID_ARGUMENT',
      `${where}: message must be a Uint8Array (got ${describeValue(message)})`,
    );
  }
}

/**
 * Whether two byte arrays hold the same bytes (same length, same values).
 * @param a - One array.
 * @param b - The other.
 * @returns `true` if they are equal byte for byte.
 * @example
 * ```ts
 * if (!sameBytes(received, predicted)) rollBackTo(tick);
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Throws unless `value` is a tick: an integer from 0 to `max`. For the arguments of a library's
 * methods; a decoder checks ticks from the wire itself.
 * @param name - The argument's name, for the error message, e.g. `'joinTick'`.
 * @param value - The value the caller passed.
 * @param max - The largest tick accepted; {@link MAX_TICK} unless the caller reserves it.
 * @returns `value`, typed as a tick.
 * @throws {@link RbnError} with code `'INVALID_ARGUMENT'`: `<name> must be an integer tick from 0
 *   to <max>, got <value>`.
 * @example
 * ```ts
 * const at = checkTick('leaveTick', leaveTick, MAX_TICK - 1);
 * ```
 */
export function checkTick(name: string, value: unknown, max: Tick = MAX_TICK): Tick {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RbnError(
      'INVALID_ARGUMENT',
      `${name} must be an integer tick from 0 to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}
