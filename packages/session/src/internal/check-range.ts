import { RbnError } from '@rbn/protocol';

/**
 * Checks that a setting is a finite number (an integer when asked) within `[min, max]`.
 * @param name - The setting's name, as the error message shows it (e.g. `config.tickRate`).
 * @param value - The value to check.
 * @param min - The smallest allowed value.
 * @param max - The largest allowed value.
 * @param integer - Whether only integers are allowed.
 * @returns The value.
 * @throws RbnError `'INVALID_CONFIG'` naming the setting and its range.
 */
export function checkRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RbnError(
      'INVALID_CONFIG',
      `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}
