// What the cross-engine test runs in every engine (Node, Chromium, Firefox): the demo game's
// scripted replay, hashed after every tick, and a sweep of DMath and of plain Math over the
// same arguments, each function's results hashed bit for bit. Bundled for the browsers by
// cross-engine.test.ts; it must only use what every engine has.
import { DMath, createRandom } from '@rbn/determinism';
import type { Random } from '@rbn/determinism';
import { replayHashes } from '../src/game/replay';

/** Arguments per function in the sweep. */
export const SWEEP_SIZE = 4000;
/** Ticks of the replay. */
export const REPLAY_TICKS = 900;
const REPLAY_SEED = 19;
const REPLAY_PLAYERS = ['amy', 'bo', 'cy', 'di'] as const;

/** What one engine computed. */
export interface ProbeResult {
  /** The arena's hash after each tick of the scripted replay. */
  replay: number[];
  /** Per sweep: FNV-1a over the bits of every DMath result, as hex. */
  dmath: Record<string, string>;
  /** The same for plain Math over the same arguments. */
  math: Record<string, string>;
}

type Fn = (x: number, y: number) => number;

/** Argument generators built from exact operations only, so every engine sweeps the same. */
const wide = (r: Random) => (r.nextFloat() - 0.5) * 2000;
const unit = (r: Random) => r.nextFloat() * 2 - 1;
const positive = (r: Random) => r.nextFloat() * 1000 + 1e-9;

/**
 * Each sweep: a label, the function, its two arguments (the second ignored by unary
 * functions). Huge trigonometric arguments take DMath's BigInt reduction path.
 */
const SWEPT: [
  label: string,
  name: keyof typeof DMath & keyof typeof Math,
  (r: Random) => [number, number],
][] = [
  ['sin', 'sin', (r) => [wide(r), 0]],
  ['sin (huge)', 'sin', (r) => [wide(r) * 1e297, 0]],
  ['cos', 'cos', (r) => [wide(r), 0]],
  ['cos (huge)', 'cos', (r) => [wide(r) * 1e12, 0]],
  ['tan', 'tan', (r) => [wide(r), 0]],
  ['asin', 'asin', (r) => [unit(r), 0]],
  ['acos', 'acos', (r) => [unit(r), 0]],
  ['atan', 'atan', (r) => [wide(r), 0]],
  ['atan2', 'atan2', (r) => [wide(r), wide(r)]],
  ['sinh', 'sinh', (r) => [wide(r) / 50, 0]],
  ['cosh', 'cosh', (r) => [wide(r) / 50, 0]],
  ['tanh', 'tanh', (r) => [wide(r) / 200, 0]],
  ['exp', 'exp', (r) => [wide(r) / 3, 0]],
  ['expm1', 'expm1', (r) => [wide(r) / 100, 0]],
  ['log', 'log', (r) => [positive(r), 0]],
  ['log1p', 'log1p', (r) => [positive(r) - 0.9, 0]],
  ['log2', 'log2', (r) => [positive(r), 0]],
  ['log10', 'log10', (r) => [positive(r), 0]],
  ['pow', 'pow', (r) => [positive(r) / 100, wide(r) / 20]],
  ['pow (integer)', 'pow', (r) => [wide(r) / 100, r.nextInt(40) - 20]],
  ['cbrt', 'cbrt', (r) => [wide(r), 0]],
  ['hypot', 'hypot', (r) => [wide(r), wide(r)]],
];

/** FNV-1a over the 8 bytes of each double, as 8 hex digits. */
function digest(values: Float64Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Runs one library's functions over the sweeps; returns each sweep's digest, by label. */
function sweep(lib: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const results = new Float64Array(SWEEP_SIZE);
  for (const [index, [label, name, args]] of SWEPT.entries()) {
    const random = createRandom(0x5eed + index);
    const fn = lib[name] as Fn;
    for (let i = 0; i < SWEEP_SIZE; i++) {
      const [x, y] = args(random);
      results[i] = fn(x, y);
    }
    out[label] = digest(results);
  }
  return out;
}

/**
 * Runs the whole probe.
 * @returns The replay's hashes and the sweeps' digests.
 */
export function runProbe(): ProbeResult {
  return {
    replay: replayHashes(REPLAY_SEED, REPLAY_TICKS, REPLAY_PLAYERS),
    dmath: sweep(DMath),
    // Plain Math on purpose: the test shows the engines disagree on it.
    math: sweep(Math as unknown as Record<string, unknown>),
  };
}
