import { ATAN_HI, ATAN_LO, HALF_PI_HI, HALF_PI_LO, PI_HI, PI_LO } from './internal/constants';
import { dd, pow2, twoProd } from './internal/float';

// Taylor coefficients of atan: (−1)^n / (2n + 1).
const A3 = -1 / 3;
const A5 = 1 / 5;
const A7 = -1 / 7;
const A9 = 1 / 9;
const A11 = -1 / 11;
const A13 = 1 / 13;
const A15 = -1 / 15;
const A17 = 1 / 17;

/**
 * atan(num / den) for 0 ≤ num ≤ den (finite, den > 0, both within 2^±900) as a double-double
 * in `dd`. With c = j/8 the nearest eighth of num/den, atan(num/den) = atan(c) + atan(t),
 * t = (num − c·den) / (den + c·num), |t| ≤ 1/16; the numerator is formed exactly.
 */
function atanRatio(num: number, den: number): void {
  const j = Math.round((8 * num) / den);
  const c = j / 8;
  twoProd(c, den);
  const t = (num - dd.hi - dd.lo) / (den + c * num);
  const z = t * t;
  const tail = A5 + z * (A7 + z * (A9 + z * (A11 + z * (A13 + z * (A15 + z * A17)))));
  const p = t + t * z * (A3 + z * tail);
  const a = ATAN_HI[j] ?? 0;
  const hi = a + p;
  dd.hi = hi;
  dd.lo = a - hi + p + (ATAN_LO[j] ?? 0);
}

/** atan(num/den) in [0, π/2] for finite num, den ≥ 0 not both 0, as a double-double in `dd`. */
function atanQuadrant(num: number, den: number): void {
  let n = num;
  let d = den;
  const big = n > d ? n : d;
  if (big > pow2(900)) {
    n *= pow2(-200);
    d *= pow2(-200);
  } else if (big < pow2(-900)) {
    n *= pow2(200);
    d *= pow2(200);
  }
  if (n <= d) {
    atanRatio(n, d);
    return;
  }
  atanRatio(d, n);
  const hi = HALF_PI_HI - dd.hi;
  dd.lo = HALF_PI_HI - hi - dd.hi + (HALF_PI_LO - dd.lo);
  dd.hi = hi;
}

/**
 * The arctangent.
 * @param x - Any number.
 * @returns atan x in [−π/2, π/2]: NaN for NaN, ±0 for ±0, ±π/2 for ±Infinity.
 */
export function atan(x: number): number {
  if (x === 0 || x !== x) return x;
  const ax = Math.abs(x);
  const r = ax === Infinity ? HALF_PI_HI : (atanQuadrant(ax, 1), dd.hi + dd.lo);
  return x < 0 ? -r : r;
}

/** atan2 when y or x is ±0 or ±Infinity (or NaN), as ECMAScript defines it; else undefined. */
function atan2Special(y: number, x: number): number | undefined {
  if (y !== y || x !== x) return NaN;
  const sign = y < 0 || Object.is(y, -0) ? -1 : 1;
  if (y === 0) return x > 0 || Object.is(x, 0) ? y : sign * PI_HI;
  if (x === 0) return sign * HALF_PI_HI;
  if (y === Infinity || y === -Infinity) {
    if (x === Infinity) return sign * 0.7853981633974483;
    if (x === -Infinity) return sign * 2.356194490192345;
    return sign * HALF_PI_HI;
  }
  if (x === Infinity) return sign * 0;
  if (x === -Infinity) return sign * PI_HI;
  return undefined;
}

/**
 * The angle of the point (x, y) from the positive x axis.
 * @param y - The y coordinate.
 * @param x - The x coordinate.
 * @returns The angle in [−π, π], with the special values of ECMAScript's `Math.atan2`.
 */
export function atan2(y: number, x: number): number {
  const special = atan2Special(y, x);
  if (special !== undefined) return special;
  atanQuadrant(Math.abs(y), Math.abs(x));
  let r: number;
  if (x < 0) {
    const hi = PI_HI - dd.hi;
    r = hi + (PI_HI - hi - dd.hi + (PI_LO - dd.lo));
  } else {
    r = dd.hi + dd.lo;
  }
  return y < 0 ? -r : r;
}

/**
 * The arcsine.
 * @param x - A number in [−1, 1].
 * @returns asin x in [−π/2, π/2]: NaN outside [−1, 1] and for NaN, ±0 for ±0.
 */
export function asin(x: number): number {
  if (x === 0 || x !== x) return x;
  if (x > 1 || x < -1) return NaN;
  return atan2(x, Math.sqrt((1 - x) * (1 + x)));
}

/**
 * The arccosine.
 * @param x - A number in [−1, 1].
 * @returns acos x in [0, π]: NaN outside [−1, 1] and for NaN.
 */
export function acos(x: number): number {
  if (x !== x || x > 1 || x < -1) return NaN;
  return atan2(Math.sqrt((1 - x) * (1 + x)), x);
}
