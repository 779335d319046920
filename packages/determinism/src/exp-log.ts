import {
  INV_LN10_HI,
  INV_LN10_LO,
  INV_LN2_HI,
  INV_LN2_LO,
  LOG10_2_HI,
  LOG10_2_LO,
} from './internal/constants';
import { EXP_OVERFLOW, EXP_UNDERFLOW, expDD, expm1Kernel, reduceLn2 } from './internal/exp-kernel';
import { dd, pow2, twoProd, twoSum } from './internal/float';
import { logDD, logParts } from './internal/log-kernel';

/**
 * e^x, computed with exact operations only.
 * @param x - Any number.
 * @returns e^x: NaN for NaN, +Infinity above ≈ 709.78, +0 below ≈ −745.13, 1 for ±0.
 */
export function exp(x: number): number {
  if (!(x < EXP_OVERFLOW)) return x !== x ? x : Infinity;
  if (x < EXP_UNDERFLOW) return 0;
  return expDD(x, 0);
}

/**
 * e^x − 1, accurate for x near 0 (where `exp(x) - 1` loses digits).
 * @param x - Any number.
 * @returns e^x − 1: NaN for NaN, ±0 for ±0, −1 for −Infinity, +Infinity above ≈ 709.78.
 */
export function expm1(x: number): number {
  if (x === 0 || x !== x) return x;
  if (!(x < EXP_OVERFLOW)) return Infinity;
  if (x < -40) return -1;
  if (x > -0.34 && x < 0.34) return expm1Kernel(x);
  const k = reduceLn2(x, 0);
  const p = expm1Kernel(dd.hi) + dd.lo * (1 + expm1Kernel(dd.hi));
  if (k > 56) return exp(x) - 1;
  const s = pow2(k);
  // 2^k·(1 + p) − 1 = (2^k − 1) + 2^k·p; 2^k − 1 and 2^k·p are both exact here.
  return s - 1 + s * p;
}

/** Handles the arguments every logarithm treats alike; returns undefined for positive finite x. */
function logSpecial(x: number): number | undefined {
  if (x > 0 && x < Infinity) return undefined;
  if (x === 0) return -Infinity;
  if (x === Infinity) return x;
  return NaN;
}

/**
 * The natural logarithm.
 * @param x - Any number.
 * @returns ln x: NaN for NaN and negative x, −Infinity for ±0, +Infinity for +Infinity.
 */
export function log(x: number): number {
  const special = logSpecial(x);
  if (special !== undefined) return special;
  logDD(x);
  return dd.hi + dd.lo;
}

/**
 * ln(1 + x), accurate for x near 0 (where `log(1 + x)` loses digits).
 * @param x - Any number.
 * @returns ln(1 + x): NaN below −1, −Infinity for −1, ±0 for ±0, +Infinity for +Infinity.
 */
export function log1p(x: number): number {
  if (x === 0 || x !== x || x === Infinity) return x;
  if (x <= -1) return x === -1 ? -Infinity : NaN;
  const u = 1 + x;
  // The rounding error of 1 + x, exactly (Fast2Sum with the larger operand first).
  const c = x < 1 ? x - (u - 1) : 1 - (u - x);
  logDD(u);
  const hi = dd.hi;
  return hi + (dd.lo + c / u);
}

/**
 * The base-2 logarithm; exact integers for powers of two.
 * @param x - Any number.
 * @returns log₂ x, with the special values of {@link log}.
 */
export function log2(x: number): number {
  const special = logSpecial(x);
  if (special !== undefined) return special;
  const e = logParts(x);
  const mh = dd.hi;
  const ml = dd.lo;
  twoProd(mh, INV_LN2_HI);
  const lo = dd.lo + mh * INV_LN2_LO + ml * INV_LN2_HI;
  const ph = dd.hi;
  twoSum(e, ph);
  return dd.hi + (dd.lo + lo);
}

/**
 * The base-10 logarithm.
 * @param x - Any number.
 * @returns log₁₀ x, with the special values of {@link log}.
 */
export function log10(x: number): number {
  const special = logSpecial(x);
  if (special !== undefined) return special;
  const e = logParts(x);
  const mh = dd.hi;
  const ml = dd.lo;
  twoProd(mh, INV_LN10_HI);
  const ph = dd.hi;
  let lo = dd.lo + mh * INV_LN10_LO + ml * INV_LN10_HI;
  twoProd(e, LOG10_2_HI);
  const eh = dd.hi;
  lo += dd.lo + e * LOG10_2_LO;
  twoSum(eh, ph);
  return dd.hi + (dd.lo + lo);
}
