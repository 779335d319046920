import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_DIR, startHarness } from './browser';
import type { Harness } from './browser';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
}, 90_000);

afterAll(async () => {
  await harness?.close();
});

/** Waits until `window.rbnDemo` satisfies a condition, or fails with the last state seen. */
async function waitForDemo(page: Page, condition: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(condition, undefined, { timeout: timeoutMs, polling: 100 });
}

/** Holds keys for a while, as a player would. */
async function hold(page: Page, keys: string[], ms: number): Promise<void> {
  for (const key of keys) await page.keyboard.down(key);
  await page.waitForTimeout(ms);
  for (const key of keys) await page.keyboard.up(key);
}

describe('local mode', () => {
  it('loads without console errors, advances, and both split views agree at confirmed ticks', async () => {
    const { page, errors } = await harness.open('/');
    await waitForDemo(page, 'window.rbnDemo?.peers?.length === 2', 15_000);
    await waitForDemo(page, 'window.rbnDemo.currentTick > 30', 15_000);
    const before = await page.evaluate(() => window.rbnDemo?.currentTick ?? 0);

    // P1 (WASD) and P2 (arrows) walk into each other and dash.
    await hold(page, ['KeyD', 'ArrowLeft'], 700);
    await page.keyboard.press('Space');
    await hold(page, ['KeyW', 'ArrowDown'], 400);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(800);

    const result = await page.evaluate(() => {
      const peers = window.rbnDemo?.peers ?? [];
      const [a, b] = peers;
      const common = Math.min(a?.confirmedGameTick ?? 0, b?.confirmedGameTick ?? 0);
      return {
        ticks: peers.map((p) => p.currentTick),
        confirmed: peers.map((p) => p.confirmedTick),
        common,
        hashes: peers.map((p) => p.hashAt(common)),
        rollbacks: peers.map((p) => p.counters.rollbacks),
      };
    });
    await page.screenshot({ path: join(RESULTS_DIR, 'local.png') });

    expect(
      result.ticks.every((t) => t > before + 60),
      JSON.stringify(result),
    ).toBe(true);
    expect(result.common, JSON.stringify(result)).toBeGreaterThan(before);
    expect(result.hashes[0], JSON.stringify(result)).toBeDefined();
    expect(result.hashes[0], JSON.stringify(result)).toBe(result.hashes[1]);
    // With 60 ms latency and key presses on both sides, each peer had to roll back.
    expect(Math.min(...result.rollbacks), JSON.stringify(result)).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 40_000);
});
