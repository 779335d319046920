import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, withScreenshots } from './browser';
import type { Harness } from './browser';
import { HANG_MS, runTicks, waitForDemo } from './demo-page';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(inject('demoBuild'));
}, 90_000);

// A page left open keeps its game loop running and slows every later test.
afterEach(async () => {
  await harness?.closePages();
}, 30_000);

afterAll(async () => {
  await harness?.close();
}, 30_000);

const PLAYING = 'window.rbnDemo?.peers?.[1]?.state === "Playing"';

describe('overlay and automation (local mode)', () => {
  it('moves the sliders when automation calls setNetwork', async () => {
    const { page, errors } = await harness.open('/');
    await withScreenshots(async (shoot) => {
      shoot(page, 'overlay-set-network');
      await waitForDemo(page, PLAYING, HANG_MS);
      await page.evaluate(() => {
        const demo = window.rbnDemo as unknown as {
          setNetwork(next: Record<string, number>): void;
        };
        demo.setNetwork({ latency: 180, jitter: 40, loss: 0.2, inputDelay: 3 });
      });
      const shown = await page.$$eval('.slider', (labels) =>
        labels.map((label) => ({
          name: label.querySelector('input')?.name,
          value: label.querySelector('input')?.value,
          text: label.querySelector('output')?.textContent,
        })),
      );
      expect(shown).toEqual([
        { name: 'latency', value: '180', text: '180 ms' },
        { name: 'jitter', value: '40', text: '40 ms' },
        { name: 'loss', value: '20', text: '20 %' },
        { name: 'input delay', value: '3', text: '3 ticks' },
      ]);
      expect(errors).toEqual([]);
    });
  }, 120_000);

  it("reads the same RTT on P1 and P2 over a symmetric link: the link's round trip", async () => {
    const { page } = await harness.open('/');
    await withScreenshots(async (shoot) => {
      shoot(page, 'overlay-rtt');
      await waitForDemo(page, PLAYING, HANG_MS);
      await page.evaluate(() => {
        const demo = window.rbnDemo as unknown as {
          setNetwork(next: Record<string, number>): void;
        };
        demo.setNetwork({ latency: 80, jitter: 0, loss: 0 });
      });
      // Pings go every 100 ms of game time and the session smooths RTT with a 1/8 weight: after
      // 300 ticks (5 s of game time, 50 pings) the old 120 ms is forgotten.
      await runTicks(page, 300);
      const rtt = await page.evaluate(() => {
        const [p1, p2] = window.rbnDemo?.peers ?? [];
        return {
          p1: p1?.remotes.find((r) => r.peerId === 'p2')?.rttMs,
          p2: p2?.remotes.find((r) => r.peerId === 'p1')?.rttMs,
          overlays: [p1?.overlay.rttMs, p2?.overlay.rttMs],
        };
      });
      const seen = JSON.stringify(rtt);
      expect(rtt.p1, seen).toBeGreaterThanOrEqual(155);
      expect(rtt.p1, seen).toBeLessThanOrEqual(165);
      expect(rtt.p2, seen).toBeGreaterThanOrEqual(155);
      expect(rtt.p2, seen).toBeLessThanOrEqual(165);
      expect(Math.abs((rtt.p1 ?? 0) - (rtt.p2 ?? 0)), seen).toBeLessThanOrEqual(4);
    });
  }, 120_000);

  it("counts only players in the host's frames ahead, not a spectator that runs behind", async () => {
    const { page } = await harness.open('/');
    await withScreenshots(async (shoot) => {
      shoot(page, 'overlay-frames-ahead');
      await waitForDemo(page, PLAYING, HANG_MS);
      await page.evaluate(() => {
        const demo = window.rbnDemo as unknown as {
          setNetwork(next: Record<string, number>): void;
          addSpectator(): void;
        };
        demo.setNetwork({ latency: 150, jitter: 0, loss: 0 });
        demo.addSpectator();
      });
      await waitForDemo(page, 'window.rbnDemo.peers[2]?.state === "Playing"', HANG_MS);
      // The overlay shows the players' figure, never the spectator's: at a moment where the
      // spectator is clearly further off than the player, the overlay reads the player's
      // figure. The overlay is drawn on its own cadence, so this waits for such a moment
      // rather than reading both once (a loaded machine draws late).
      // `+ 0`: a figure of -0 (a small negative average, rounded) reads as 0 like any other.
      await waitForDemo(
        page,
        `(() => {
          const host = window.rbnDemo.peers[0];
          const spectator = host.remotes.find((r) => r.spectator);
          const players = host.remotes.filter((r) => !r.spectator);
          return spectator !== undefined && players.length === 1 &&
            Math.abs(spectator.framesAhead) >= Math.abs(players[0].framesAhead) + 3 &&
            host.overlay.framesAhead + 0 === players[0].framesAhead + 0;
        })()`,
        HANG_MS,
      );
    });
  }, 120_000);

  it('draws the confirmed state as ghosts while "show confirmed state" is on', async () => {
    const { page } = await harness.open('/');
    await withScreenshots(async (shoot) => {
      shoot(page, 'overlay-ghosts');
      await waitForDemo(page, PLAYING, HANG_MS);
      await waitForDemo(
        page,
        'window.rbnDemo.peers[0].players.filter((p) => p.phase === 1).length === 2',
        HANG_MS,
      );
      expect(await page.evaluate(() => window.rbnDemo?.peers[0]?.overlay.ghosts)).toBe(0);
      const toggle = page.locator('.peer[data-peer="p1"] input[name="show-confirmed"]');
      await toggle.check();
      // Both players of the confirmed state are drawn on P1's screen, and only there.
      await waitForDemo(page, 'window.rbnDemo.peers[0].overlay.ghosts === 2', HANG_MS);
      await runTicks(page, 10);
      const ghosts = await page.evaluate(() => window.rbnDemo?.peers.map((p) => p.overlay.ghosts));
      expect(ghosts).toEqual([2, 0]);
      await toggle.uncheck();
      await waitForDemo(page, 'window.rbnDemo.peers[0].overlay.ghosts === 0', HANG_MS);
    });
  }, 120_000);
});
