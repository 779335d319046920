import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, createLogger } from 'vite';
import { startDemoServer } from '../server/server';
import type { DemoServer } from '../server/server';
import { startSignaling } from '../server/signaling';
import type { SignalingServer } from '@rbn/signaling';

/** The demo package's folder. */
export const DEMO_DIR = fileURLToPath(new URL('..', import.meta.url));
/** Where screenshots of the browser tests go (gitignored). */
export const RESULTS_DIR = join(DEMO_DIR, 'test-results');

/** Chromium flags that work headless, as root, on a closed network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Two pages of one machine must see each other's ICE host candidates as plain addresses.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

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
  close(): Promise<void>;
}

/**
 * Builds the demo with Vite into a temporary folder, serves it with the real signaling server
 * on a free 127.0.0.1 port, and launches Debian's Chromium.
 * @returns The harness.
 */
export async function startHarness(): Promise<Harness> {
  const outDir = await mkdtemp(join(tmpdir(), 'rbn-demo-'));
  const buildWarnings: string[] = [];
  const logger = createLogger('warn');
  const warn = logger.warn.bind(logger);
  logger.warn = (message, options) => {
    buildWarnings.push(message);
    warn(message, options);
  };
  await build({
    root: DEMO_DIR,
    configFile: join(DEMO_DIR, 'vite.config.ts'),
    customLogger: logger,
    build: { outDir, emptyOutDir: true },
  });
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
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (error) {
    await browser?.close();
    await server?.close();
    await signaling?.close();
    await rm(outDir, { recursive: true, force: true });
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
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(new URL(pathOrUrl, url).href);
      return { page, context, errors };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await liveBrowser.close();
      await server.close();
      await signaling?.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
