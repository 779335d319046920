// Browser side of the online tests: serves the run's bundle of src/browser-entry.ts (made once
// by test/global-setup.ts, see ./page-bundle.ts) on 127.0.0.1, and launches Debian's Chromium
// headless (@rbn/test-browser).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { launchChromium, watchPageErrors } from '@rbn/test-browser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import type { SignalingServer, SignalingServerOptions } from '@rbn/signaling';
import { NodePeers } from './node-peers';
import { useSignalingServers } from './signaling-server';

/** A served bundle of the page side and a browser. */
export type BrowserHarness = {
  /** Opens the page in a fresh context (its own storage), collecting console errors. */
  open(): Promise<{ page: Page; errors: string[] }>;
  /** Closes every page opened so far. */
  closePages(): Promise<void>;
  close(): Promise<void>;
};

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
 * Serves the run's bundle of the page side and launches Chromium (`/usr/bin/chromium`).
 * @returns The harness; `close()` closes the browser and the server.
 */
export async function startBrowserHarness(): Promise<BrowserHarness> {
  const { server, url } = await serve(inject('pageScript'));
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    server.close();
    throw error;
  }
  const contexts: BrowserContext[] = [];
  return {
    async open() {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const errors = watchPageErrors(page);
      await page.goto(url);
      await page.waitForFunction(() => 'rbnOnline' in globalThis, undefined, { timeout: 60_000 });
      return { page, errors };
    },
    async closePages() {
      for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
    },
    async close() {
      contexts.length = 0;
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Hang cap of each step of a browser test (a wait for ticks, a join, an event): generous, as a
 * loaded 2-core machine runs few frames per second, and well inside a test's own time limit
 * (`testTimeout` of this package in the root vitest config), so a hang is reported by the step it
 * happened in, with where the peers were, rather than by vitest's timeout.
 */
export const STEP_CAP_MS = 90_000;

/** What a browser test file plays with: see {@link useBrowserTestBed}. */
export type BrowserTestBed = {
  /** Starts a signaling server on 127.0.0.1 (closed after the test). */
  start: (options?: SignalingServerOptions) => Promise<SignalingServer>;
  /** The test's Node peers, closed after each test. */
  peers: NodePeers;
  /** Opens pages in the file's one browser. */
  harness: Pick<BrowserHarness, 'open'>;
};

/**
 * Registers the hooks of a browser test file: one bundle and one Chromium for the whole file
 * (started before its first test, closed after its last), signaling servers and Node peers
 * closed after each test.
 * @returns The file's test bed.
 */
export function useBrowserTestBed(): BrowserTestBed {
  const { start } = useSignalingServers();
  const peers = new NodePeers();
  let browser: BrowserHarness | undefined;
  beforeAll(async () => {
    browser = await startBrowserHarness();
  });
  // A page left open keeps its session and game loop running through every later test.
  afterEach(async () => {
    await browser?.closePages();
    peers.closeAll();
  });
  afterAll(async () => {
    await browser?.close();
  });
  const harness = {
    open() {
      if (browser === undefined) throw new Error('the browser is not started (beforeAll failed)');
      return browser.open();
    },
  };
  return { start, peers, harness };
}
