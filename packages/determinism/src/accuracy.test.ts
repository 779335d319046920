import { describe, expect, it } from 'vitest';
import { DMath } from './index';
import { ulpDistance } from './test-utils/ulp';

type Unary = 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh' | 'tanh';
type UnaryMore = 'exp' | 'expm1' | 'log' | 'log1p' | 'log2' | 'log10' | 'cbrt';
type Binary = 'atan2' | 'pow' | 'hypot';

const SEED = 0x19;
const SAMPLES = 20_000;

/** A seeded generator of doubles in [0, 1) (a 32-bit LCG: enough to spread samples). */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Largest ulp distance from Math over a sweep, with the worst input for the failure message. */
function sweep(
  ours: (x: number, y: number) => number,
  theirs: (x: number, y: number) => number,
  draw: (random: () => number) => [number, number],
): { max: number; worst: string } {
  const random = uniform(SEED);
  let max = 0;
  let worst = 'none';
  for (let i = 0; i < SAMPLES; i++) {
    const [x, y] = draw(random);
    const d = ulpDistance(ours(x, y), theirs(x, y));
    if (d > max) {
      max = d;
      worst = `(${x}, ${y}): DMath ${ours(x, y)}, Math ${theirs(x, y)}`;
    }
  }
  return { max, worst };
}

const span = (a: number, b: number) => (r: () => number) => a + (b - a) * r();
const logSpan = (a: number, b: number) => (r: () => number) => Math.exp(a + (b - a) * r());

/** Every function, the range swept and the largest ulp distance from Node's Math allowed. */
const unary: [Unary | UnaryMore, (r: () => number) => number, number][] = [
  ['sin', span(-100, 100), 1],
  ['sin', span(-1e22, 1e22), 1],
  ['cos', span(-100, 100), 1],
  ['cos', span(-1e22, 1e22), 1],
  ['tan', span(-10, 10), 2],
  ['asin', span(-1, 1), 1],
  ['acos', span(-1, 1), 1],
  ['atan', span(-10, 10), 1],
  ['atan', logSpan(-700, 700), 1],
  ['sinh', span(-30, 30), 2],
  ['cosh', span(-30, 30), 1],
  ['tanh', span(-5, 5), 3],
  ['exp', span(-745, 709), 1],
  ['expm1', span(-5, 5), 2],
  ['log', logSpan(-740, 709), 1],
  ['log1p', span(-0.999, 4), 1],
  ['log2', logSpan(-740, 709), 1],
  ['log10', logSpan(-740, 709), 1],
  ['cbrt', span(-1e6, 1e6), 1],
];

const binary: [Binary, string, (r: () => number) => [number, number], number][] = [
  ['atan2', 'y, x in [-20, 20]', (r) => [40 * r() - 20, 40 * r() - 20], 1],
  ['hypot', 'x, y in [-20, 20]', (r) => [40 * r() - 20, 40 * r() - 20], 2],
  ['pow', 'x in [0, 10], y in [-20, 20]', (r) => [10 * r(), 40 * r() - 20], 1],
  ['pow', 'x in [-10, 10], y integer in [0, 20]', (r) => [20 * r() - 10, Math.floor(21 * r())], 1],
  ['pow', 'x in [0, 2], y in [-1000, 1000]', (r) => [2 * r(), 2000 * r() - 1000], 1],
];

describe('DMath accuracy against Math (Node)', () => {
  it.each(unary)('%s over a sweep stays within its stated ulps (%#)', (name, draw, ulps) => {
    const { max, worst } = sweep(
      (x) => DMath[name](x),
      (x) => Math[name](x),
      (r) => [draw(r), 0],
    );
    expect(max, `seed ${SEED}, worst ${worst}`).toBeLessThanOrEqual(ulps);
  });

  it.each(binary)('%s with %s stays within its stated ulps', (name, _range, draw, ulps) => {
    const { max, worst } = sweep(
      (x, y) => DMath[name](x, y),
      (x, y) => Math[name](x, y),
      draw,
    );
    expect(max, `seed ${SEED}, worst ${worst}`).toBeLessThanOrEqual(ulps);
  });

  it('is exact where the result is a double: powers, logs of powers, cube roots', () => {
    expect(DMath.pow(3, 2)).toBe(9);
    expect(DMath.pow(10, 15)).toBe(1e15);
    expect(DMath.pow(2, -10)).toBe(1 / 1024);
    expect(DMath.pow(-2, 3)).toBe(-8);
    expect(DMath.pow(4, 0.5)).toBe(2);
    expect(DMath.log2(1024)).toBe(10);
    expect(DMath.log2(2 ** -1074)).toBe(-1074);
    expect(DMath.log10(1000)).toBe(3);
    expect(DMath.log10(1e-5)).toBe(-5);
    expect(DMath.log(1)).toBe(0);
    expect(DMath.exp(0)).toBe(1);
    expect(DMath.cbrt(27)).toBe(3);
    expect(DMath.cbrt(-0.125)).toBe(-0.5);
    expect(DMath.hypot(3, 4)).toBe(5);
    expect(DMath.cos(0)).toBe(1);
    expect(DMath.atan(1)).toBe(Math.PI / 4);
    expect(DMath.atan2(1, -1)).toBe((3 * Math.PI) / 4);
    expect(DMath.acos(-1)).toBe(Math.PI);
    expect(DMath.asin(1)).toBe(Math.PI / 2);
  });
});
