import {
  HALF_PI_HI,
  HALF_PI_LO,
  INV_HALF_PI,
  PIO2_1,
  PIO2_2,
  PIO2_3,
  PIO2_3T,
  TWO_OVER_PI_BITS,
  TWO_OVER_PI_HEX,
} from './constants';
import { dd, frexp1, pow2, twoProd, twoSum } from './float';

/** Below this |x|, Cody–Waite reduction with a 3×33-bit π/2 is exact enough (k < 2^19). */
const CODY_WAITE_LIMIT = 823549.6;

let twoOverPi: bigint | undefined;

/**
 * Reduces x to `k·π/2 + r` with |r| ≤ π/4 (a hair more when rounding ties); writes r as a
 * double-double to `dd` and returns `k mod 4`. Finite x only.
 */
export function reducePio2(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 0.7853981633974483) {
    dd.hi = x;
    dd.lo = 0;
    return 0;
  }
  const k = ax < CODY_WAITE_LIMIT ? codyWaite(ax) : payneHanek(ax);
  if (x < 0) {
    dd.hi = -dd.hi;
    dd.lo = -dd.lo;
    return (4 - k) & 3;
  }
  return k;
}

/** Subtracts k·π/2 in four parts: k × part is exact for the first three parts. */
function codyWaite(ax: number): number {
  const k = Math.round(ax * INV_HALF_PI);
  const t = ax - k * PIO2_1;
  twoSum(t, -k * PIO2_2);
  const hi = dd.hi;
  const lo = dd.lo - k * PIO2_3 - k * PIO2_3T;
  dd.hi = hi + lo;
  dd.lo = hi - dd.hi + lo;
  return k & 3;
}

/**
 * Reduction for huge |x| with exact integer arithmetic: x = M·2^E (M a 53-bit integer) times
 * ⌊2/π·2^B⌋ gives x·2/π to far more than the 53 + 64 bits needed, so the quadrant and the
 * fraction are exact whatever the engine (BigInt arithmetic is exact by definition).
 */
function payneHanek(ax: number): number {
  twoOverPi ??= BigInt(`0x${TWO_OVER_PI_HEX}`);
  const e = frexp1(ax) - 52;
  const mantissa = BigInt(dd.hi * 4503599627370496);
  const product = mantissa * twoOverPi;
  const shift = BigInt(TWO_OVER_PI_BITS - e);
  const one = BigInt(1) << shift;
  let k = Number((product >> shift) & BigInt(3));
  let fraction = product & (one - BigInt(1));
  let negative = false;
  if (fraction >= one >> BigInt(1)) {
    fraction = one - fraction;
    k = (k + 1) & 3;
    negative = true;
  }
  // Keep the top 106 significant bits of the fraction as two 53-bit integers.
  const length = fraction.toString(2).length;
  const drop = length - 106;
  const top = drop > 0 ? fraction >> BigInt(drop) : fraction << BigInt(-drop);
  const scale = drop - Number(shift);
  const a = Number(top >> BigInt(53));
  const b = Number(top & BigInt('0x1fffffffffffff'));
  const fh = a * pow2(53 + scale);
  const fl = b * pow2(scale);
  twoProd(fh, HALF_PI_HI);
  const lo = dd.lo + fh * HALF_PI_LO + fl * HALF_PI_HI;
  const hi = dd.hi;
  dd.hi = negative ? -(hi + lo) : hi + lo;
  dd.lo = negative ? -(hi - (hi + lo) + lo) : hi - (hi + lo) + lo;
  return k;
}
