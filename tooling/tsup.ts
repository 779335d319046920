import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup configuration every library package builds with:
 * ESM, `.d.ts` and source maps, from `src/index.ts` (plus any extra entries).
 */
export function libraryConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'es2022',
    platform: 'neutral',
    dts: { compilerOptions: { composite: false, customConditions: [] } },
    sourcemap: true,
    clean: true,
    treeshake: true,
    splitting: false,
    ...overrides,
  });
}
