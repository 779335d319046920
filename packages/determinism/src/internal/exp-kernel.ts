import { INV_LN2_HI, LN2_CW_HI, LN2_CW_LO, LN2_CW_LO2 } from './constants';
import { dd, ldexp, pow2 } from './float';

/** Above this, e^x overflows; below {@link EXP_UNDERFLOW}, it underflows to 0. */
export const EXP_OVERFLOW = 709.8;
export const EXP_UNDERFLOW = -745.2;

/** 1/n! for n = 3…14, each rounded once by an exact IEEE division. */
const EXP_TAIL = [
  1 / 6,
  1 / 24,
  1 / 120,
  1 / 720,
  1 / 5040,
  1 / 40320,
  1 / 362880,
  1 / 3628800,
  1 / 39916800,
  1 / 479001600,
  1 / 6227020800,
  1 / 87178291200,
];

/** e^r − 1 for |r| ≤ 0.35 by its Taylor series through r^14 (truncation below 2^-60). */
export function expm1Kernel(r: number): number {
  const z = r * r;
  let tail = 0;
  for (let i = EXP_TAIL.length - 1; i >= 0; i--) tail = tail * r + (EXP_TAIL[i] ?? 0);
  return r + (0.5 * z + z * r * tail);
}

/**
 * Reduces `zhi + zlo` to `k·ln2 + r` with |r| ≤ ln2/2 (Cody–Waite with a 32-bit ln2 head, so
 * `k × head` is exact); writes r to `dd` and returns k.
 */
export function reduceLn2(zhi: number, zlo: number): number {
  const k = Math.round(zhi * INV_LN2_HI);
  const t = zhi - k * LN2_CW_HI;
  const w = k * LN2_CW_LO;
  const rhi = t - w;
  dd.hi = rhi;
  dd.lo = t - rhi - w + (zlo - k * LN2_CW_LO2);
  return k;
}

/** e^(zhi + zlo) for a double-double argument inside the finite range. */
export function expDD(zhi: number, zlo: number): number {
  const k = reduceLn2(zhi, zlo);
  const rhi = dd.hi;
  const rlo = dd.lo;
  const p = expm1Kernel(rhi);
  const m = 1 + (p + rlo * (1 + p));
  return k > 1023 || k < -1021 ? ldexp(m, k) : m * pow2(k);
}
