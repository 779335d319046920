import { dd, frexp1, ldexp, twoProd, twoSum } from './internal/float';

/**
 * The cube root.
 * @param x - Any number.
 * @returns ∛x (negative for negative x): NaN for NaN, ±0 for ±0, ±Infinity for ±Infinity;
 * exact for perfect cubes that are doubles.
 */
export function cbrt(x: number): number {
  if (x === 0 || x !== x || x === Infinity || x === -Infinity) return x;
  const ax = Math.abs(x);
  const e = frexp1(ax);
  const q = Math.floor(e / 3);
  const m = dd.hi * (e - 3 * q === 0 ? 1 : e - 3 * q === 1 ? 2 : 4); // in [1, 8)
  // A start within 25% on [1, 8], then six steps of Newton's iteration y ← (2y + m/y²)/3.
  let y = 0.62 + 0.45 * m - 0.03 * m * m;
  for (let i = 0; i < 6; i++) y = (2 * y + m / (y * y)) / 3;
  // One last correction with the residual y³ − m computed exactly.
  twoProd(y, y);
  const sh = dd.hi;
  const sl = dd.lo;
  twoProd(sh, y);
  const residual = dd.hi - m + (dd.lo + sl * y);
  y -= residual / (3 * y * y);
  const r = ldexp(y, q);
  return x < 0 ? -r : r;
}

/**
 * The square root of the sum of squares of the arguments, without overflow or underflow in
 * between.
 * @param values - Any numbers.
 * @returns √(Σ vᵢ²): +Infinity if any argument is ±Infinity (even with a NaN), else NaN if any
 * is NaN, +0 with no arguments.
 */
export function hypot(...values: number[]): number {
  let big = 0;
  let nan = false;
  for (const v of values) {
    const a = Math.abs(v);
    if (a === Infinity) return Infinity;
    if (a !== a) nan = true;
    else if (a > big) big = a;
  }
  if (nan) return NaN;
  if (big === 0) return 0;
  // Scale by a power of two (exact) so the largest value is in [1, 2), then sum the squares
  // as a double-double and take one Newton-corrected square root.
  const shift = -frexp1(big);
  let sh = 0;
  let sl = 0;
  for (const v of values) {
    const s = ldexp(v, shift);
    twoProd(s, s);
    const pl = dd.lo;
    twoSum(sh, dd.hi);
    sh = dd.hi;
    sl += dd.lo + pl;
  }
  const total = sh + sl;
  sl = sh - total + sl;
  sh = total;
  const root = Math.sqrt(sh);
  twoProd(root, root);
  const corrected = root + (sh - dd.hi - dd.lo + sl) / (2 * root);
  return ldexp(corrected, -shift);
}
