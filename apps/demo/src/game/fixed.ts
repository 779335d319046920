/**
 * Integer helpers for the simulation. Every value the game stores is an integer well inside
 * ±2^53, where JavaScript numbers are exact, so these give the same answer on every machine.
 */

/** Sub-pixel units per pixel: positions and velocities are stored in 1/256 px. */
export const SUB = 256;

/**
 * Integer division rounded toward zero.
 * @param a - Dividend (an integer).
 * @param b - Divisor (a non-zero integer).
 * @returns `a / b` truncated toward zero.
 */
export function idiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/**
 * Integer square root: the largest `r` with `r * r <= n`.
 * @param n - A non-negative integer below 2^53.
 * @returns `floor(sqrt(n))`, computed with integer Newton steps only.
 */
export function isqrt(n: number): number {
  if (n < 2) return n;
  let x = n;
  let y = Math.floor((x + 1) / 2);
  while (y < x) {
    x = y;
    y = Math.floor((x + Math.floor(n / x)) / 2);
  }
  return x;
}

/**
 * Clamps an integer into `[-limit, limit]`.
 * @param value - The value to clamp.
 * @param limit - The largest magnitude allowed (non-negative).
 * @returns The clamped value.
 */
export function clampAbs(value: number, limit: number): number {
  return value > limit ? limit : value < -limit ? -limit : value;
}
