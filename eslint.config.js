// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
  // The top of the stack: may use every library, never the (Node-only) signaling server.
  online: ['@rbn/signaling'],
};

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
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: patterns.filter((p) => p !== `@rbn/${pkg}`),
              message: `@rbn/${pkg} may not depend on this package (see BRIEF §1: protocol ← core ← session; transports depend only on protocol).`,
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
  {
    // The engine owns no clock, timer or randomness (BRIEF §2): the caller drives it.
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
);
