import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';

type ProjectTestOptions = NonNullable<TestProjectInlineConfiguration['test']>;

/**
 * For a project whose test files leave no state behind them (no `vi.mock`, no fake timers, no
 * globals they change; module-level caches only): its files run one after the other in one worker
 * process and share one module graph, instead of a new process per file that loads vitest, the
 * sources and their tools (fast-check, TypeScript, ESLint) again and runs the simulation code
 * cold (session's tests take a third of the CPU time in one warm process; CONTRIBUTING.md, "Where
 * the CPU time goes"). On two cores vitest runs one file at a time anyway. A file that needs
 * `vi.mock` belongs in an isolated project (as transport-transform). vitest 3 takes `isolate` for
 * its process pool from the root config only, hence `singleFork`.
 */
const oneProcess: ProjectTestOptions = {
  poolOptions: { forks: { singleFork: true, isolate: false } },
};

/**
 * Every vitest project of the repo, by folder. The value holds options a project needs beyond
 * the shared ones (a pool, longer timeouts, a setup file); keep each project's entry to itself.
 */
const projects: Record<string, ProjectTestOptions> = {
  'packages/protocol': oneProcess,
  'packages/core': oneProcess,
  'packages/session': oneProcess,
  'packages/transport-local': oneProcess,
  // Isolated: two files replace modules with `vi.mock`, which would not reach a module another
  // file has already loaded.
  'packages/transport-transform': {},
  'packages/transport-webrtc': oneProcess,
  'packages/determinism': oneProcess,
  'packages/online': oneProcess,
  // One bundle of the browser tests' page side for all their files. One worker process and one
  // module graph for all files (they run one at a time anyway on two cores): the Node peers'
  // native WebRTC module (@roamhq/wrtc) is then loaded once and never torn down mid-run. Torn
  // down with a file's process or module context, it can crash the process (a known fault of
  // that module); loaded runs twice ended there, with vitest's "Channel closed"
  // (ERR_IPC_CHANNEL_CLOSED) and no results.
  'internal/online-tests': {
    pool: 'forks',
    poolOptions: { forks: { singleFork: true, isolate: false } },
    globalSetup: ['test/global-setup.ts'],
    // A backstop: every step of a test has its own hang cap (STEP_CAP_MS, 90 s) that names it.
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
  'internal/transport-conformance': {},
  'internal/consumer-tests': {
    ...oneProcess,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
  'apps/signaling': oneProcess,
  // One production build of the demo for all its browser tests.
  'apps/demo': { globalSetup: ['test/global-setup.ts'] },
  bench: oneProcess,
};

export default defineConfig({
  resolve: { conditions: ['@rbn/source'] },
  // Vite 6+ applies `resolve.conditions` to the client environment only; tests run in the SSR
  // environment, so it needs the source condition too (plus Vite's default server conditions).
  ssr: { resolve: { conditions: ['@rbn/source', 'module', 'node', 'development|production'] } },
  test: {
    projects: Object.entries(projects).map(([root, options]) => ({
      extends: true,
      test: {
        name: root.split('/').pop() ?? root,
        // Absolute, so a package's own `vitest run --root ../.. --project <name>` finds its tests.
        root: fileURLToPath(new URL(root, import.meta.url)),
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 30_000,
        // Lets the worker's event loop turn before each test (vitest's 60 s worker RPC limit).
        setupFiles: [fileURLToPath(new URL('tooling/vitest-yield.ts', import.meta.url))],
        ...options,
      },
    })),
  },
});
