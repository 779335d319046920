import { libraryConfig } from '../../tooling/tsup.js';

// The app is Node code plus a browser-safe client: built as plain ESM, no declarations needed.
// `splitting: true` (the shared factory turns it off) keeps `await import('./internal/redis-backend.js')`
// a dynamic import of its own chunk, so the built cli loads ioredis only when REDIS_URL is set;
// without it esbuild inlines that module and hoists `import { Redis } from 'ioredis'` to the top
// of dist/cli.js. test/lazy-redis.test.ts checks the built cli.
export default libraryConfig({
  entry: ['src/index.ts', 'src/client.ts', 'src/cli.ts'],
  platform: 'node',
  target: 'node20',
  dts: false,
  splitting: true,
});
