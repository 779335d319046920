// Test-side handles on the pages of src/browser-entry.ts: join, progress, hashes, departures,
// and waits that poll the page with hang caps naming where it was.
import type { Page } from 'playwright-core';
import type { PageApi, PageJoinOptions } from './browser-entry';
import { HOST_LOSS_GRACE_MS } from './node-peers';

type Api = { rbnOnline: PageApi };

/** Joins the page's session to `url` as player `index`. */
export function join(page: Page, url: string, index: number, options: PageJoinOptions = {}) {
  const withGrace = { hostLossGraceMs: HOST_LOSS_GRACE_MS, ...options };
  return page.evaluate(([u, i, o]) => (globalThis as unknown as Api).rbnOnline.join(u, i, o), [
    url,
    index,
    withGrace,
  ] as const);
}

/** The page's session state, ticks and stalled frames. */
export function progress(page: Page) {
  return page.evaluate(() => (globalThis as unknown as Api).rbnOnline.progress());
}

/** The members the page saw leave or dropped. */
export function departures(page: Page) {
  return page.evaluate(() => (globalThis as unknown as Api).rbnOnline.departures());
}

/** Makes the page's document read as hidden (or visible again) and fires `visibilitychange`. */
export function setHidden(page: Page, hidden: boolean) {
  return page.evaluate((h) => (globalThis as unknown as Api).rbnOnline.setHidden(h), hidden);
}

/** Stops the page's game loop (`false`), as a hidden page's animation frames stop, or starts it again. */
export function runLoop(page: Page, running: boolean) {
  return page.evaluate((r) => (globalThis as unknown as Api).rbnOnline.runLoop(r), running);
}

/** The page's recorded hashes and confirmed tick, for `compareConfirmed`. */
export async function confirmedHashes(page: Page) {
  const [at, record] = await Promise.all([
    progress(page),
    page.evaluate(() => (globalThis as unknown as Api).rbnOnline.hashes()),
  ]);
  return {
    hashes: new Map(record.hashes),
    confirmed: record.confirmed,
    skipped: new Set(record.skipped),
    revised: record.revised,
    inputs: new Map(record.inputs),
    trace: [`player ${at.playerId.slice(0, 8)} slot ${at.slot}`, ...at.trace],
    errors: at.errors,
  };
}

/**
 * Waits (on the page, re-checked every 100 ms) until it confirmed `tick`; the cap says where
 * it was.
 * @param status - More state for the hang-cap message (the Node peers').
 */
export async function pageConfirmed(
  page: Page,
  name: string,
  tick: number,
  capMs: number,
  status: () => string,
) {
  try {
    await page.waitForFunction(
      (t) => (globalThis as unknown as Api).rbnOnline.progress().confirmed >= t,
      tick,
      { timeout: capMs, polling: 100 },
    );
  } catch (error) {
    const at = await progress(page).catch(() => 'unknown');
    throw new Error(
      `hang cap: ${name} did not confirm tick ${tick} within ${capMs} ms (at ${JSON.stringify(at)}; node: ${status()}): ${String(error)}`,
    );
  }
}

/** Waits (on the page, re-checked every 50 ms) until it saw `playerId` leave or dropped. */
export async function pageSawDeparture(page: Page, name: string, playerId: string, capMs: number) {
  try {
    await page.waitForFunction(
      (id) => (globalThis as unknown as Api).rbnOnline.departures().some((d) => d.playerId === id),
      playerId,
      { timeout: capMs, polling: 50 },
    );
  } catch (error) {
    const at = await progress(page).catch(() => 'unknown');
    throw new Error(
      `hang cap: ${name} did not see ${playerId} leave within ${capMs} ms (at ${JSON.stringify(at)}): ${String(error)}`,
    );
  }
}

/** Starts the page's game (it must host a room without `?next=N`). */
export function startGame(page: Page) {
  return page.evaluate(() => (globalThis as unknown as Api).rbnOnline.start());
}

/** Every membership event the page saw (left, dropped, away, back, hostChanged). */
export function memberships(page: Page) {
  return page.evaluate(() => (globalThis as unknown as Api).rbnOnline.memberships());
}

/**
 * Waits (on the page, re-checked every 50 ms) until it saw `event` (`'playerAway'`,
 * `'playerBack'`, `'playerLeft'`…) for `playerId` at least `times` times.
 */
export async function pageSawEvent(
  page: Page,
  name: string,
  playerId: string,
  event: string,
  capMs: number,
  times = 1,
) {
  try {
    await page.waitForFunction(
      ([id, e, n]) =>
        (globalThis as unknown as Api).rbnOnline
          .memberships()
          .filter((d) => d.playerId === id && d.event === e).length >= n,
      [playerId, event, times] as const,
      { timeout: capMs, polling: 50 },
    );
  } catch (error) {
    const at = await progress(page).catch(() => 'unknown');
    throw new Error(
      `hang cap: ${name} did not see ${event} of ${playerId} within ${capMs} ms (at ${JSON.stringify(at)}): ${String(error)}`,
    );
  }
}

/** Closes every WebRTC connection of the page, as a network drop would; returns how many. */
function dropLinks(page: Page) {
  return page.evaluate(() => (globalThis as unknown as Api).rbnOnline.dropLinks());
}

/**
 * Takes the page offline as a real network drop does: CDP network emulation cuts its HTTP and
 * WebSocket traffic, and its WebRTC links, which emulation does not touch, are closed.
 * @returns How many links it closed, and `online()`, which brings the network back.
 */
export async function goOffline(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const conditions = { latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
  await cdp.send('Network.emulateNetworkConditions', { offline: true, ...conditions });
  const links = await dropLinks(page);
  const online = async (): Promise<void> => {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...conditions });
    await cdp.send('Network.disable');
  };
  return { links, online };
}
