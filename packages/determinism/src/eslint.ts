/**
 * ESLint rules for simulation code (the `step`, `serialize`, `deserialize` and `hash` of a
 * rollback game, and everything they call): everything that can make two engines, two
 * machines or two runs compute different states is an error. Core ESLint rules only, so this
 * works with any parser, including typescript-eslint.
 *
 * @example
 * ```js
 * // eslint.config.js
 * import { simulationConfig } from '@rbn/determinism/eslint';
 *
 * export default [
 *   // … your other configs
 *   simulationConfig({ files: ['src/game/**\/*.ts'], ignores: ['**\/*.test.ts'] }),
 * ];
 * ```
 * @packageDocumentation
 */

/** A rule setting as ESLint's flat config accepts it: a severity, then the rule's options. */
export type RuleSetting = readonly ['error' | 'warn', ...unknown[]];

/** An ESLint flat-config object (the subset this module produces). */
export interface SimulationConfig {
  /** The config's name, shown by ESLint's config inspector. */
  name: string;
  /** Glob patterns of the files the rules apply to (all files when absent). */
  files?: string[];
  /** Glob patterns of files to leave out. */
  ignores?: string[];
  /** The rules, by name. */
  rules: Record<string, RuleSetting>;
}

const USE_DMATH = 'engines compute it differently; use DMath from @rbn/determinism.';
const NO_CLOCK = 'simulation code must not read the clock: time comes from the tick count.';

/** The `Math` functions whose result may differ between JavaScript engines. */
export const INEXACT_MATH_FUNCTIONS: readonly string[] = [
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'sinh',
  'cosh',
  'tanh',
  'asinh',
  'acosh',
  'atanh',
  'exp',
  'expm1',
  'log',
  'log1p',
  'log2',
  'log10',
  'pow',
  'cbrt',
  'hypot',
];

/**
 * The rules, by name: no `Math.random`, no clock (`Date`, `performance`), no timers or
 * crypto, no `Math` function that engines compute differently, no `**` (engines may compute it
 * like `Math.pow`), no locale-dependent comparison or formatting, no `for…in`, and no `for…of`
 * straight over `.keys()`, `.values()` or `.entries()` (insertion order, which differs between
 * peers when insertion follows network arrival: sort first).
 */
export const simulationRules: Record<string, RuleSetting> = {
  'no-restricted-globals': [
    'error',
    { name: 'Date', message: NO_CLOCK },
    { name: 'performance', message: NO_CLOCK },
    ...['setTimeout', 'setInterval', 'requestAnimationFrame', 'queueMicrotask'].map((name) => ({
      name,
      message: 'simulation code must not schedule work: the session calls step once per tick.',
    })),
    { name: 'crypto', message: 'use createRandom from @rbn/determinism, seeded by the game.' },
    { name: 'Intl', message: 'locale-dependent: differs between machines.' },
  ],
  'no-restricted-properties': [
    'error',
    {
      object: 'Math',
      property: 'random',
      message: 'not seedable; use createRandom from @rbn/determinism and keep it in the state.',
    },
    ...INEXACT_MATH_FUNCTIONS.map((property) => ({
      object: 'Math',
      property,
      message: `Math.${property}: ${USE_DMATH}`,
    })),
    { property: 'localeCompare', message: 'locale-dependent: compare with < and > instead.' },
    { property: 'toLocaleString', message: 'locale-dependent: differs between machines.' },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "BinaryExpression[operator='**'], AssignmentExpression[operator='**=']",
      message: `** may be computed like Math.pow: ${USE_DMATH} (DMath.pow, or x * x).`,
    },
    {
      selector: 'ForInStatement',
      message: 'for…in: iterate over a sorted list of keys instead.',
    },
    {
      selector:
        'ForOfStatement > CallExpression.right > MemberExpression.callee > Identifier.property[name=/^(keys|values|entries)$/]',
      message:
        'iterates in insertion order, which differs between peers when it follows network arrival: iterate over a sorted array (e.g. [...map.keys()].sort()).',
    },
  ],
};

/**
 * The rules as a named flat-config object for all files; spread it and add `files`, or use
 * {@link simulationConfig}.
 */
export const simulation: SimulationConfig = {
  name: '@rbn/determinism/simulation',
  rules: simulationRules,
};

/** Options of {@link simulationConfig}. */
export interface SimulationConfigOptions {
  /** Glob patterns of the simulation files. */
  files: string[];
  /** Glob patterns to leave out (tests, renderers). */
  ignores?: string[];
}

/**
 * A flat-config object that applies {@link simulationRules} to the given files.
 * @param options - Which files hold simulation code.
 * @returns The config object, to put in the array `eslint.config.js` exports.
 * @example
 * ```js
 * simulationConfig({ files: ['src/game/**\/*.ts'], ignores: ['**\/*.test.ts'] })
 * ```
 */
export function simulationConfig(options: SimulationConfigOptions): SimulationConfig {
  return {
    ...simulation,
    files: [...options.files],
    ...(options.ignores === undefined ? {} : { ignores: [...options.ignores] }),
  };
}
