/**
 * One step of mulberry32, a small 32-bit PRNG. The whole generator state is one unsigned 32-bit
 * integer, so it lives inside the game state and rolls back with it.
 *
 * @param state - The current generator state (an unsigned 32-bit integer).
 * @returns `[nextState, value]`, where `value` is an unsigned 32-bit integer.
 * @example
 * ```ts
 * let seed = 42;
 * let value: number;
 * [seed, value] = nextRandom(seed);
 * ```
 */
export function nextRandom(state: number): [state: number, value: number] {
  const next = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(next ^ (next >>> 15), 1 | next);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return [next >>> 0, (t ^ (t >>> 14)) >>> 0];
}
