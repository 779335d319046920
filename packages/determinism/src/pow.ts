import { expDD } from './internal/exp-kernel';
import { logDD } from './internal/log-kernel';
import { dd, twoProd } from './internal/float';

/** Integer exponents up to this size use exact double-double repeated squaring. */
const MAX_SQUARING_EXPONENT = 64;
const BIG = 1e150;
const SMALL = 1e-150;
const HUGE_EXPONENT = 1.8446744073709552e19; // 2^64

/** Whether `y` is an odd integer (|y| < 2^53; larger doubles are all even). */
function isOddInteger(y: number): boolean {
  return Math.trunc(y) === y && Math.abs(y) < 9007199254740992 && y % 2 !== 0;
}

/**
 * x^n for a positive finite x and an integer 1 ≤ n ≤ 64 by squaring in double-double, so the
 * result is correctly rounded in practice (and exact whenever x^n is a double). Returns NaN
 * when an intermediate leaves the range where double-double products are exact.
 */
function powInteger(x: number, n: number): number {
  let rh = 1;
  let rl = 0;
  let bh = x;
  let bl = 0;
  let k = n;
  for (;;) {
    if (k % 2 === 1) {
      twoProd(rh, bh);
      const lo = dd.lo + (rh * bl + rl * bh);
      rh = dd.hi + lo;
      rl = dd.hi - rh + lo;
    }
    k = Math.floor(k / 2);
    if (k === 0) break;
    twoProd(bh, bh);
    const lo = dd.lo + 2 * bh * bl;
    bh = dd.hi + lo;
    bl = dd.hi - bh + lo;
    if (bh > BIG || bh < SMALL) return NaN;
  }
  if (rh > BIG || rh < SMALL) return NaN;
  dd.hi = rh;
  dd.lo = rl;
  return rh;
}

/** x^y for x = ±0 or ±Infinity, as ECMAScript's `**` defines it. */
function powOfZeroOrInfinity(x: number, y: number): number {
  const negativeOdd = (x < 0 || Object.is(x, -0)) && isOddInteger(y);
  const big = x === 0 ? y < 0 : y > 0;
  if (big) return negativeOdd ? -Infinity : Infinity;
  return negativeOdd ? -0 : 0;
}

/**
 * x raised to the power y, with the special values of ECMAScript's `Math.pow` (note
 * `pow(±1, ±Infinity)` is NaN in JavaScript, unlike C).
 * @param x - The base.
 * @param y - The exponent.
 * @returns x^y; a negative x gives NaN unless y is an integer.
 */
export function pow(x: number, y: number): number {
  if (y !== y) return NaN;
  if (y === 0) return 1;
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (y === Infinity || y === -Infinity) {
    if (ax === 1) return NaN;
    return ax > 1 === y > 0 ? Infinity : 0;
  }
  if (ax === 0 || ax === Infinity) return powOfZeroOrInfinity(x, y);
  let negate = false;
  if (x < 0) {
    if (Math.trunc(y) !== y) return NaN;
    negate = isOddInteger(y);
  }
  const r = powPositive(ax, y);
  return negate ? -r : r;
}

/** x^y for a positive finite x and a finite non-zero y. */
function powPositive(x: number, y: number): number {
  if (x === 1) return 1;
  // |log x| ≥ 2^-53 for any other double, so a huge |y| overflows or underflows for certain.
  if (Math.abs(y) > HUGE_EXPONENT) return x > 1 === y > 0 ? Infinity : 0;
  const n = Math.abs(y);
  if (Math.trunc(n) === n && n <= MAX_SQUARING_EXPONENT) {
    const r = powInteger(x, n);
    if (r === r) {
      if (y > 0) return dd.hi + dd.lo;
      // 1 / (hi + lo) with one Newton correction on the double-double denominator.
      const rh = dd.hi;
      const rl = dd.lo;
      const q = 1 / rh;
      twoProd(q, rh);
      return q + q * (1 - dd.hi - dd.lo - q * rl);
    }
  }
  logDD(x);
  const lh = dd.hi;
  const ll = dd.lo;
  twoProd(y, lh);
  const zh = dd.hi;
  const zl = dd.lo + y * ll;
  if (zh > 709.8) return Infinity;
  if (zh < -745.2) return 0;
  return expDD(zh, zl);
}
