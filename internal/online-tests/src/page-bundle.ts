// The page side of the browser tests, bundled once per run (test/global-setup.ts).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, defaultClientConditions } from 'vite';

const ENTRY = fileURLToPath(new URL('./browser-entry.ts', import.meta.url));

/**
 * Bundles src/browser-entry.ts with Vite (workspace libraries from their sources).
 * @returns The bundle's one script.
 */
export async function bundlePageScript(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rbn-online-browser-'));
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      resolve: { conditions: ['@rbn/source', ...defaultClientConditions] },
      build: {
        outDir: dir,
        emptyOutDir: true,
        target: 'es2022',
        minify: false,
        lib: { entry: ENTRY, formats: ['es'], fileName: () => 'entry.js' },
      },
    });
    return await readFile(join(dir, 'entry.js'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
