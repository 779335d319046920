import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { buildDemo } from './demo-build';
import type { DemoBuild } from './demo-build';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's one production build of the demo (see test/demo-build.ts). */
    demoBuild: DemoBuild;
  }
}

/**
 * Builds the demo once for the whole run and hands it to the browser tests (`startHarness`).
 * @param project - The vitest project, to provide the build.
 * @returns The teardown, which deletes the build.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const demo = await buildDemo();
  project.provide('demoBuild', demo);
  return () => rm(demo.outDir, { recursive: true, force: true });
}
