import type { TestProject } from 'vitest/node';
import { bundlePageScript } from '../src/page-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's one bundle of the browser tests' page side (src/page-bundle.ts). */
    pageScript: string;
  }
}

/**
 * Bundles the page side once for the whole run, for every browser test file
 * (`startBrowserHarness`), instead of one Vite build per file.
 * @param project - The vitest project, to provide the bundle.
 */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('pageScript', await bundlePageScript());
}
