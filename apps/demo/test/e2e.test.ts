import { readdir } from 'node:fs/promises';
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
}, 30_000);

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

describe('production build', () => {
  it('bundles every library for the browser without externalizing a Node built-in', async () => {
    const scripts = (await readdir(join(harness.outDir, 'assets'))).filter((f) =>
      f.endsWith('.js'),
    );
    expect(scripts.length).toBeGreaterThan(0);
    // Vite warns for every Node built-in some module imports and replaces it with an empty stub.
    expect(harness.buildWarnings.filter((w) => /externalized for browser/.test(w))).toEqual([]);
  });
});

describe('local mode', () => {
  it('loads without console errors, advances, both split views agree at confirmed ticks, and a late P3 and a spectator converge', async () => {
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

    // P3 joins the running game late and a spectator starts watching: both converge.
    await page.getByRole('button', { name: 'P3 joins late' }).click();
    await page.getByRole('button', { name: 'A spectator joins' }).click();
    await waitForDemo(
      page,
      'window.rbnDemo.peers.length === 4 && window.rbnDemo.peers.every((p) => p.state === "Playing")',
      15_000,
    );
    await hold(page, ['KeyJ'], 300);
    const joined = await page.evaluate(() =>
      Math.max(...(window.rbnDemo?.peers ?? []).map((p) => p.confirmedGameTick)),
    );
    await waitForDemo(
      page,
      `window.rbnDemo.peers.every((p) => p.confirmedGameTick > ${joined + 60})`,
      15_000,
    );
    const late = await page.evaluate(() => {
      const peers = window.rbnDemo?.peers ?? [];
      const tick = Math.min(...peers.map((p) => p.confirmedGameTick));
      return { tick, hashes: peers.map((p) => p.hashAt(tick)), spectator: peers[3]?.isSpectator };
    });
    await page.screenshot({ path: join(RESULTS_DIR, 'local-late-join.png') });
    expect(late.hashes[0], JSON.stringify(late)).toBeDefined();
    expect(new Set(late.hashes).size, JSON.stringify(late)).toBe(1);
    expect(late.spectator).toBe(true);
    expect(errors).toEqual([]);
  }, 40_000);

  it('detects a desync induced on one peer and recovers it by state transfer', async () => {
    const { page, errors } = await harness.open('/');
    await waitForDemo(page, 'window.rbnDemo?.peers?.[1]?.state === "Playing"', 15_000);
    await waitForDemo(page, 'window.rbnDemo.peers[1].currentTick > 60', 15_000);
    await page.getByRole('button', { name: 'Induce desync on P2' }).click();
    await waitForDemo(page, 'window.rbnDemo.peers[1].counters.recoveries > 0', 15_000);
    // After the recovery both peers agree again at every newer confirmed tick.
    const recoveredAt = await page.evaluate(() => window.rbnDemo?.peers[1]?.confirmedGameTick ?? 0);
    await waitForDemo(
      page,
      `window.rbnDemo.peers.every((p) => p.confirmedGameTick > ${recoveredAt + 90})`,
      15_000,
    );
    const result = await page.evaluate((from) => {
      const [a, b] = window.rbnDemo?.peers ?? [];
      const to = Math.min(a?.confirmedGameTick ?? 0, b?.confirmedGameTick ?? 0);
      const mismatches: number[] = [];
      for (let t = from + 60; t <= to; t++) if (a?.hashAt(t) !== b?.hashAt(t)) mismatches.push(t);
      return { counters: [a?.counters, b?.counters], mismatches, from, to };
    }, recoveredAt);
    await page.screenshot({ path: join(RESULTS_DIR, 'local-desync.png') });
    const desyncs = (result.counters[0]?.desyncs ?? 0) + (result.counters[1]?.desyncs ?? 0);
    expect(desyncs, JSON.stringify(result)).toBeGreaterThan(0);
    expect(result.mismatches, JSON.stringify(result)).toEqual([]);
    expect(errors).toEqual([]);
  }, 40_000);
});

interface Opened {
  page: Page;
  errors: string[];
}

/** Opens a room in two browser contexts and waits until both play. */
async function openOnlineGame(path: string): Promise<{ host: Opened; guest: Opened }> {
  const host = await harness.open(path);
  await waitForDemo(host.page, 'window.rbnDemo?.isHost === true', 15_000);
  const guest = await harness.open(path);
  for (const { page } of [host, guest]) {
    await waitForDemo(page, 'window.rbnDemo?.state === "Playing"', 30_000);
  }
  return { host, guest };
}

/** A unique room name per test. */
function roomPath(name: string): string {
  return `/?room=${name}-${Date.now().toString(36)}&stun=none`;
}

describe('online mode', () => {
  it('two browsers meet through signaling, play over WebRTC and agree on every confirmed hash; a late spectator converges', async () => {
    const path = roomPath('e2e');
    const { host, guest } = await openOnlineGame(path);
    const pages = [host.page, guest.page];
    const gameTick = (page: Page): Promise<number> =>
      page.evaluate(() => window.rbnDemo?.confirmedGameTick ?? 0);
    const scriptStart = await gameTick(host.page);

    // A few seconds of scripted play on both sides.
    const script = async (page: Page, keys: [string, string, string]): Promise<void> => {
      for (let round = 0; round < 3; round++) {
        await hold(page, [keys[0]], 500);
        await page.keyboard.press(keys[2]);
        await hold(page, [keys[1]], 400);
      }
    };
    await Promise.all([
      script(host.page, ['KeyD', 'KeyW', 'Space']),
      script(guest.page, ['ArrowLeft', 'ArrowDown', 'Enter']),
    ]);
    const scriptEnd = await gameTick(host.page);

    // Meanwhile a third browser joins the running game as a spectator.
    const spectator = await harness.open(`${path}&spectate`);
    for (const page of pages) {
      await waitForDemo(page, `window.rbnDemo.confirmedGameTick > ${scriptEnd + 30}`, 15_000);
    }

    // Every confirmed tick of the scripted play has the same hash in both browsers.
    const [hostHashes, guestHashes] = await Promise.all(
      pages.map((p) => p.evaluate(() => window.rbnDemo?.confirmedHashes(1200) ?? [])),
    );
    const hostByTick = new Map(hostHashes);
    const guestByTick = new Map(guestHashes);
    const compared: number[] = [];
    const mismatched: number[] = [];
    for (let tick = scriptStart; tick <= scriptEnd + 30; tick++) {
      compared.push(tick);
      if (hostByTick.get(tick) === undefined || hostByTick.get(tick) !== guestByTick.get(tick)) {
        mismatched.push(tick);
      }
    }
    const context = JSON.stringify({ scriptStart, scriptEnd });
    expect(compared.length, context).toBeGreaterThan(150);
    expect(mismatched.slice(0, 5), context).toEqual([]);
    const distinct = new Set(compared.map((tick) => hostByTick.get(tick)));
    expect(distinct.size, `the game moved: ${context}`).toBeGreaterThan(100);

    // The spectator plays along from its join tick and agrees with the host.
    await waitForDemo(spectator.page, 'window.rbnDemo?.state === "Playing"', 30_000);
    const joinedAt = await gameTick(spectator.page);
    await hold(host.page, ['KeyA'], 300);
    await waitForDemo(
      spectator.page,
      `window.rbnDemo.confirmedGameTick > ${joinedAt + 90}`,
      15_000,
    );
    const spectatorHashes = await spectator.page.evaluate(
      () => window.rbnDemo?.confirmedHashes(90) ?? [],
    );
    const hostNow = new Map(
      await host.page.evaluate(() => window.rbnDemo?.confirmedHashes(1200) ?? []),
    );
    const withHost = spectatorHashes.filter(([tick]) => hostNow.has(tick));
    expect(withHost.length, 'ticks compared with the spectator').toBeGreaterThan(30);
    expect(withHost.filter(([tick, hash]) => hostNow.get(tick) !== hash)).toEqual([]);
    expect(await spectator.page.evaluate(() => window.rbnDemo?.peers[0]?.isSpectator)).toBe(true);

    await host.page.screenshot({ path: join(RESULTS_DIR, 'online-host.png') });
    await guest.page.screenshot({ path: join(RESULTS_DIR, 'online-guest.png') });
    await spectator.page.screenshot({ path: join(RESULTS_DIR, 'online-spectator.png') });
    expect([...host.errors, ...guest.errors, ...spectator.errors]).toEqual([]);
  }, 75_000);
});
