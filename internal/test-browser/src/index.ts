// The one place the browser tests (apps/demo, internal/online-tests) launch Chromium from:
// Debian's build, headless, with flags that work as root on a closed network.
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

/** Where Debian's Chromium lives (`scripts/ensure-system-deps.mjs` installs it). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

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
  // Pages of a test are never in front: keep their timers at full rate.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
];

/**
 * Launches Chromium headless with {@link CHROMIUM_ARGS}. Launch it once per test file and open a
 * fresh context per test: a launch costs far more than a context.
 * @param timeoutMs - How long the launch may take before it fails.
 * @returns The browser; close it when the file is done.
 */
export function launchChromium(timeoutMs = 60_000): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: timeoutMs,
  });
}

/**
 * Collects what a page reports as an error: console errors and uncaught exceptions.
 * @param page - The page to watch, from before it loads anything.
 * @returns The list, filled as the page runs.
 */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}
