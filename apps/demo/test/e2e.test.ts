import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_PORT } from '../server/start-options';
import type { LinkReport } from '../src/local-mode';
import { RESULTS_DIR, startHarness, withScreenshots } from './browser';
import { HANG_MS, runTicks, waitForDemo } from './demo-page';
import type { Harness } from './browser';
import { spawnStartCommand } from './start-command';

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

/** Holds keys for a number of the page's ticks (a 60 Hz game: 6 ticks are 100 ms). */
async function hold(page: Page, keys: string[], ticks: number): Promise<void> {
  for (const key of keys) await page.keyboard.down(key);
  await runTicks(page, ticks);
  for (const key of keys) await page.keyboard.up(key);
}

/** Rejects with `what` when `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} (waited ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('test artifacts', () => {
  it('keeps the screenshot of a page when the test body fails', async () => {
    const { page } = await harness.open('/');
    const path = join(RESULTS_DIR, 'artifact-check.png');
    await rm(path, { force: true });
    await expect(
      withScreenshots(async (shoot) => {
        shoot(page, 'artifact-check');
        await page.waitForFunction('window.rbnDemo?.currentTick > 0');
        throw new Error('the body failed');
      }),
    ).rejects.toThrow('the body failed');
    expect((await stat(path)).size).toBeGreaterThan(0);
    await rm(path, { force: true });
  });
});

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
    await withScreenshots(async (shoot) => {
      shoot(page, 'local');
      await waitForDemo(page, 'window.rbnDemo?.peers?.length === 2', 15_000);
      await waitForDemo(page, 'window.rbnDemo.currentTick > 30', HANG_MS);
      const before = await page.evaluate(() => window.rbnDemo?.currentTick ?? 0);

      // hash() is the live game's hash: nobody has pressed a key yet, so every prediction is
      // right and the tick it hashed keeps that hash once it is confirmed.
      const live = await page.evaluate(() => ({
        tick: window.rbnDemo?.gameTick ?? 0,
        hash: window.rbnDemo?.hash(),
      }));
      await waitForDemo(page, `window.rbnDemo.confirmedGameTick >= ${live.tick}`, HANG_MS);
      expect(live.tick).toBeGreaterThan(0);
      expect(await page.evaluate((t) => window.rbnDemo?.hashAt(t), live.tick)).toBe(live.hash);

      // P1 (WASD) and P2 (arrows) walk into each other and dash.
      await hold(page, ['KeyD', 'ArrowLeft'], 42);
      await page.keyboard.press('Space');
      await hold(page, ['KeyW', 'ArrowDown'], 24);
      await page.keyboard.press('Enter');
      // The game ran on for more than 60 ticks in both views, and both confirmed past `before`.
      await waitForDemo(
        page,
        `window.rbnDemo.peers.every((p) => p.currentTick > ${before + 60}) &&
          Math.min(...window.rbnDemo.peers.map((p) => p.confirmedGameTick)) > ${before}`,
        HANG_MS,
      );

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
      await hold(page, ['KeyJ'], 18);
      const joined = await page.evaluate(() =>
        Math.max(...(window.rbnDemo?.peers ?? []).map((p) => p.confirmedGameTick)),
      );
      await waitForDemo(
        page,
        `window.rbnDemo.peers.every((p) => p.confirmedGameTick > ${joined + 60})`,
        HANG_MS,
      );
      // A view that came back from away (a loaded machine stalls the page) holds no hash of the
      // ticks it jumped over: the newest tick every view simulated after the join is compared.
      const late = await page.evaluate((after) => {
        const peers = window.rbnDemo?.peers ?? [];
        let tick = Math.min(...peers.map((p) => p.confirmedGameTick));
        while (tick > after && peers.some((p) => p.hashAt(tick) === undefined)) tick--;
        return { tick, hashes: peers.map((p) => p.hashAt(tick)), spectator: peers[3]?.isSpectator };
      }, joined);
      expect(late.tick, JSON.stringify(late)).toBeGreaterThan(joined);
      shoot(page, 'local-late-join');
      expect(late.hashes[0], JSON.stringify(late)).toBeDefined();
      expect(new Set(late.hashes).size, JSON.stringify(late)).toBe(1);
      expect(late.spectator).toBe(true);
      expect(errors).toEqual([]);
    });
  }, 180_000);

  it('applies the network sliders live: RTT and rollback depth follow the latency, and loss drops messages only while it is set', async () => {
    const { page, errors } = await harness.open('/');
    await withScreenshots(async (shoot) => {
      shoot(page, 'local-sliders');
      await waitForDemo(page, 'window.rbnDemo?.peers?.[1]?.state === "Playing"', 15_000);

      /** Moves the sliders as a visitor would (each fires its `input` event). */
      const setSliders = async (values: Record<'latency' | 'jitter' | 'loss', number>) => {
        for (const [name, value] of Object.entries(values)) {
          await page.locator(`input[name="${name}"]`).fill(String(value));
        }
      };
      /** Both players change direction every 7 ticks (about 120 ms) for 84 ticks. */
      const wiggle = async (): Promise<void> => {
        const moves: [string, string][] = [
          ['KeyD', 'ArrowLeft'],
          ['KeyW', 'ArrowDown'],
          ['KeyA', 'ArrowRight'],
          ['KeyS', 'ArrowUp'],
        ];
        for (let i = 0; i < 12; i++) await hold(page, moves[i % moves.length] ?? [], 7);
      };
      const snapshot = () =>
        page.evaluate(() => {
          const demo = window.rbnDemo;
          const links = (demo?.['links'] as () => LinkReport[])();
          const peers = demo?.peers ?? [];
          return {
            links,
            sent: links.reduce((sum, l) => sum + l.messagesSent, 0),
            dropped: links.reduce((sum, l) => sum + l.messagesDropped, 0),
            rollbacks: peers.reduce((sum, p) => sum + p.counters.rollbacks, 0),
            rolledBackTicks: peers.reduce((sum, p) => sum + p.counters.rolledBackTicks, 0),
            rtt: peers.map((p) => p.overlay.rttMs),
          };
        });
      type Snapshot = Awaited<ReturnType<typeof snapshot>>;
      /** Measures a wiggle and `settleTicks` more ticks (for the last rollbacks to land). */
      const phase = async (settleTicks: number) => {
        const from = await snapshot();
        await wiggle();
        await runTicks(page, settleTicks);
        const to = await snapshot();
        const rollbacks = to.rollbacks - from.rollbacks;
        const sent = to.sent - from.sent;
        return {
          rollbacks,
          depth: (to.rolledBackTicks - from.rolledBackTicks) / Math.max(rollbacks, 1),
          sent,
          dropped: to.dropped - from.dropped,
          links: to.links,
          rtt: to.rtt,
        };
      };
      const conditions = (s: Snapshot | Awaited<ReturnType<typeof phase>>) =>
        new Set(s.links.map((l) => `${l.latency}/${l.jitter}/${l.loss}`));

      // The default network (60 ms ± 10, 5 % loss) as the overlay measures it.
      // (Pings go every 100 ms and the session smooths RTT: a second gives it 10 samples.)
      await waitForDemo(page, 'window.rbnDemo.peers.every((p) => p.currentTick > 60)', HANG_MS);
      const baseline = await snapshot();
      expect(Math.min(...baseline.rtt), JSON.stringify(baseline)).toBeGreaterThan(80);

      // A perfect network: each peer's RTT drops by most of the 2 × 60 ms taken away, and
      // nothing is lost.
      await setSliders({ latency: 0, jitter: 0, loss: 0 });
      await waitForDemo(
        page,
        `window.rbnDemo.peers.every((p, i) => p.overlay.rttMs < ${JSON.stringify(baseline.rtt)}[i] - 50)`,
        10_000,
      );
      const calm = await phase(18);
      expect([...conditions(calm)]).toEqual(['0/0/0']);
      expect(calm.sent, JSON.stringify(calm)).toBeGreaterThan(100);
      expect(calm.dropped, JSON.stringify(calm)).toBe(0);
      expect(calm.rollbacks, JSON.stringify(calm)).toBeGreaterThan(0);

      // 250 ms one way (± 40), 30 % loss: each input arrives about 15 ticks later than before,
      // so every misprediction resimulates that much further back, and about a third of the
      // unreliable messages vanish.
      await setSliders({ latency: 250, jitter: 40, loss: 30 });
      await waitForDemo(page, 'window.rbnDemo.peers.every((p) => p.overlay.rttMs > 300)', 10_000);
      const stormy = await phase(42);
      const context = JSON.stringify({ calm, stormy });
      expect([...conditions(stormy)]).toEqual(['250/40/0.3']);
      expect(stormy.rollbacks, context).toBeGreaterThan(0);
      expect(stormy.depth, context).toBeGreaterThanOrEqual(8);
      expect(stormy.depth - calm.depth, context).toBeGreaterThanOrEqual(6);
      expect(stormy.dropped / stormy.sent, context).toBeGreaterThan(0.1);
      expect(stormy.dropped / stormy.sent, context).toBeLessThan(0.45);

      // Still in step: both views agree at the newest common confirmed tick.
      const agree = await page.evaluate(() => {
        const [a, b] = window.rbnDemo?.peers ?? [];
        const tick = Math.min(a?.confirmedGameTick ?? 0, b?.confirmedGameTick ?? 0);
        return [a?.hashAt(tick), b?.hashAt(tick)];
      });
      expect(agree[0]).toBeDefined();
      expect(agree[0]).toBe(agree[1]);
      expect(errors).toEqual([]);
    });
  }, 180_000);

  it('detects a desync induced on one peer, recovers it by state transfer, and shows the inspector with a path and the incident file', async () => {
    const { page, errors } = await harness.open('/');
    await withScreenshots(async (shoot) => {
      shoot(page, 'local-desync');
      await waitForDemo(page, 'window.rbnDemo?.peers?.[1]?.state === "Playing"', 15_000);
      await waitForDemo(page, 'window.rbnDemo.peers[1].currentTick > 60', HANG_MS);
      await page.getByRole('button', { name: 'Induce desync on P2' }).click();
      await waitForDemo(page, 'window.rbnDemo.peers[1].counters.recoveries > 0', 15_000);
      // After the recovery both peers agree again at every newer confirmed tick.
      const recoveredAt = await page.evaluate(
        () => window.rbnDemo?.peers[1]?.confirmedGameTick ?? 0,
      );
      await waitForDemo(
        page,
        `window.rbnDemo.peers.every((p) => p.confirmedGameTick > ${recoveredAt + 150})`,
        HANG_MS,
      );
      const result = await page.evaluate((from) => {
        const [a, b] = window.rbnDemo?.peers ?? [];
        const to = Math.min(a?.confirmedGameTick ?? 0, b?.confirmedGameTick ?? 0);
        const mismatches: number[] = [];
        // A peer has no hash for ticks it never simulated: on a loaded machine a page that
        // stalls past awayAfterMs has its guest marked away, and the guest comes back with the
        // host's state at a later tick. Only ticks both simulated are compared.
        const unsimulated: number[] = [];
        for (let t = from + 60; t <= to; t++) {
          const [ha, hb] = [a?.hashAt(t), b?.hashAt(t)];
          if (ha === undefined || hb === undefined) unsimulated.push(t);
          else if (ha !== hb) mismatches.push(t);
        }
        const compared = to - from - 59 - unsimulated.length;
        return {
          counters: [a?.counters, b?.counters],
          mismatches,
          unsimulated,
          compared,
          from,
          to,
        };
      }, recoveredAt);
      const desyncs = (result.counters[0]?.desyncs ?? 0) + (result.counters[1]?.desyncs ?? 0);
      expect(desyncs, JSON.stringify(result)).toBeGreaterThan(0);
      expect(result.mismatches, JSON.stringify(result)).toEqual([]);
      expect(result.compared, JSON.stringify(result)).toBeGreaterThanOrEqual(30);

      // The inspector opened with the desync report: paths from the arena's describe(), and
      // the incident file as a download (an RBNI file).
      const inspector = page.getByRole('dialog', { name: 'Desync inspector' });
      await inspector.locator('.desync-path').first().waitFor({ timeout: HANG_MS });
      const paths = await inspector.locator('.desync-path').allTextContents();
      expect(
        paths.some((p) => /^(coin\.x|players\[\d\]\.x): -?\d+ → -?\d+$/.test(p)),
        paths.join('\n'),
      ).toBe(true);
      const link = inspector.locator('a.desync-incident').first();
      expect(await link.getAttribute('download')).toMatch(/\.rbni$/);
      const magic = await link.evaluate(async (a: HTMLAnchorElement) => {
        const bytes = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
        return String.fromCharCode(...bytes.subarray(0, 4));
      });
      expect(magic).toBe('RBNI');
      expect(errors).toEqual([]);
    });
  }, 120_000);
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
    await waitForDemo(page, 'window.rbnDemo?.state === "Playing"', HANG_MS);
  }
  return { host, guest };
}

/** A unique room name per test. */
function roomPath(name: string): string {
  return `/?room=${name}-${Date.now().toString(36)}&stun=none`;
}

/** What a page's overlay and session report about its link to the other peer. */
function linkFigures(page: Page) {
  return page.evaluate(() => {
    const demo = window.rbnDemo;
    return {
      peerId: demo?.['peerId'] as string | undefined,
      overlay: demo?.peers[0]?.overlay,
      remotes: demo?.peers[0]?.remotes ?? [],
    };
  });
}

describe('online mode', () => {
  it('two browsers meet through signaling, play over WebRTC and agree on every confirmed hash; the overlay shows their RTT and traffic; a late spectator converges', async () => {
    const path = roomPath('e2e');
    const { host, guest } = await openOnlineGame(path);
    const pages = [host.page, guest.page];
    await withScreenshots(async (shoot) => {
      shoot(host.page, 'online-host');
      shoot(guest.page, 'online-guest');
      const gameTick = (page: Page): Promise<number> =>
        page.evaluate(() => window.rbnDemo?.confirmedGameTick ?? 0);
      const scriptStart = await gameTick(host.page);

      // A few seconds of scripted play on both sides.
      const script = async (page: Page, keys: [string, string, string]): Promise<void> => {
        for (let round = 0; round < 3; round++) {
          await hold(page, [keys[0]], 30);
          await page.keyboard.press(keys[2]);
          await hold(page, [keys[1]], 24);
        }
      };
      await Promise.all([
        script(host.page, ['KeyD', 'KeyW', 'Space']),
        script(guest.page, ['ArrowLeft', 'ArrowDown', 'Enter']),
      ]);
      // The scripted play covers at least 120 confirmed ticks, however slowly the game ran.
      await waitForDemo(
        host.page,
        `window.rbnDemo.confirmedGameTick >= ${scriptStart + 120}`,
        HANG_MS,
      );
      const scriptEnd = await gameTick(host.page);

      // Each side's overlay and session measured the link to the other one. The per-second
      // rates are a window over the last second, which a stall on a loaded machine can leave
      // empty: wait for traffic to show in them rather than read them once.
      for (const page of pages) {
        await waitForDemo(
          page,
          '((o) => o.rttMs > 0 && o.bytesReceivedPerSecond > 0 && o.bytesSentPerSecond > 0)(window.rbnDemo.peers[0].overlay)',
          HANG_MS,
        );
      }
      const hostLink = await linkFigures(host.page);
      const guestLink = await linkFigures(guest.page);
      for (const [self, other] of [
        [hostLink, guestLink],
        [guestLink, hostLink],
      ] as const) {
        const context = JSON.stringify(self);
        const remote = self.remotes.find((r) => r.peerId === other.peerId);
        expect(remote, context).toBeDefined();
        expect(remote?.rttMs, context).toBeGreaterThan(0);
        expect(remote?.bytesReceived, context).toBeGreaterThan(0);
        expect(remote?.bytesSent, context).toBeGreaterThan(0);
      }
      // The time sync brings the two within a few ticks of each other (a momentary lead while a
      // slow page catches up is allowed: the overlay has to show it settling, within the cap).
      for (const page of pages) {
        await waitForDemo(
          page,
          'Math.abs(window.rbnDemo.peers[0].overlay.framesAhead) < 20',
          HANG_MS,
        );
      }

      // Meanwhile a third browser joins the running game as a spectator.
      const spectator = await harness.open(`${path}&spectate`);
      shoot(spectator.page, 'online-spectator');
      for (const page of pages) {
        await waitForDemo(page, `window.rbnDemo.confirmedGameTick > ${scriptEnd + 30}`, HANG_MS);
      }

      // Every confirmed tick of the scripted play has the same hash in both browsers.
      const [hostHashes, guestHashes] = await Promise.all(
        // Everything the hash log keeps (4096 ticks): the game may have run far past the script
        // by now on a slow machine, and the scripted ticks must still be in the window.
        pages.map((p) => p.evaluate(() => window.rbnDemo?.confirmedHashes(4000) ?? [])),
      );
      const hostByTick = new Map(hostHashes);
      const guestByTick = new Map(guestHashes);
      const compared: number[] = [];
      const mismatched: number[] = [];
      // A very slow machine may have played past the log's 4096 ticks since the script began,
      // or held a stalled page away (it comes back from a state, past ticks it never confirmed):
      // compare the ticks both confirmed, and at least 150 of them (see below).
      for (let tick = scriptStart; tick <= scriptEnd + 30; tick++) {
        const [mine, theirs] = [hostByTick.get(tick), guestByTick.get(tick)];
        if (mine === undefined || theirs === undefined) continue;
        compared.push(tick);
        if (mine !== theirs) mismatched.push(tick);
      }
      const context = JSON.stringify({ scriptStart, scriptEnd, compared: compared.length });
      expect(compared.length, context).toBeGreaterThan(150);
      expect(mismatched.slice(0, 5), context).toEqual([]);
      const distinct = new Set(compared.map((tick) => hostByTick.get(tick)));
      expect(distinct.size, `the game moved: ${context}`).toBeGreaterThan(100);

      // The spectator plays along from its join tick and agrees with the host.
      await waitForDemo(spectator.page, 'window.rbnDemo?.state === "Playing"', HANG_MS);
      const joinedAt = await gameTick(spectator.page);
      await hold(host.page, ['KeyA'], 18);
      // 60 of its last 90 confirmed ticks simulated here (a spectator that caught up by a
      // state from the host has no hashes of the ticks it skipped).
      await waitForDemo(
        spectator.page,
        `window.rbnDemo.confirmedGameTick > ${joinedAt + 90} && window.rbnDemo.confirmedHashes(90).length > 60`,
        HANG_MS,
      );
      const spectatorHashes = await spectator.page.evaluate(
        () => window.rbnDemo?.confirmedHashes(90) ?? [],
      );
      const hostNow = new Map(
        await host.page.evaluate(() => window.rbnDemo?.confirmedHashes(4000) ?? []),
      );
      const withHost = spectatorHashes.filter(([tick]) => hostNow.has(tick));
      const where = (page: Page) =>
        page.evaluate(() => {
          const demo = window.rbnDemo;
          return {
            state: demo?.state,
            tick: demo?.currentTick,
            confirmedGameTick: demo?.confirmedGameTick,
            isSpectator: demo?.peers[0]?.isSpectator,
            members: demo?.peers[0]?.remotes,
            errors: demo?.errors.slice(0, 3),
          };
        });
      const range = (hashes: [number, number][]) => [hashes[0]?.[0], hashes.at(-1)?.[0]];
      const spectatorContext = JSON.stringify({
        joinedAt,
        spectator: { ...(await where(spectator.page)), ticks: range(spectatorHashes) },
        host: { ...(await where(host.page)), ticks: range([...hostNow]) },
        guest: await where(guest.page),
      });
      expect(
        withHost.length,
        `ticks compared with the spectator: ${spectatorContext}`,
      ).toBeGreaterThan(30);
      expect(withHost.filter(([tick, hash]) => hostNow.get(tick) !== hash)).toEqual([]);
      expect(await spectator.page.evaluate(() => window.rbnDemo?.peers[0]?.isSpectator)).toBe(true);
      expect([...host.errors, ...guest.errors, ...spectator.errors]).toEqual([]);
    });
  }, 240_000);
});

describe('start command', () => {
  it('serves a build and the signaling on the port it prints; two browsers on the printed ?next=2 URL play and agree; SIGTERM stops it', async () => {
    // What `pnpm demo` runs (`node --import tsx server/start.ts`), on a free port and the build made above
    // (marked, to tell it from a stale build in the package's own dist/).
    const marker = `build ${Date.now()}`;
    await writeFile(join(harness.outDir, 'build-marker.txt'), marker);
    const command = spawnStartCommand(['--port', '0', '--dist', harness.outDir]);
    try {
      await withScreenshots(async (shoot) => {
        const urls = await command.urls;
        const ready = new URL(urls.ready);
        expect(ready.hostname, command.output()).toBe('127.0.0.1');
        expect(Number(ready.port), command.output()).toBeGreaterThan(0);
        expect(Number(ready.port), 'a free port, not the default').not.toBe(DEFAULT_PORT);
        expect(await (await fetch(new URL('build-marker.txt', ready))).text()).toBe(marker);
        expect(urls.local).toBe(urls.ready);
        expect(urls.online).toBe(`${urls.ready}?room=lobby&next=2`);

        // The printed online URL as is (default STUN server included), in two windows.
        const first = await harness.open(urls.online);
        shoot(first.page, 'start-first');
        const second = await harness.open(urls.online);
        shoot(second.page, 'start-second');
        const pages = [first.page, second.page];
        for (const page of pages) {
          await waitForDemo(page, 'window.rbnDemo?.state === "Playing"', HANG_MS);
          await waitForDemo(page, 'window.rbnDemo.confirmedGameTick > 60', HANG_MS);
        }
        await hold(first.page, ['KeyD'], 18);
        const reached = await Promise.all(
          pages.map((p) => p.evaluate(() => window.rbnDemo?.confirmedGameTick ?? 0)),
        );
        const common = Math.max(...reached);
        for (const page of pages) {
          await waitForDemo(page, `window.rbnDemo.confirmedGameTick >= ${common}`, HANG_MS);
        }
        const seen = await Promise.all(
          pages.map((p) =>
            p.evaluate(
              (t) => ({ isHost: window.rbnDemo?.['isHost'], hash: window.rbnDemo?.hashAt(t) }),
              common,
            ),
          ),
        );
        expect(seen[0]?.hash, JSON.stringify({ common, seen })).toBeDefined();
        expect(seen[0]?.hash, JSON.stringify({ common, seen })).toBe(seen[1]?.hash);
        expect(seen.map((s) => s.isHost).sort()).toEqual([false, true]);
        expect([...first.errors, ...second.errors]).toEqual([]);
      });

      command.child.kill('SIGTERM');
      const exit = await within(
        command.exited,
        30_000,
        'the start command did not exit on SIGTERM',
      );
      expect(exit, `start command output:\n${command.output()}`).toEqual({ code: 0, signal: null });
    } finally {
      if (command.child.exitCode === null && command.child.signalCode === null) {
        command.child.kill('SIGKILL');
      }
    }
  }, 360_000);
});
