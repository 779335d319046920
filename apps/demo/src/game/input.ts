/** One player's input for one tick is one byte: a bitmask of these buttons. */
export const Button = {
  Up: 1,
  Down: 2,
  Left: 4,
  Right: 8,
  Dash: 16,
} as const;

/** Every bit a valid input may set. Other bits are ignored by the game. */
export const BUTTON_MASK = 31;

/**
 * Reads the button byte out of an input. An empty input (what a predictor returns before a
 * player's first input arrived) means "nothing pressed".
 * @param input - The player's input bytes for one tick.
 * @returns The button bitmask.
 */
export function buttonsOf(input: Uint8Array | undefined): number {
  return input === undefined || input.length === 0 ? 0 : (input[0] ?? 0) & BUTTON_MASK;
}
