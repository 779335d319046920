import { RbnError } from './errors';

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
