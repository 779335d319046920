import { acos, asin, atan, atan2 } from './inverse-trig';
import { exp, expm1, log, log10, log1p, log2 } from './exp-log';
import { cosh, sinh, tanh } from './hyperbolic';
import { pow } from './pow';
import { cbrt, hypot } from './roots';
import { cos, sin, tan } from './trig';

/**
 * Engine-exact replacements for the `Math` functions that JavaScript engines may compute
 * differently (V8, SpiderMonkey and JavaScriptCore each ship their own `sin`, `exp`, `pow`, …).
 * Every function here is built from operations IEEE 754 defines exactly (+ − × ÷, `sqrt`,
 * rounding to integers, comparisons, reading a double's bits, BigInt for huge trigonometric
 * arguments), so it returns the same bits in every engine, on every machine. The accuracy
 * against `Math` is measured in the package's tests and listed in its README (within 1–2 ulp
 * for most functions). The functions of `Math` that are already exact (`sqrt`, `abs`, `floor`,
 * `ceil`, `round`, `trunc`, `sign`, `min`, `max`, `fround`, `imul`, `clz32`) and the constants
 * are included too, so simulation code can use `DMath` for everything.
 *
 * @example
 * ```ts
 * import { DMath } from '@rbn/determinism';
 *
 * const angle = DMath.atan2(dy, dx);
 * vx += speed * DMath.cos(angle);
 * vy += speed * DMath.sin(angle);
 * ```
 */
export const DMath = Object.freeze({
  /** Euler's number e. */
  E: Math.E,
  /** ln 2. */
  LN2: Math.LN2,
  /** ln 10. */
  LN10: Math.LN10,
  /** log₂ e. */
  LOG2E: Math.LOG2E,
  /** log₁₀ e. */
  LOG10E: Math.LOG10E,
  /** π. */
  PI: Math.PI,
  /** √½. */
  SQRT1_2: Math.SQRT1_2,
  /** √2. */
  SQRT2: Math.SQRT2,
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  atan2,
  sinh,
  cosh,
  tanh,
  exp,
  expm1,
  log,
  log1p,
  log2,
  log10,
  pow,
  cbrt,
  hypot,
  /** The square root (IEEE 754 requires it correctly rounded, so `Math.sqrt` is exact). */
  sqrt: Math.sqrt,
  /** The absolute value (exact; `Math.abs`). */
  abs: Math.abs,
  /** Rounds down (exact; `Math.floor`). */
  floor: Math.floor,
  /** Rounds up (exact; `Math.ceil`). */
  ceil: Math.ceil,
  /** Rounds to the nearest integer, halves up (exact; `Math.round`). */
  round: Math.round,
  /** Drops the fraction (exact; `Math.trunc`). */
  trunc: Math.trunc,
  /** The sign: −1, ±0, 1 or NaN (exact; `Math.sign`). */
  sign: Math.sign,
  /** The smallest argument (exact; `Math.min`). */
  min: Math.min,
  /** The largest argument (exact; `Math.max`). */
  max: Math.max,
  /** Rounds to the nearest single-precision float (exact; `Math.fround`). */
  fround: Math.fround,
  /** 32-bit integer multiplication (exact; `Math.imul`). */
  imul: Math.imul,
  /** Leading zero bits of a 32-bit integer (exact; `Math.clz32`). */
  clz32: Math.clz32,
});

/** The type of {@link DMath}. */
export type DMathFunctions = typeof DMath;
