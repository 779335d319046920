import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DIR, startHarness, withScreenshots } from './browser';
import type { Harness } from './browser';
import { HANG_MS, waitForDemo } from './demo-page';

let harness: Harness;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  harness = await startHarness();
}, 90_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
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
  const page = await context.newPage();
  // Warnings too: the session's error events go to console.warn, and they explain a failure.
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      console.warn(`[${name} ${size.width}] ${message.text()}`);
    }
  });
  await page.goto(new URL(href, harness.url).href);
  return page;
}

/** Waits until a toast containing `text` is on screen (or fails naming the toasts seen). */
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

type Seen = { name: string; slot: number; isHost: boolean };

/** The room as a page names it. */
function roster(page: Page): Promise<Seen[]> {
  return page.evaluate(() =>
    (window.rbnDemo?.['players'] as Seen[]).map(({ name, slot, isHost }) => ({
      name,
      slot,
      isHost,
    })),
  );
}

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
        const guest = await openAs(harness.browser, href, 'Bob', size);
        shoot(guest, `journey-guest-${size.width}`);
        for (const page of [host, guest]) {
          await waitForDemo(page, 'window.rbnDemo?.state === "Playing"', HANG_MS);
        }
        await waitForToast(host, 'Bob joined', 'the host seeing the friend join');
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
          // The friend closes its page: the host is told, by name.
          await guest.close({ runBeforeUnload: true });
          await waitForToast(host, 'Bob left', 'the host seeing the friend leave');
          await waitForDemo(
            host,
            'document.querySelector(".controls h2").textContent.includes("1/2 players")',
            HANG_MS,
          );
        } else {
          // The host closes its page: the friend is told, takes over the room and plays on.
          await host.close({ runBeforeUnload: true });
          await waitForToast(guest, 'The host Ada left', 'the friend seeing the host leave');
          await waitForToast(guest, 'You host the game now', 'the friend taking over the room');
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
});
