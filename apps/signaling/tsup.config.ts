import { libraryConfig } from '../../tooling/tsup.js';

// The app is Node code (its client is @rbn/online): built as plain ESM, no declarations needed.
// `splitting: true` (the shared factory turns it off) keeps `await import('./internal/redis-backend.js')`
// a dynamic import of its own chunk, so the built cli loads ioredis only when REDIS_URL is set;
// without it esbuild inlines that module and hoists `import { Redis } from 'ioredis'` to the top
// of dist/cli.js. test/lazy-redis.test.ts checks the built cli.
export default libraryConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  platform: 'node',
  target: 'node20',
  dts: false,
  splitting: true,
  // The wire types and close codes come from @rbn/online: bundle them from its sources, so the
  // built server runs on a checkout where that library is not built (`pnpm start` builds only
  // this app).
  noExternal: ['@rbn/online'],
  esbuildOptions(options) {
    options.conditions = ['@rbn/source'];
  },
});
