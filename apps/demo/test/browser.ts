import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium, watchPageErrors } from '@rbn/test-browser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemoServer } from '../server/server';
import type { DemoServer } from '../server/server';
import { startSignaling } from '../server/signaling';
import type { SignalingServer } from '@rbn/signaling';
import { DEMO_DIR, buildDemo } from './demo-build';
import type { DemoBuild } from './demo-build';

export { DEMO_DIR };

/** Where screenshots of the browser tests go (gitignored). */
export const RESULTS_DIR = join(DEMO_DIR, 'test-results');

/**
 * Runs a test body, then screenshots the pages it registered with `shoot` into
 * `test-results/<name>.png` in a `finally`, so a failing run keeps its artifacts too.
 * @param body - The test; `shoot(page, name)` registers a page to screenshot at the end.
 * @returns What the body returned; the body's error if it threw (a failed screenshot is only
 * logged, it never hides the body's outcome).
 */
export async function withScreenshots<T>(
  body: (shoot: (page: Page, name: string) => void) => Promise<T>,
): Promise<T> {
  const shots: [Page, string][] = [];
  try {
    return await body((page, name) => shots.push([page, name]));
  } finally {
    for (const [page, name] of shots) {
      const path = join(RESULTS_DIR, `${name}.png`);
      await page.screenshot({ path }).catch((error: unknown) => {
        console.warn(`screenshot ${path} failed: ${String(error)}`);
      });
    }
  }
}

/** A production build served with signaling, and a browser to drive it. */
export interface Harness {
  url: string;
  /** The folder of the production build being served. */
  outDir: string;
  /** Warnings Vite printed while building. */
  buildWarnings: string[];
  browser: Browser;
  /**
   * Opens a fresh context (its own storage) on a path of the demo (or on an absolute URL),
   * collecting console errors.
   */
  open(pathOrUrl: string): Promise<{ page: Page; context: BrowserContext; errors: string[] }>;
  /** Closes every page opened so far (between tests: a page left open keeps its game running). */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves a production build of the demo with the real signaling server on a free 127.0.0.1
 * port, and launches Debian's Chromium.
 * @param shared - The run's build (`inject('demoBuild')` in a test, see test/global-setup.ts);
 * without it the harness builds the demo itself and deletes that build when it closes.
 * @returns The harness.
 */
export async function startHarness(shared?: DemoBuild): Promise<Harness> {
  const { outDir, warnings: buildWarnings } = shared ?? (await buildDemo());
  const ownBuild = shared === undefined;
  await mkdir(RESULTS_DIR, { recursive: true });
  let signaling: SignalingServer | undefined;
  let server: DemoServer | undefined;
  let browser: Browser | undefined;
  try {
    signaling = await startSignaling({ shutdownTimeoutMs: 500 });
    server = await startDemoServer({
      root: outDir,
      port: 0,
      signalingPort: signaling.port,
    });
    browser = await launchChromium();
  } catch (error) {
    await browser?.close();
    await server?.close();
    await signaling?.close();
    if (ownBuild) await rm(outDir, { recursive: true, force: true });
    throw error;
  }
  const contexts: BrowserContext[] = [];
  const url = server.url;
  const liveBrowser = browser;
  return {
    url,
    outDir,
    buildWarnings,
    browser: liveBrowser,
    async open(pathOrUrl) {
      const context = await liveBrowser.newContext({ viewport: { width: 1280, height: 1000 } });
      contexts.push(context);
      const page = await context.newPage();
      const errors = watchPageErrors(page);
      await page.goto(new URL(pathOrUrl, url).href);
      return { page, context, errors };
    },
    async closePages() {
      for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
    },
    async close() {
      for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
      await liveBrowser.close();
      await server.close();
      await signaling?.close();
      if (ownBuild) await rm(outDir, { recursive: true, force: true });
    },
  };
}
