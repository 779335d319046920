import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_DIR, startHarness, withScreenshots } from './browser';
import type { Harness } from './browser';
import { HANG_MS, waitForDemo } from './demo-page';

let harness: Harness;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  harness = await startHarness(inject('demoBuild'));
}, 90_000);

// Each test's pages close after it: pages left running would slow the next test's on 2 cores.
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
}, 30_000);

afterAll(async () => {
  await harness?.close();
}, 30_000);

type Size = { width: number; height: number; phone: boolean };

/** Opens a URL in a fresh context of the given size whose remembered name is `name`. */
async function openAs(browser: Browser, href: string, name: string, size: Size): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: size.width, height: size.height },
    ...(size.phone ? { hasTouch: true } : {}),
  });
  contexts.push(context);
  await context.addInitScript((n) => localStorage.setItem('rbn-demo-name', n), name);
  return openIn(context, href, `${name} ${size.width}`);
}

/** Opens a URL in a new page of `context` (the same person's browser, name remembered). */
async function openIn(context: BrowserContext, href: string, label: string): Promise<Page> {
  const page = await context.newPage();
  // Warnings too: the session's error events go to console.warn, and they explain a failure.
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      console.warn(`[${label}] ${message.text()}`);
    }
  });
  await page.goto(new URL(href, harness.url).href);
  return page;
}

/**
 * Waits until a toast containing `text` is on screen (or fails naming the toasts seen). Only for
 * a toast that appears right as the page loads (a toast leaves the screen after 6 s: anything a
 * test causes is waited for with {@link logToasts} and {@link waitForLoggedToast}).
 */
async function waitForToast(page: Page, text: string, what: string): Promise<void> {
  try {
    await page.waitForFunction(
      (t) => (window.rbnDemo?.['toasts'] as () => string[])().some((s) => s.includes(t)),
      text,
      { timeout: HANG_MS, polling: 100 },
    );
  } catch (error) {
    const seen = await page
      .evaluate(() => (window.rbnDemo?.['toasts'] as (() => string[]) | undefined)?.())
      .catch((reason: unknown) => String(reason));
    throw new Error(`${what}: no toast "${text}" (seen ${JSON.stringify(seen)}): ${String(error)}`);
  }
}

/**
 * Logs every toast the page shows from now on into `window.toastLog` (toasts leave the screen
 * after a few seconds, and an earlier "is away" must not count for a later one).
 */
async function logToasts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: string[] = [];
    (window as unknown as { toastLog: string[] }).toastLog = log;
    const stack = document.querySelector('.toasts');
    if (!stack) throw new Error('no toast stack on the page');
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          log.push((node as Element).querySelector('span')?.textContent ?? '');
        }
      }
    }).observe(stack, { childList: true });
  });
}

/** Waits until a toast containing `text` was shown since {@link logToasts} (or fails naming those). */
async function waitForLoggedToast(page: Page, text: string, what: string): Promise<void> {
  const log = (): string[] => (window as unknown as { toastLog: string[] }).toastLog;
  try {
    await page.waitForFunction(
      (t) => (window as unknown as { toastLog: string[] }).toastLog.some((s) => s.includes(t)),
      text,
      { timeout: HANG_MS, polling: 100 },
    );
  } catch (error) {
    const seen = await page.evaluate(log).catch((reason: unknown) => String(reason));
    throw new Error(
      `${what}: no toast "${text}" (shown ${JSON.stringify(seen)}): ${String(error)}`,
    );
  }
}

type Seen = { name: string; slot: number; isHost: boolean };

/**
 * Makes a page read as hidden (another tab in front) or visible again and fires
 * `visibilitychange`, which @rbn/online's listener turns into `session.setAway`. Headless
 * Chromium keeps drawing frames, so the page's loop runs on as a throttled tab's would not.
 */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (h ? 'hidden' : 'visible'),
    });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** A condition on a page's player list: the player named `name` is (or is not) marked away. */
function awayIs(name: string, away: boolean): string {
  return `window.rbnDemo.players.some((p) => p.name === ${JSON.stringify(name)} && p.away === ${String(away)})`;
}

/** The room as a page names it, by slot. */
async function roster(page: Page): Promise<Seen[]> {
  const seen = await page.evaluate(() =>
    (window.rbnDemo?.['players'] as Seen[]).map(({ name, slot, isHost }) => ({
      name,
      slot,
      isHost,
    })),
  );
  return seen.sort((a, b) => a.slot - b.slot);
}

/**
 * Waits until both confirmed a tick past what either confirmed by now, and checks both hold the
 * same state there (past it, a page that joined from a state simulated the tick itself: the
 * state's own tick has no hash of its own).
 */
async function sameConfirmedState(a: Page, b: Page, what: string): Promise<void> {
  const now = (page: Page) => page.evaluate(() => window.rbnDemo?.peers[0]?.confirmedGameTick ?? 0);
  const skipped: number[] = [];
  // A page that comes back from a state (marked away while a loaded machine stalled it) has no
  // hash of the ticks it jumped over: then the next tick both pages simulate is compared.
  for (let tries = 0; tries < 5; tries++) {
    const tick = Math.max(await now(a), await now(b)) + 1;
    for (const page of [a, b]) {
      await waitForDemo(page, `window.rbnDemo.peers[0].confirmedGameTick >= ${tick}`, HANG_MS);
    }
    const hashes = await Promise.all(
      [a, b].map((page) => page.evaluate((t) => window.rbnDemo?.hashAt(t), tick)),
    );
    if (hashes[0] === undefined || hashes[1] === undefined) {
      skipped.push(tick);
      continue;
    }
    expect(hashes[1], `${what}: the same confirmed state at game tick ${tick}`).toBe(hashes[0]);
    return;
  }
  expect.fail(`${what}: no game tick both pages simulated (tried ${skipped.join(', ')})`);
}

/** Two pages (Ada hosting, Bob) playing in `href`'s room, at desktop size unless told. */
async function gameOfTwo(href: string, size: Size = DESKTOP): Promise<{ host: Page; guest: Page }> {
  const host = await openAs(harness.browser, href, 'Ada', size);
  await waitForDemo(host, 'window.rbnDemo?.isHost === true', HANG_MS);
  const guest = await openAs(harness.browser, href, 'Bob', size);
  for (const page of [host, guest]) {
    await waitForDemo(page, 'window.rbnDemo?.state === "Playing"', HANG_MS);
  }
  return { host, guest };
}

const DESKTOP: Size = { width: 1366, height: 900, phone: false };

const SIZES: Size[] = [
  { width: 1366, height: 900, phone: false },
  { width: 390, height: 844, phone: true },
];

describe('online journey', () => {
  for (const size of SIZES) {
    const at = `${size.width}×${size.height}`;
    it(`invite by link, names on both pages, host as P1, a toast when the friend leaves, the friend hosting when the host leaves (${at})`, async () => {
      const room = `journey-${size.width}-${Date.now().toString(36)}`;
      const host = await openAs(harness.browser, `/?room=${room}&stun=none`, 'Ada', size);
      await waitForDemo(host, 'window.rbnDemo?.isHost === true', HANG_MS);
      await withScreenshots(async (shoot) => {
        shoot(host, `journey-host-${size.width}`);
        // The invite: a read-only link that fits the screen, a copy button and a QR code.
        const invite = host.locator('.invite').first();
        const href = await invite.locator('input').inputValue();
        expect(href).toContain(`room=${room}`);
        const box = await invite.locator('input').boundingBox();
        expect(box, 'invite field laid out').not.toBeNull();
        expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(size.width + 0.5);
        expect(await invite.locator('button.copy').isVisible()).toBe(true);
        await invite.locator('button.qr-toggle').click();
        const qrWidth = await invite
          .locator('img.qr')
          .evaluate((img) => (img as HTMLImageElement).naturalWidth);
        expect(qrWidth, 'QR code decoded as an image').toBeGreaterThan(40);

        // The friend opens the invite link as is.
        await logToasts(host);
        const guest = await openAs(harness.browser, href, 'Bob', size);
        shoot(guest, `journey-guest-${size.width}`);
        for (const page of [host, guest]) {
          await waitForDemo(page, 'window.rbnDemo?.state === "Playing"', HANG_MS);
        }
        await waitForLoggedToast(host, 'Bob joined', 'the host seeing the friend join');
        // Names everywhere, never peer ids; the host holds slot 0 (P1) on both pages.
        for (const page of [host, guest]) {
          const seen = await roster(page);
          expect(seen.map((p) => p.name).sort()).toEqual(['Ada', 'Bob']);
          expect(seen.find((p) => p.isHost)).toMatchObject({ name: 'Ada', slot: 0 });
        }
        const hostHeading = await host.locator('.controls h2').textContent();
        expect(hostHeading).toMatch(/^You are Ada \(host\) · 2\/2 players · Playing/);
        expect(await guest.locator('.controls h2').textContent()).toMatch(
          /^You are Bob \(player\) · 2\/2 players/,
        );
        const hostPeerId = await host.evaluate(() => window.rbnDemo?.['peerId'] as string);
        expect(hostHeading).not.toContain(hostPeerId);
        if (!size.phone) {
          await host.screenshot({ path: join(DEMO_DIR, 'docs', 'online-journey.png') });
        }

        if (!size.phone) {
          // The friend closes its page: the host is told, by name, that Bob is away and his
          // place kept for a reload; once that time is over, that Bob left.
          await logToasts(host);
          await guest.close({ runBeforeUnload: true });
          await waitForLoggedToast(host, 'Bob is away (their place is kept 20 s)', 'Bob away');
          await waitForLoggedToast(host, 'Bob left', 'the host seeing the friend leave');
          await waitForDemo(
            host,
            'document.querySelector(".controls h2").textContent.includes("1/2 players")',
            HANG_MS,
          );
        } else {
          // The host closes its page: the friend is told, takes over the room and plays on.
          await logToasts(guest);
          await host.close({ runBeforeUnload: true });
          await waitForLoggedToast(guest, 'The host Ada left', 'the friend seeing the host leave');
          await waitForLoggedToast(
            guest,
            'You host the game now',
            'the friend taking over the room',
          );
          await waitForDemo(
            guest,
            'document.querySelector(".controls h2").textContent.includes("(host)")',
            HANG_MS,
          );
          expect(await guest.locator('.controls h2').textContent()).toMatch(/Playing/);
          expect(await guest.locator('.toast-error').count()).toBe(0);
        }
      });
    }, 180_000);
  }

  it('a third visitor to a full ?next=2 link chooses: "Watch this game" watches it, "Start a new game" hosts a new one', async () => {
    const href = `/?room=full-${Date.now().toString(36)}&next=2&stun=none`;
    const { host, guest } = await gameOfTwo(href);
    await withScreenshots(async (shoot) => {
      const watcher = await openAs(harness.browser, href, 'Cy', DESKTOP);
      shoot(watcher, 'journey-group-full');
      const choice = watcher.locator('.group-full');
      await choice.waitFor({ timeout: HANG_MS });
      expect(await choice.locator('h2').textContent()).toBe(
        'This game is already full and playing',
      );
      expect(await choice.locator('button').allTextContents()).toEqual([
        'Watch this game',
        'Start a new game',
      ]);
      await logToasts(host);
      await choice.locator('button[name="watch"]').click();
      await waitForDemo(watcher, 'window.rbnDemo?.state === "Playing"', HANG_MS);
      await waitForLoggedToast(host, 'Cy is watching', 'the host seeing the spectator arrive');
      expect(await watcher.locator('.controls h2').textContent()).toMatch(/^You \(spectator\)/);
      const seen = await watcher.evaluate(() =>
        (window.rbnDemo?.['players'] as { name: string; role: string }[]).map(
          (p) => `${p.name}:${p.role}`,
        ),
      );
      expect(seen.sort()).toEqual(['Ada:Player', 'Bob:Player', 'Cy:Spectator']);
      // Spectating works: the watcher's game advances and matches the players' confirmed state.
      await sameConfirmedState(host, watcher, 'host and spectator');
      await sameConfirmedState(guest, watcher, 'player and spectator');

      // A fourth visitor starts a new game instead: it hosts a group of its own and waits.
      const other = await openAs(harness.browser, href, 'Dee', DESKTOP);
      await other.locator('.group-full button[name="new-game"]').click({ timeout: HANG_MS });
      await waitForDemo(other, 'window.rbnDemo?.isHost === true', HANG_MS);
      expect(await other.locator('.controls h2').textContent()).toMatch(
        /^You are Dee \(host\) · 1\/2 players · Lobby/,
      );
    });
  }, 180_000);

  it('a friend whose tab closed comes back through the invite link in a new tab and plays again as a new player (only the same tab reloaded keeps the place)', async () => {
    const href = `/?room=back-${Date.now().toString(36)}&stun=none`;
    const { host, guest } = await gameOfTwo(href);
    await withScreenshots(async (shoot) => {
      const bobsBrowser = guest.context();
      const oldId = await guest.evaluate(() => window.rbnDemo?.['peerId'] as string);
      // Logged, not read off the screen: a toast is gone after 6 s, and on a loaded machine
      // the waits below can take longer than that after it appeared.
      await logToasts(host);
      await guest.close({ runBeforeUnload: true });
      // His place is kept for a while (a reload would take it back), then he has left.
      await waitForLoggedToast(host, 'Bob left', 'the host seeing the friend leave');

      const back = await openIn(bobsBrowser, href, 'Bob again');
      shoot(back, 'journey-rejoin-guest');
      await waitForDemo(back, 'window.rbnDemo?.state === "Playing"', HANG_MS);
      // Bob is back as a new member of the room (a new peer id), named by his remembered name.
      const backId = await back.evaluate(() => window.rbnDemo?.['peerId'] as string);
      expect(backId).not.toBe(oldId);
      await waitForDemo(
        host,
        `window.rbnDemo.players.some((p) => p.playerId === ${JSON.stringify(backId)})`,
        HANG_MS,
      );
      await waitForLoggedToast(host, 'Bob joined', 'the host seeing the friend come back');
      for (const page of [host, back]) {
        expect((await roster(page)).map((p) => p.name).sort()).toEqual(['Ada', 'Bob']);
      }
      expect(await host.locator('.controls h2').textContent()).toMatch(/2\/2 players · Playing/);
      await sameConfirmedState(host, back, 'the host and the friend back');
    });
  }, 180_000);

  for (const size of SIZES) {
    const at = `${size.width}×${size.height}`;
    it(`a friend's hidden tab shows as away on the host's page and comes back (${at})`, async () => {
      const href = `/?room=away-${size.width}-${Date.now().toString(36)}&stun=none`;
      const { host, guest } = await gameOfTwo(href, size);
      await withScreenshots(async (shoot) => {
        // The game is under way (one second confirmed) when Bob's tab goes to the background.
        await waitForDemo(guest, 'window.rbnDemo.peers[0].confirmedGameTick >= 60', HANG_MS);
        expect(await roster(host)).toHaveLength(2);
        // Under load the host may have marked Bob away for a moment already (a slow start): only
        // what happens from the hide on counts.
        await waitForDemo(host, awayIs('Bob', false), HANG_MS);
        await logToasts(host);
        await logToasts(guest);
        await setHidden(guest, true);
        await waitForLoggedToast(host, 'Bob is away', "the host seeing the friend's tab hidden");
        await waitForDemo(host, awayIs('Bob', true), HANG_MS);
        shoot(host, `journey-away-host-${size.width}`);
        if (!size.phone) {
          // Bob dimmed and "away" on the scoreboard, the "Bob is away" toast: the README's picture.
          await host.screenshot({ path: join(DEMO_DIR, 'docs', 'online-away.png') });
        } else {
          // At phone size the toast fits the screen.
          const box = await host.locator('.toast').last().boundingBox();
          expect(box, 'the away toast laid out').not.toBeNull();
          expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(size.width + 0.5);
        }

        // The host plays on without waiting for Bob: its confirmed ticks keep advancing.
        const from = await host.evaluate(() => window.rbnDemo?.peers[0]?.confirmedGameTick ?? 0);
        await waitForDemo(
          host,
          `window.rbnDemo.peers[0].confirmedGameTick >= ${from + 120}`,
          HANG_MS,
        );
        expect(await host.locator('.controls h2').textContent()).toMatch(/2\/2 players · Playing/);
        await waitForDemo(host, awayIs('Bob', true), HANG_MS);

        // Bob's tab is in front again: the host is told, Bob is no longer marked away.
        await setHidden(guest, false);
        await waitForLoggedToast(host, 'Bob is back', 'the host seeing the friend come back');
        await waitForLoggedToast(guest, 'You are back in the game as P2', 'the friend told');
        await waitForDemo(host, awayIs('Bob', false), HANG_MS);
        expect(await host.locator('.toast-error').count()).toBe(0);
        expect(await guest.locator('.toast-error').count()).toBe(0);

        // Both play on from the same state: past the back tick, their confirmed hashes agree.
        const back = await host.evaluate(() => window.rbnDemo?.peers[0]?.confirmedGameTick ?? 0);
        await waitForDemo(
          host,
          `window.rbnDemo.peers[0].confirmedGameTick >= ${back + 120}`,
          HANG_MS,
        );
        await sameConfirmedState(host, guest, 'the host and the friend back');
        await sameConfirmedState(guest, host, 'the friend back and the host');
      });
    }, 180_000);
  }

  it('a friend who reloads the page mid-game keeps his place: same slot and name, the host sees him away and back (never leave), and both agree', async () => {
    const href = `/?room=reload-${Date.now().toString(36)}&stun=none`;
    const { host, guest } = await gameOfTwo(href);
    await withScreenshots(async (shoot) => {
      await waitForDemo(guest, 'window.rbnDemo.peers[0].confirmedGameTick >= 60', HANG_MS);
      await waitForDemo(host, awayIs('Bob', false), HANG_MS);
      const before = await roster(host);
      const bobId = await guest.evaluate(() => window.rbnDemo?.['peerId'] as string);
      await logToasts(host);

      await guest.reload();
      shoot(guest, 'journey-reload-guest');
      await waitForDemo(guest, 'window.rbnDemo?.state === "Playing"', HANG_MS);
      // The same player in the same place: his peer id, slot and name on both pages.
      expect(await guest.evaluate(() => window.rbnDemo?.['peerId'] as string)).toBe(bobId);
      for (const page of [host, guest]) expect(await roster(page)).toEqual(before);
      // What the pages say: the host saw Bob away and back, never leave or join; Bob is told.
      await waitForLoggedToast(host, 'Bob is away', 'the host seeing the reload');
      await waitForLoggedToast(host, 'Bob is back', 'the host seeing Bob back');
      await waitForToast(guest, 'You are back in the game as P2', 'Bob told he kept his place');
      const shown = await host.evaluate(
        () => (window as unknown as { toastLog: string[] }).toastLog,
      );
      expect(shown.filter((t) => t.includes('left') || t.includes('joined'))).toEqual([]);
      expect(await host.locator('.controls h2').textContent()).toMatch(/2\/2 players · Playing/);
      expect(await guest.locator('.controls h2').textContent()).toMatch(
        /^You are Bob \(player\) · 2\/2 players · Playing/,
      );
      expect(await host.locator('.toast-error').count()).toBe(0);
      expect(await guest.locator('.toast-error').count()).toBe(0);

      // The game goes on: past the back tick, both confirm the same states.
      await waitForDemo(host, awayIs('Bob', false), HANG_MS);
      const back = await host.evaluate(() => window.rbnDemo?.peers[0]?.confirmedGameTick ?? 0);
      await waitForDemo(
        host,
        `window.rbnDemo.peers[0].confirmedGameTick >= ${back + 120}`,
        HANG_MS,
      );
      await sameConfirmedState(host, guest, 'the host and the reloaded friend');
      await sameConfirmedState(guest, host, 'the reloaded friend and the host');
    });
  }, 180_000);

  it('after the host left, the friend hosts the room and the old host comes back through the link', async () => {
    const href = `/?room=rejoin-${Date.now().toString(36)}&stun=none`;
    const { host, guest } = await gameOfTwo(href);
    await withScreenshots(async (shoot) => {
      const adasBrowser = host.context();
      // The game is well under way (two seconds confirmed) when the host leaves.
      await waitForDemo(guest, 'window.rbnDemo.peers[0].confirmedGameTick >= 120', HANG_MS);
      await logToasts(guest);
      await host.close({ runBeforeUnload: true });
      await waitForLoggedToast(guest, 'The host Ada left', 'the friend seeing the host leave');
      await waitForLoggedToast(guest, 'You host the game now', 'the friend taking over the room');
      shoot(guest, 'journey-rejoin-host');
      await waitForDemo(guest, 'window.rbnDemo?.isHost === true', HANG_MS);

      const ada = await openIn(adasBrowser, href, 'Ada again');
      for (const page of [guest, ada]) {
        await waitForDemo(page, 'window.rbnDemo?.state === "Playing"', HANG_MS);
      }
      await waitForLoggedToast(guest, 'Ada joined', 'the new host seeing the old one come back');
      expect(await guest.locator('.controls h2').textContent()).toMatch(
        /^You are Bob \(host\) · 2\/2 players · Playing/,
      );
      // Bob keeps his slot (P2) as host; Ada comes back as a new member.
      expect((await roster(ada)).find((p) => p.isHost)).toMatchObject({ name: 'Bob', slot: 1 });
      await sameConfirmedState(guest, ada, 'the two after the old host came back');
    });
  }, 180_000);
});
