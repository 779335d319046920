import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, withScreenshots } from './browser';
import type { Harness } from './browser';
import { HANG_MS, runTicks, waitForDemo } from './demo-page';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(inject('demoBuild'));
}, 90_000);

afterAll(async () => {
  await harness?.close();
}, 30_000);

type Box = { left: number; top: number; right: number; bottom: number; width: number };

/** Opens a path of the demo in a fresh context of the given size. */
async function openAt(
  browser: Browser,
  path: string,
  size: { width: number; height: number },
  touch = false,
): Promise<Page> {
  const context = await browser.newContext({
    viewport: size,
    ...(touch ? { hasTouch: true, isMobile: true } : {}),
  });
  const page = await context.newPage();
  await page.goto(new URL(path, harness.url).href);
  return page;
}

/** The bounding boxes of every element matching `selector`, in viewport coordinates. */
async function boxes(page: Page, selector: string): Promise<Box[]> {
  return page.$$eval(selector, (elements) =>
    elements.map((e) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width };
    }),
  );
}

/** Whether a box lies inside a viewport of the given size (half a pixel of rounding allowed). */
function inside(box: Box, size: { width: number; height: number }): boolean {
  return (
    box.left >= -0.5 &&
    box.top >= -0.5 &&
    box.right <= size.width + 0.5 &&
    box.bottom <= size.height + 0.5
  );
}

describe('desktop layout', () => {
  for (const size of [
    { width: 1366, height: 900 },
    { width: 1280, height: 720 },
  ]) {
    it(`shows both split views' arenas and graphs without scrolling at ${size.width}×${size.height}`, async () => {
      const page = await openAt(harness.browser, '/', size);
      await withScreenshots(async (shoot) => {
        shoot(page, `layout-${size.width}x${size.height}`);
        await waitForDemo(page, 'window.rbnDemo?.peers?.[1]?.state === "Playing"', HANG_MS);
        const arenas = await boxes(page, 'canvas.arena');
        const graphs = await boxes(page, '.graphs');
        const seen = JSON.stringify({ arenas, graphs });
        expect(arenas, seen).toHaveLength(2);
        expect(graphs, seen).toHaveLength(2);
        for (const box of [...arenas, ...graphs]) expect(inside(box, size), seen).toBe(true);
        // An arena big enough to play on, and no horizontal scrolling.
        expect(Math.min(...arenas.map((a) => a.width)), seen).toBeGreaterThanOrEqual(300);
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(scrollWidth).toBeLessThanOrEqual(size.width);
        // No touch controls on a desktop with a mouse.
        await expect(page.locator('.touch-controls').isVisible()).resolves.toBe(false);
      });
      await page.context().close();
    }, 120_000);
  }

  it('gives the online view the whole width, its arena and graphs side by side, and labels that name the player', async () => {
    const size = { width: 1280, height: 720 };
    const page = await openAt(harness.browser, '/?room=layout-wide', size);
    await withScreenshots(async (shoot) => {
      shoot(page, 'layout-online-1280x720');
      await page.waitForSelector('canvas.arena');
      const [peer] = await boxes(page, '.peer');
      const [arena] = await boxes(page, 'canvas.arena');
      const [graphs] = await boxes(page, '.graphs');
      const seen = JSON.stringify({ peer, arena, graphs });
      if (!peer || !arena || !graphs) throw new Error(`missing elements: ${seen}`);
      // The one column spans the page, not a 560-px strip.
      expect(peer.width, seen).toBeGreaterThan(size.width * 0.9);
      expect(inside(arena, size) && inside(graphs, size), seen).toBe(true);
      expect(graphs.left, seen).toBeGreaterThan(arena.right);
      await expect(
        page.getByRole('button', { name: 'Induce a desync on my game' }).count(),
      ).resolves.toBe(1);
      await expect(page.locator('canvas.arena').getAttribute('aria-label')).resolves.toMatch(
        /^Your screen/,
      );
    });
    await page.context().close();
  }, 120_000);
});

describe('phone layout', () => {
  const size = { width: 390, height: 844 };

  it('fits the arena to the width, shows touch controls, and the stick moves P1', async () => {
    const page = await openAt(harness.browser, '/', size, true);
    await withScreenshots(async (shoot) => {
      shoot(page, 'layout-phone');
      await waitForDemo(page, 'window.rbnDemo?.peers?.[1]?.state === "Playing"', HANG_MS);
      const [arena] = await boxes(page, 'canvas.arena');
      if (!arena) throw new Error('no arena');
      expect(inside(arena, size), JSON.stringify(arena)).toBe(true);
      expect(arena.width).toBeGreaterThanOrEqual(300);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth).toBeLessThanOrEqual(size.width);
      await expect(page.locator('.touch-controls').isVisible()).resolves.toBe(true);
      await expect(page.getByRole('button', { name: 'Dash' }).isVisible()).resolves.toBe(true);

      const p1x = (): Promise<number> =>
        page.evaluate(() => window.rbnDemo?.peers[0]?.players.find((p) => p.id === 'p1')?.x ?? NaN);
      await waitForDemo(
        page,
        'window.rbnDemo.peers[0].players.filter((p) => p.phase === 1).length === 2',
        HANG_MS,
      );
      const before = await p1x();
      // Hold the stick at its right edge (a real pointer: hit testing included) for 30 ticks.
      const [stick] = await boxes(page, '.touch-stick');
      if (!stick) throw new Error('no stick');
      const y = (stick.top + stick.bottom) / 2;
      await page.mouse.move((stick.left + stick.right) / 2, y);
      await page.mouse.down();
      await page.mouse.move(stick.right - 4, y, { steps: 4 });
      await runTicks(page, 30);
      await page.mouse.up();
      const after = await p1x();
      expect(after - before, `P1 x before ${before}, after ${after}`).toBeGreaterThan(10);
    });
    await page.context().close();
  }, 120_000);

  it('keeps the online invite field inside the screen', async () => {
    const page = await openAt(harness.browser, '/?room=layout-phone', size, true);
    await withScreenshots(async (shoot) => {
      shoot(page, 'layout-online-phone');
      await page.waitForSelector('.links input');
      const fields = await boxes(page, '.links input');
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields)
        expect(field.right, JSON.stringify(fields)).toBeLessThanOrEqual(size.width);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth).toBeLessThanOrEqual(size.width);
    });
    await page.context().close();
  }, 120_000);
});
