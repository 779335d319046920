// Browser side of the online tests: bundles src/browser-entry.ts with Vite (workspace libraries
// from their sources), serves it on 127.0.0.1, and launches Debian's Chromium headless.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { build, defaultClientConditions } from 'vite';

/** Chromium flags that work headless, as root, on a closed network (as apps/demo's tests). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Two pages of one machine must see each other's ICE host candidates as plain addresses.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // Pages of a test are never in front: keep their timers at full rate.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
];

const ENTRY = fileURLToPath(new URL('./browser-entry.ts', import.meta.url));

/** A served bundle of the page side and a browser. */
export type BrowserHarness = {
  /** Opens the page in a fresh context (its own storage), collecting console errors. */
  open(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
};

/** Bundles the page side with Vite into a temporary folder. */
async function bundle(): Promise<{ dir: string; script: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rbn-online-browser-'));
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
  return { dir, script: await readFile(join(dir, 'entry.js'), 'utf8') };
}

function serve(script: string): Promise<{ server: Server; url: string }> {
  const page =
    '<!doctype html><meta charset="utf-8"><script type="module" src="/entry.js"></script>';
  const server = createServer((request, response) => {
    const isScript = request.url === '/entry.js';
    response.writeHead(200, {
      'content-type': isScript ? 'text/javascript' : 'text/html',
      'cache-control': 'no-store',
    });
    response.end(isScript ? script : page);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    });
  });
}

/**
 * Bundles and serves the page side and launches Chromium (`/usr/bin/chromium`).
 * @returns The harness; `close()` closes the browser, the server and the bundle folder.
 */
export async function startBrowserHarness(): Promise<BrowserHarness> {
  const { dir, script } = await bundle();
  const { server, url } = await serve(script);
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (error) {
    server.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    async open() {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(() => 'rbnOnline' in globalThis, undefined, { timeout: 60_000 });
      return { page, errors };
    },
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
