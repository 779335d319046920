/** Waits on a demo page, in game ticks: shared by the browser tests. */
import type { Page } from 'playwright-core';

/**
 * The cap of a wait for the game to get somewhere. It only bounds a hang: on a loaded machine
 * headless Chromium draws few frames, the loop runs at most 8 ticks a frame, and the game runs
 * slower than real time, so every test waits for ticks, never for a number of milliseconds.
 */
export const HANG_MS = 60_000;

/** Waits until `window.rbnDemo` satisfies a condition, or fails with the last state seen. */
export async function waitForDemo(page: Page, condition: string, timeoutMs: number): Promise<void> {
  try {
    await page.waitForFunction(condition, undefined, { timeout: timeoutMs, polling: 100 });
  } catch (error) {
    const seen = await page
      .evaluate(() =>
        (window.rbnDemo?.peers ?? []).map((p) => ({
          state: p.state,
          currentTick: p.currentTick,
          confirmedGameTick: p.confirmedGameTick,
          overlay: p.overlay,
        })),
      )
      .catch((reason: unknown) => String(reason));
    throw new Error(
      `${String(error)}\ncondition: ${condition}\nlast seen: ${JSON.stringify(seen)}`,
    );
  }
}

/** Waits until the page's first peer has run `ticks` more ticks than it has now. */
export async function runTicks(page: Page, ticks: number): Promise<void> {
  const from = await page.evaluate(() => window.rbnDemo?.currentTick ?? 0);
  await waitForDemo(page, `window.rbnDemo.currentTick >= ${from + ticks}`, HANG_MS);
}
