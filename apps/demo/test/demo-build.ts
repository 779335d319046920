// One production build of the demo for every browser test of a run (test/global-setup.ts), so
// the four browser test files do not each run Vite.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createLogger } from 'vite';

/** The demo package's folder. */
export const DEMO_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A production build of the demo. */
export interface DemoBuild {
  /** Its folder (a temporary one). */
  outDir: string;
  /** Warnings Vite printed while building. */
  warnings: string[];
}

/**
 * Builds the demo with Vite into a new temporary folder.
 * @returns The folder and Vite's warnings; the caller deletes the folder.
 */
export async function buildDemo(): Promise<DemoBuild> {
  const outDir = await mkdtemp(join(tmpdir(), 'rbn-demo-'));
  const warnings: string[] = [];
  const logger = createLogger('warn');
  const warn = logger.warn.bind(logger);
  logger.warn = (message, options) => {
    warnings.push(message);
    warn(message, options);
  };
  await build({
    root: DEMO_DIR,
    configFile: join(DEMO_DIR, 'vite.config.ts'),
    customLogger: logger,
    build: { outDir, emptyOutDir: true },
  });
  return { outDir, warnings };
}
