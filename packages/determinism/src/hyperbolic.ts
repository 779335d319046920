import { exp, expm1 } from './exp-log';

/** Beyond this |x|, e^−|x| no longer changes the double result of sinh, cosh or tanh. */
const LARGE = 22;
/** Above this, e^|x| overflows but e^|x| / 2 does not (up to ≈ 710.4758600739439). */
const EXP_LIMIT = 709.7;

/** e^|x| / 2 for |x| ≥ 22, without overflowing early. */
function halfExp(ax: number): number {
  if (ax < EXP_LIMIT) return 0.5 * exp(ax);
  const w = exp(0.5 * ax);
  return 0.5 * w * w;
}

/**
 * The hyperbolic sine.
 * @param x - Any number.
 * @returns sinh x: NaN for NaN, ±0 for ±0, ±Infinity for ±Infinity and beyond ≈ ±710.48.
 */
export function sinh(x: number): number {
  if (x === 0 || x !== x || x === Infinity || x === -Infinity) return x;
  const ax = Math.abs(x);
  let r: number;
  if (ax < LARGE) {
    const e = expm1(ax);
    r = 0.5 * (e + e / (e + 1));
  } else {
    r = halfExp(ax);
  }
  return x < 0 ? -r : r;
}

/**
 * The hyperbolic cosine.
 * @param x - Any number.
 * @returns cosh x: NaN for NaN, 1 for ±0, +Infinity for ±Infinity and beyond ≈ ±710.48.
 */
export function cosh(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax === Infinity) return Infinity;
  if (ax < 0.3465) {
    const e = expm1(ax);
    return 1 + (e * e) / (2 * (1 + e));
  }
  if (ax < LARGE) {
    const t = exp(ax);
    return 0.5 * t + 0.5 / t;
  }
  return halfExp(ax);
}

/**
 * The hyperbolic tangent.
 * @param x - Any number.
 * @returns tanh x in [−1, 1]: NaN for NaN, ±0 for ±0, ±1 for ±Infinity.
 */
export function tanh(x: number): number {
  if (x === 0 || x !== x) return x;
  const ax = Math.abs(x);
  let r: number;
  if (ax < LARGE) {
    const e = expm1(2 * ax);
    r = e / (e + 2);
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}
