import { dd } from './internal/float';
import { reducePio2 } from './internal/reduce-pio2';

// Taylor coefficients of sin and cos, each rounded once by an exact IEEE division.
const S3 = -1 / 6;
const S5 = 1 / 120;
const S7 = -1 / 5040;
const S9 = 1 / 362880;
const S11 = -1 / 39916800;
const S13 = 1 / 6227020800;
const S15 = -1 / 1307674368000;
const S17 = 1 / 355687428096000;
const S19 = -1 / 121645100408832000;
const C4 = 1 / 24;
const C6 = -1 / 720;
const C8 = 1 / 40320;
const C10 = -1 / 3628800;
const C12 = 1 / 479001600;
const C14 = -1 / 87178291200;
const C16 = 1 / 20922789888000;
const C18 = -1 / 6402373705728000;
const C20 = 1 / 2432902008176640000;

/** sin(x + y) for |x| ≤ π/4 and |y| ≤ ulp(x): Taylor through x^19 (truncation < 2^-70). */
function sinKernel(x: number, y: number): number {
  const z = x * x;
  const tail = S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * (S17 + z * S19))))));
  return x + (y * (1 - 0.5 * z) + z * x * (S3 + z * tail));
}

/** cos(x + y) for |x| ≤ π/4 and |y| ≤ ulp(x): Taylor through x^20, with 1 − x²/2 kept exact. */
function cosKernel(x: number, y: number): number {
  const z = x * x;
  const hz = 0.5 * z;
  const w = 1 - hz;
  const tail =
    C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * (C18 + z * C20)))))));
  return w + (1 - w - hz + (z * z * tail - x * y));
}

/**
 * The sine.
 * @param x - An angle in radians.
 * @returns sin x: NaN for NaN and ±Infinity, ±0 for ±0.
 */
export function sin(x: number): number {
  if (x === 0 || x !== x) return x;
  if (x === Infinity || x === -Infinity) return NaN;
  const k = reducePio2(x);
  const r = dd.hi;
  const rl = dd.lo;
  switch (k) {
    case 0:
      return sinKernel(r, rl);
    case 1:
      return cosKernel(r, rl);
    case 2:
      return -sinKernel(r, rl);
    default:
      return -cosKernel(r, rl);
  }
}

/**
 * The cosine.
 * @param x - An angle in radians.
 * @returns cos x: NaN for NaN and ±Infinity, 1 for ±0.
 */
export function cos(x: number): number {
  if (x !== x || x === Infinity || x === -Infinity) return NaN;
  const k = reducePio2(x);
  const r = dd.hi;
  const rl = dd.lo;
  switch (k) {
    case 0:
      return cosKernel(r, rl);
    case 1:
      return -sinKernel(r, rl);
    case 2:
      return -cosKernel(r, rl);
    default:
      return sinKernel(r, rl);
  }
}

/**
 * The tangent.
 * @param x - An angle in radians.
 * @returns tan x: NaN for NaN and ±Infinity, ±0 for ±0.
 */
export function tan(x: number): number {
  if (x === 0 || x !== x) return x;
  if (x === Infinity || x === -Infinity) return NaN;
  const k = reducePio2(x);
  const r = dd.hi;
  const rl = dd.lo;
  const s = sinKernel(r, rl);
  const c = cosKernel(r, rl);
  return (k & 1) === 0 ? s / c : -c / s;
}
