import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { packLibraries } from '../src/pack';
import { assertLibrariesBuilt } from '../src/workspace';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Tarball path of every library package, by package name (packed once per run). */
    tarballs: Record<string, string>;
    /** Why the libraries could not be packed (not built yet), or `''`. */
    packError: string;
  }
}

/**
 * Packs every library once for the whole run and hands the tarball paths to the tests. When the
 * libraries are not built, it hands over the reason instead, so only the tests that need the
 * tarballs fail (a root `vitest run` of the other projects is not aborted).
 * @param project - The vitest project, to provide the paths.
 * @returns The teardown, which deletes the tarballs.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'rbn-tarballs-'));
  try {
    assertLibrariesBuilt();
    project.provide('tarballs', Object.fromEntries(packLibraries(dir)));
    project.provide('packError', '');
  } catch (error) {
    project.provide('tarballs', {});
    project.provide('packError', error instanceof Error ? error.message : String(error));
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
