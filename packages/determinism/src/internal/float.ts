/**
 * Exact building blocks for the DMath functions. Everything here uses only operations IEEE 754
 * defines exactly (+ − × ÷, sqrt, comparisons, reading and writing the bits of a double), so
 * it gives the same bits in every engine.
 */

const bits = new DataView(new ArrayBuffer(8));

/**
 * A double-double result: the value is `hi + lo` with `|lo| ≤ ulp(hi) / 2`. The helpers write
 * into one shared object, so they allocate nothing; read it before the next call.
 */
export const dd = { hi: 0, lo: 0 };

/** Veltkamp's splitter, 2^27 + 1: splits a double into two 26-bit halves. */
const SPLITTER = 134217729;

/**
 * Exact sum: writes `a + b` rounded to `dd.hi` and the rounding error to `dd.lo` (Knuth's
 * TwoSum, valid for any order of magnitudes).
 */
export function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  dd.hi = s;
  dd.lo = a - (s - bb) + (b - bb);
}

/**
 * Exact product: writes `a × b` rounded to `dd.hi` and the rounding error to `dd.lo`
 * (Dekker's product; valid while |a|, |b| < 2^995 and the product does not underflow).
 */
export function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  dd.hi = p;
  dd.lo = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Returns 2^k for an integer `k` in [-1022, 1023], built from its bits. */
export function pow2(k: number): number {
  bits.setUint32(0, (k + 1023) << 20);
  bits.setUint32(4, 0);
  return bits.getFloat64(0);
}

/** Returns `x × 2^k` for any integer `k` (one rounding, at the last step, when subnormal). */
export function ldexp(x: number, k: number): number {
  let y = x;
  let n = k;
  while (n > 1023) {
    y *= pow2(1023);
    n -= 1023;
  }
  while (n < -1022) {
    y *= pow2(-969);
    n += 969;
    if (y === 0) return y;
  }
  return y * pow2(n);
}

/** The high 32 bits of a double (sign, exponent, top 20 bits of the significand). */
function highWord(x: number): number {
  bits.setFloat64(0, x);
  return bits.getUint32(0);
}

/** The low 32 bits of a double's significand. */
function lowWord(x: number): number {
  bits.setFloat64(0, x);
  return bits.getUint32(4);
}

/** Builds a double from its high and low 32-bit words. */
function fromWords(high: number, low: number): number {
  bits.setUint32(0, high >>> 0);
  bits.setUint32(4, low >>> 0);
  return bits.getFloat64(0);
}

/**
 * Splits a positive finite `x` into `m × 2^e` with `m` in [1, 2); writes `m` to `dd.hi` and
 * returns `e`. Subnormals are handled.
 */
export function frexp1(x: number): number {
  let y = x;
  let shift = 0;
  if (y < pow2(-1022)) {
    y *= pow2(54);
    shift = 54;
  }
  const high = highWord(y);
  const e = ((high >>> 20) & 0x7ff) - 1023;
  dd.hi = fromWords((high & 0x000fffff) | 0x3ff00000, lowWord(y));
  return e - shift;
}
