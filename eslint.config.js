// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { tsImport } from 'tsx/esm/api';

// The determinism rule set from its TypeScript source (through tsx), so linting needs no build.
/** @type {typeof import('./packages/determinism/src/eslint.ts')} */
const { simulationConfig } = await tsImport(
  './packages/determinism/src/eslint.ts',
  import.meta.url,
);

/**
 * Packages a library may not import, enforcing protocol ← core ← session; transports → protocol;
 * online → everything.
 */
const forbidden = {
  protocol: ['@rbn/core', '@rbn/session', '@rbn/transport-*'],
  core: ['@rbn/session', '@rbn/transport-*'],
  session: ['@rbn/transport-*'],
  'transport-local': ['@rbn/core', '@rbn/session', '@rbn/transport-*'],
  'transport-transform': ['@rbn/core', '@rbn/session', '@rbn/transport-*'],
  'transport-webrtc': ['@rbn/core', '@rbn/session', '@rbn/transport-*'],
  determinism: ['@rbn/*'],
  // The top of the stack: may use every library, never the (Node-only) signaling server.
  online: ['@rbn/signaling'],
};

/** Third-party packages that belong to exactly one library, by the folder of that library. */
const exclusive = { pako: 'transport-transform', 'simple-peer': 'transport-webrtc' };

/** Node built-ins are not allowed in library code: every package runs in browsers too. */
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'crypto', 'events', 'buffer', 'util', 'stream'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '**/.tsbuild/**',
      '**/coverage/**',
      'docs-html/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  ...Object.entries(forbidden).map(([pkg, patterns]) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    // Tests and their helpers (never shipped) may use the packages a library lists as devDependencies.
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: patterns.filter((p) => p !== `@rbn/${pkg}`),
              message: `@rbn/${pkg} may not depend on this package (see docs/architecture.md, Packages: protocol ← core ← session; transports depend only on protocol).`,
            },
            {
              group: nodeBuiltins,
              message: 'Library code runs in browsers: no Node built-ins.',
            },
          ],
        },
      ],
    },
  })),
  // pako and simple-peer stay in their transport: every other library's code (tests too) reaches
  // them only through that transport, so no second copy of either ends up in a game's bundle.
  // One block per set of files (a later block's options for the same rule replace earlier ones).
  ...[
    {
      files: ['packages/*/src/**/*.ts'],
      ignores: Object.values(exclusive).map((o) => `packages/${o}/**`),
    },
    ...Object.values(exclusive).map((owner) => ({
      files: [`packages/${owner}/src/**/*.ts`],
      owner,
    })),
  ].map(({ owner, ...target }) => ({
    ...target,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: Object.entries(exclusive)
            .filter(([, o]) => o !== owner)
            .map(([dependency, o]) => ({
              group: [dependency, `${dependency}/*`],
              message: `${dependency} belongs to @rbn/${o} only.`,
            })),
        },
      ],
    },
  })),
  {
    // Walls (one concept per file, functions readable in one sitting): warnings, so that a
    // file or function that grows past them is seen in review without failing the build.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-utils/**', '**/testing/**'],
    rules: {
      'max-lines': ['warn', { max: 600, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-params': ['warn', { max: 5 }],
    },
  },
  {
    // The engine owns no clock, timer or randomness (docs/architecture.md, The engine): the caller drives it.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'packages/core/src/test-utils/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...[
          'Date',
          'performance',
          'setTimeout',
          'setInterval',
          'setImmediate',
          'queueMicrotask',
          'crypto',
        ].map((name) => ({ name, message: '@rbn/core owns no clock, timer or randomness.' })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: '@rbn/core owns no randomness.' },
      ],
    },
  },
  // The demo's simulation must compute the same bits in every engine (issue 19).
  simulationConfig({ files: ['apps/demo/src/game/**/*.ts'], ignores: ['**/*.test.ts'] }),
  // DMath itself is held to the same rules: it is built from IEEE-exact operations only.
  simulationConfig({
    files: ['packages/determinism/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-utils/**'],
  }),
);
