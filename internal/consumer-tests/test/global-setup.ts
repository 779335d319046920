import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { packLibraries } from '../src/pack';
import { createRunFolder, sweepInterruptedRuns } from '../src/scratch';
import { assertLibrariesBuilt } from '../src/workspace';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Tarball path of every library package, by package name (packed once per run). */
    tarballs: Record<string, string>;
    /** Why the libraries could not be packed (not built yet), or `''`. */
    packError: string;
    /** This run's folder for temporary files (see src/scratch.ts). */
    scratch: string;
  }
}

/**
 * Packs every library once for the whole run and hands the tarball paths to the tests. When the
 * libraries are not built, it hands over the reason instead, so only the tests that need the
 * tarballs fail (a root `vitest run` of the other projects is not aborted). Every temporary file
 * of the run lives in one folder, deleted by the teardown, or by the next run when this one is
 * interrupted before its teardown.
 * @param project - The vitest project, to provide the paths.
 * @returns The teardown, which deletes the run's folder.
 */
export default function setup(project: TestProject): () => void {
  sweepInterruptedRuns();
  const scratch = createRunFolder();
  project.provide('scratch', scratch);
  const dir = join(scratch, 'tarballs');
  mkdirSync(dir);
  try {
    assertLibrariesBuilt();
    project.provide('tarballs', Object.fromEntries(packLibraries(dir)));
    project.provide('packError', '');
  } catch (error) {
    project.provide('tarballs', {});
    project.provide('packError', error instanceof Error ? error.message : String(error));
  }
  return () => rmSync(scratch, { recursive: true, force: true });
}
