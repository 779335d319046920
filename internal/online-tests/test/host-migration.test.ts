// Host migration in browsers: the host's page goes away and the two other pages, connected to
// it only (star), play on in the same room under the successor, over real WebRTC and the
// reference signaling server; a player who comes later joins the new host.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STEP_CAP_MS, startBrowserHarness, type BrowserHarness } from '../src/browser';
import { compareConfirmed } from '../src/driver';
import { NodePeers } from '../src/node-peers';
import {
  confirmedHashes,
  join,
  memberships,
  pageConfirmed,
  progress,
  startGame,
} from '../src/pages';
import { useSignalingServers } from '../src/signaling-server';

const { start } = useSignalingServers();
let harness: BrowserHarness;
const peers = new NodePeers();

beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterEach(async () => {
  await harness.closePages();
  peers.closeAll();
});
afterAll(async () => {
  await harness.close();
});

/** Hang cap of every wait: see {@link STEP_CAP_MS}. */
const CAP_MS = STEP_CAP_MS;
/** The test's time limit: far beyond the sum of its steps on a loaded machine (about 80 s). */
const TEST_MS = 600_000;

/**
 * Polls `condition` (every 100 ms) until it holds; the hang cap names `what` and where the
 * pages were.
 */
async function eventually(
  condition: () => Promise<boolean>,
  what: string,
  pages: readonly Page[],
  capMs = CAP_MS,
): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const at = await Promise.all(pages.map((page) => progress(page).catch(() => 'closed')));
      throw new Error(
        `hang cap: ${what} did not happen within ${capMs} ms (pages at ${JSON.stringify(at)}; node: ${peers.status()})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Settles like `promise`, or rejects after `capMs` naming `what` (a hang cap). */
async function capped<T>(promise: Promise<T>, what: string, capMs = CAP_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`hang cap: ${what} within ${capMs} ms`)), capMs);
  });
  try {
    return await Promise.race([promise, cap]);
  } finally {
    clearTimeout(timer);
  }
}

/** Three pages in one star room (no `?next`), the first hosting; playing, all past tick 120. */
async function threePages(room: string) {
  const server = await start();
  const url = `${server.wsUrl}/${room}`;
  const opened = [await harness.open(), await harness.open(), await harness.open()];
  const pages = opened.map(({ page }) => page);
  // One after another, so the signaling group's order is the slot order.
  for (const [index, page] of pages.entries()) await join(page, url, index);
  await eventually(
    async () => (await progress(pages[0]!)).players === 3,
    'the host page seeing 3 players',
    pages,
  );
  await startGame(pages[0]!);
  await Promise.all(
    pages.map((page, i) => pageConfirmed(page, `page ${i}`, 120, CAP_MS, peers.status)),
  );
  return { url, pages, errors: opened.map(({ errors }) => errors) };
}

/** Both pages confirm `ahead` more ticks and agree on every confirmed hash from `from`. */
async function playOnAndAgree(pages: readonly Page[], ahead: number, from = 1) {
  const at = Math.max(...(await Promise.all(pages.map(progress))).map((p) => p.confirmed));
  await Promise.all(
    pages.map((page, i) => pageConfirmed(page, `page ${i}`, at + ahead, CAP_MS, peers.status)),
  );
  const games = await Promise.all(pages.map(confirmedHashes));
  const result = compareConfirmed(games, from);
  expect(result.to).toBeGreaterThanOrEqual(at + ahead);
  expect(result.missing).toEqual([]);
  expect(result.mismatches).toEqual([]);
  expect(games.flatMap((g) => g.errors)).toEqual([]);
}

/** Waits until both pages saw `hostId` become host (`hostChanged`). */
async function bothSawHostChange(pages: readonly Page[], hostId: string): Promise<void> {
  await eventually(
    async () => {
      const seen = await Promise.all(pages.map(memberships));
      return seen.every((events) =>
        events.some((m) => m.event === 'hostChanged' && m.playerId === hostId),
      );
    },
    `both pages seeing ${hostId} become host`,
    pages,
  );
}

/**
 * The two pages left after the host went: they play 300 more ticks in the same room, agree on
 * every confirmed hash, and the first of them hosts.
 */
async function playingOnUnderSuccessor(
  pages: readonly Page[],
  before: readonly { tick: number; state: number }[],
  roomId: string,
): Promise<void> {
  await playOnAndAgree(pages, 300);
  const after = await Promise.all(pages.map(progress));
  expect(after.map((p) => p.players)).toEqual([2, 2]);
  expect(after.map((p) => p.isHost)).toEqual([true, false]);
  expect(after.map((p) => p.roomId)).toEqual([roomId, roomId]);
  // They played on: each page advanced far past where it was when the host went.
  for (const [i, page] of after.entries()) {
    expect(page.tick).toBeGreaterThan(before[i]!.tick + 300);
    expect(page.state).toBe(before[i]!.state);
  }
}

/**
 * A Node peer joins `url` later: it must find the room through the signaling server, join the
 * new host, and agree with the pages on every tick it confirmed.
 */
async function lateJoinerJoins(url: string, pages: readonly Page[], host: string, roomId: string) {
  const late = await capped(
    peers.join(url, 3, { config: { hashInterval: 30 } }),
    'the late joiner getting into the room (did anyone announce it?)',
  );
  const hostOfLate = [...late.session.players.values()].find((player) => player.isHost);
  expect(hostOfLate?.playerId).toBe(host);
  expect(late.session.roomId).toBe(roomId);
  await eventually(
    async () => (await Promise.all(pages.map(progress))).every((p) => p.players === 3),
    'both pages seeing the late joiner',
    pages,
  );
  const joinedAt = late.session.currentTick;
  await peers.allConfirmed(joinedAt + 300, CAP_MS);
  await Promise.all(
    pages.map((page, i) =>
      pageConfirmed(page, `page ${i + 1}`, joinedAt + 300, CAP_MS, peers.status),
    ),
  );
  const games = [...(await Promise.all(pages.map(confirmedHashes))), late.game];
  const result = compareConfirmed(games, Math.min(...late.game.hashes.keys()));
  expect(result.to).toBeGreaterThanOrEqual(joinedAt + 300);
  expect(result.missing).toEqual([]);
  expect(result.mismatches).toEqual([]);
  expect(late.driver.errors.map((e) => e.message)).toEqual([]);
}

/** Closes the host's page: it says goodbye on its way out (pagehide). */
async function closePage(hostPage: Page): Promise<void> {
  await hostPage.close();
}

/**
 * Kills the host page's renderer: it dies at once, with no pagehide and no goodbye to the
 * session or the server (which keeps naming the dead page its group's host for its resume grace
 * window).
 */
async function crashPage(hostPage: Page): Promise<void> {
  const crashed = new Promise<void>((resolve) => hostPage.once('crash', () => resolve()));
  const cdp = await hostPage.context().newCDPSession(hostPage);
  cdp.send('Page.crash').catch(() => undefined);
  await crashed;
}

describe('host migration through @rbn/online in Chromium', () => {
  it.each([
    ["closing the host's page", 'migrate', closePage],
    ['a killed host page (renderer crashed, no goodbye)', 'killed-host', crashPage],
  ])(
    '%s leaves the other pages playing in the same room; a later joiner joins the new host',
    { timeout: TEST_MS },
    async (_what, room, hostGoes) => {
      const { url, pages } = await threePages(room);
      const [hostPage, first, second] = pages as [Page, Page, Page];
      const oldHost = await progress(hostPage);
      const successor = await progress(first);
      expect(oldHost.isHost).toBe(true);
      const before = await Promise.all([first, second].map(progress));

      await hostGoes(hostPage);

      // The lowest remaining slot (the first guest) takes over, and both pages see it.
      await bothSawHostChange([first, second], successor.playerId);
      await playingOnUnderSuccessor([first, second], before, oldHost.roomId);
      await lateJoinerJoins(url, [first, second], successor.playerId, oldHost.roomId);
    },
  );
});
