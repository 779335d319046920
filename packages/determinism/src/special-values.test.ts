import { describe, expect, it } from 'vitest';
import { DMath } from './index';
import { ulpDistance } from './test-utils/ulp';

const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 2.5];
const EXTREME = [
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308,
  1e-300,
  2 ** 53,
  1e22,
  1e300,
  -1e300,
  709.78,
  709.79,
  710.5,
  -745.1,
  -745.2,
  1 - 2 ** -53,
  1 + 2 ** -52,
];

const UNARY = [
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'exp',
  'expm1',
  'log',
  'log1p',
  'log2',
  'log10',
  'cbrt',
] as const;

/** Where Math's result is NaN, ±0 or ±Infinity, DMath's must be the same value (sign included). */
function expectSameSpecial(ours: number, theirs: number, label: string, ulps = 1): void {
  if (theirs !== theirs || theirs === 0 || !Number.isFinite(theirs)) {
    expect(Object.is(ours, theirs), `${label}: DMath ${ours}, Math ${theirs}`).toBe(true);
  } else {
    expect(
      ulpDistance(ours, theirs),
      `${label}: DMath ${ours}, Math ${theirs}`,
    ).toBeLessThanOrEqual(ulps);
  }
}

describe('DMath special values', () => {
  it.each(UNARY)(
    '%s gives what Math gives for NaN, ±0, ±Infinity and extreme arguments',
    (name) => {
      const fn = DMath[name];
      for (const x of [...SPECIAL, ...EXTREME])
        expectSameSpecial(fn(x), Math[name](x), `${name}(${x})`);
    },
  );

  it.each(['atan2', 'pow', 'hypot'] as const)(
    '%s follows ECMAScript on every pair of special values',
    (name) => {
      const fn = (x: number, y: number) => DMath[name](x, y);
      const ref = (x: number, y: number) => Math[name](x, y);
      for (const x of [...SPECIAL, ...EXTREME]) {
        for (const y of [...SPECIAL, ...EXTREME])
          // V8's Math.hypot is itself up to 2 ulp off (hypot(3, 2.5)); DMath's is the rounded one.
          expectSameSpecial(fn(x, y), ref(x, y), `${name}(${x}, ${y})`, name === 'hypot' ? 2 : 1);
      }
    },
  );

  it('follows JavaScript, not C, for pow(±1, ±Infinity) and handles odd integer exponents of negatives', () => {
    expect(DMath.pow(1, Infinity)).toBeNaN();
    expect(DMath.pow(-1, -Infinity)).toBeNaN();
    expect(DMath.pow(-8, 1 / 3)).toBeNaN();
    expect(Object.is(DMath.pow(-0, 3), -0)).toBe(true);
    expect(DMath.pow(-0, -3)).toBe(-Infinity);
    expect(DMath.pow(-Infinity, 3)).toBe(-Infinity);
    expect(DMath.pow(NaN, 0)).toBe(1);
  });

  it('hypot takes any number of arguments, Infinity winning over NaN', () => {
    expect(DMath.hypot()).toBe(0);
    expect(DMath.hypot(NaN, Infinity)).toBe(Infinity);
    expect(DMath.hypot(NaN, 1)).toBeNaN();
    expect(DMath.hypot(1, 2, 2)).toBe(3);
    expect(DMath.hypot(1e300, 1e300)).toBe(Math.hypot(1e300, 1e300));
    expect(DMath.hypot(3e-320, 4e-320)).toBe(5e-320);
  });

  it('reduces huge trigonometric arguments exactly (π/2 to more than 1,300 bits)', () => {
    // sin(1e22) and sin(MAX_VALUE), correctly rounded, from 400-digit arithmetic (mpmath).
    expect(DMath.sin(1e22)).toBe(-0.8522008497671888);
    expect(DMath.cos(1e300)).toBe(Math.cos(1e300));
    expect(DMath.sin(Number.MAX_VALUE)).toBe(0.004961954789184062);
  });
});
