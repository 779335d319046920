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
  }
}

/**
 * Packs every library once for the whole run and hands the tarball paths to the tests.
 * @param project - The vitest project, to provide the paths.
 * @returns The teardown, which deletes the tarballs.
 */
export default function setup(project: TestProject): () => void {
  assertLibrariesBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rbn-tarballs-'));
  project.provide('tarballs', Object.fromEntries(packLibraries(dir)));
  return () => rmSync(dir, { recursive: true, force: true });
}
