// What the others see when a page dies without a word (its renderer killed) and when a page is
// merely hidden: the first is marked away within about a second (by the host's away detection
// or the WebRTC transport's keepalive, whichever comes first), so the room plays on, and it
// leaves once its reconnect window ran out; the second stays in the room.
import { SignalingClient } from '@rbn/online';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { STEP_CAP_MS, useBrowserTestBed } from '../src/browser';
import {
  departures,
  memberships,
  pageSawDeparture,
  pageSawEvent,
  progress,
  setHidden,
} from '../src/pages';
import { forgetEvents, hostStatus, playOnAndAgree, threePlayers } from '../src/rooms';
import { HOST_LOSS_GRACE_MS } from '../src/node-peers';

const { start, peers, harness } = useBrowserTestBed();

/** The transport's default keepalive timeout, in frames at 60 Hz (1000 ms). */
const KEEPALIVE_TIMEOUT_FRAMES = 60;
/** How long the host keeps a lost player's slot in the killed-page test. */
const RECONNECT_WINDOW_MS = 3000;
/**
 * The session's own silence timeout in these tests: far beyond every hang cap, so only the
 * transport can be what notices a dead peer.
 */
const SESSION_DISCONNECT_TIMEOUT_MS = 600_000;

describe('page liveness in Chromium', () => {
  it("a killed page (renderer crashed, no goodbye) is marked away within about a second, so the others stall at most a few keepalive timeouts' worth of frames and play on; it leaves when its reconnect window runs out", async () => {
    const { url, host, hostSaw, pages } = await threePlayers(
      { peers, harness, start },
      'killed',
      { disconnectTimeout: SESSION_DISCONNECT_TIMEOUT_MS, reconnectWindowMs: RECONNECT_WINDOW_MS },
      // A socket that drops without `leave` keeps its id for two minutes: the signaling server
      // cannot be what reports a page gone within these tests' caps.
      { resumeGraceMs: 120_000 },
    );
    const [stay, victim] = pages;
    const status = hostStatus(peers, hostSaw);
    const victimId = (await progress(victim.page)).playerId;
    const observer = new SignalingClient({ url, WebSocket, reconnect: false });
    const signalingGone: string[] = [];
    observer.on('peer-left', (id) => signalingGone.push(id));
    await observer.connect();
    try {
      const hostStallsBefore = host.driver.stalls;
      const stayStallsBefore = (await progress(stay.page)).stalls;
      const victimAways = async () =>
        (await memberships(stay.page)).filter(
          (d) => d.playerId === victimId && d.event === 'playerAway',
        );
      // A loaded machine may have stalled a page past the keepalive as the game began.
      const stayAwaysBefore = (await victimAways()).length;
      forgetEvents(hostSaw);
      const crashed = new Promise<void>((resolve) => victim.page.once('crash', () => resolve()));
      const cdp = await victim.page.context().newCDPSession(victim.page);
      // The renderer dies at once: no pagehide, no unload, no goodbye on any channel.
      cdp.send('Page.crash').catch(() => undefined);
      await crashed;

      await Promise.all([
        peers.waits.until(
          () => hostSaw.away.has(victimId),
          'the host marking the killed page away (its away detection or the transport keepalive should notice in ~1 s)',
          60_000,
          status,
        ),
        pageSawEvent(
          stay.page,
          'the other page',
          victimId,
          'playerAway',
          60_000,
          stayAwaysBefore + 1,
        ),
      ]);
      const hostStalled = (hostSaw.away.get(victimId) ?? Infinity) - hostStallsBefore;
      const staySeen = (await victimAways()).at(-1);
      const stayStalled = (staySeen?.stalls ?? Infinity) - stayStallsBefore;
      // Counted in frames, not time: a loaded machine runs fewer frames per second, not more.
      expect(hostStalled).toBeLessThan(3 * KEEPALIVE_TIMEOUT_FRAMES);
      expect(stayStalled).toBeLessThan(3 * KEEPALIVE_TIMEOUT_FRAMES);

      // Its slot is kept for the reconnect window, then released: everyone sees it leave.
      await Promise.all([
        peers.waits.until(
          () => hostSaw.left.has(victimId),
          `the host releasing the killed page's slot (reconnect window ${RECONNECT_WINDOW_MS} ms)`,
          60_000,
          status,
        ),
        pageSawDeparture(stay.page, 'the other page', victimId, 60_000),
      ]);
      // No goodbye reached the server: it still counts the page in (its resume grace is 2 min).
      expect(signalingGone).not.toContain(victimId);
      // Nobody waited for it while the slot was kept: the away player's inputs were decided for
      // it (fewer stalls than one keepalive timeout's worth over the whole window).
      expect(host.driver.stalls - hostStallsBefore).toBeLessThan(
        hostStalled + KEEPALIVE_TIMEOUT_FRAMES,
      );

      await playOnAndAgree(peers, host, hostSaw, [stay.page], 300);
      expect(host.session.players.size).toBe(2);
      expect((await progress(stay.page)).players).toBe(2);
    } finally {
      observer.close();
    }
  });

  it('a hidden page says it is away, so its JavaScript stopping for two seconds stalls nobody; visible again, it is back in its slot', async () => {
    const { host, hostSaw, pages } = await threePlayers(
      { peers, harness, start },
      'hidden',
      { mesh: true },
      { resumeGraceMs: 120_000 },
    );
    const [stay, hidden] = pages;
    const status = hostStatus(peers, hostSaw);
    const hiddenId = (await progress(hidden.page)).playerId;
    const hiddenSlot = (await progress(hidden.page)).slot;
    const cdp = await hidden.page.context().newCDPSession(hidden.page);
    await cdp.send('Debugger.enable');
    const stallsBefore = host.driver.stalls;
    forgetEvents(hostSaw);
    await setHidden(hidden.page, true);
    // Hidden, it says so before it stops (joinOnline listens to visibilitychange).
    await peers.waits.until(
      () => hostSaw.away.has(hiddenId),
      'the host hearing the hidden page say it is away',
      60_000,
      status,
    );
    // A hidden tab's timers may not run for a while: stop the page's JavaScript outright (the
    // debugger pauses it at its next timer) for twice the transport's 1 s keepalive timeout,
    // well inside the 4 s a hidden page's announced 1 s keepalive interval buys it.
    // (`Page.setWebLifecycleState` 'frozen' does not stop the timers of these headless pages.)
    const paused = new Promise<void>((resolve) => cdp.once('Debugger.paused', () => resolve()));
    await cdp.send('Debugger.pause');
    await paused;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await cdp.send('Debugger.resume');
    await cdp.send('Debugger.disable');
    await setHidden(hidden.page, false);
    const resumedAt = host.session.currentTick;
    await peers.waits.until(
      () => host.session.currentTick >= resumedAt + 120,
      'the host playing 120 ticks after the page came back',
      60_000,
      status,
    );
    expect([...hostSaw.left.keys()]).toEqual([]);
    // Away before it stopped: the host never waited for it (a loaded machine's own stalls
    // aside, fewer than one keepalive timeout's worth of frames).
    expect(host.driver.stalls - stallsBefore).toBeLessThan(KEEPALIVE_TIMEOUT_FRAMES);
    await peers.waits.until(
      () => hostSaw.back.has(hiddenId),
      'the host seeing the page back once visible',
      60_000,
      status,
    );

    await playOnAndAgree(peers, host, hostSaw, [stay.page, hidden.page], 300);
    expect([...hostSaw.left.keys()]).toEqual([]);
    expect((await progress(hidden.page)).slot).toBe(hiddenSlot);
    expect(await departures(stay.page)).toEqual([]);
    expect(await departures(hidden.page)).toEqual([]);
    expect(host.session.players.has(hiddenId)).toBe(true);
    expect(host.session.players.size).toBe(3);
  });
  it("a page whose main thread stalls past the away threshold again and again is marked away and back each time, and every tick it reported confirmed agrees with the host's", async () => {
    const { host, hostSaw, pages } = await threePlayers({ peers, harness, start }, 'janky');
    const [stay, janky] = pages;
    const jankyId = (await progress(janky.page)).playerId;
    const status = hostStatus(peers, hostSaw);
    forgetEvents(hostSaw);
    // Four stalls of 0.7 to 1.3 s (a long task, a garbage collection, a busy tab), each past
    // the 500 ms away threshold: messages queue up meanwhile and arrive together afterwards.
    for (const ms of [700, 1300, 900, 1100]) {
      await janky.page.evaluate((busyMs) => {
        const end = performance.now() + busyMs;
        while (performance.now() < end);
      }, ms);
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
    await peers.waits.until(
      () => hostSaw.away.has(jankyId),
      'the host marking the stalled page away',
      60_000,
      status,
    );
    // Compared from the first tick: a stall must not make a page report a tick confirmed
    // while its game still holds a prediction of it (what a stalled page once did).
    await playOnAndAgree(peers, host, hostSaw, [stay.page, janky.page], 300);
    expect([...hostSaw.left.keys()]).toEqual([]);
    expect(host.session.players.size).toBe(3);
  });

  it('a host whose main thread stalls past every keepalive keeps its room: the pages reconnect to it in their slots, nobody takes over, and all agree', async () => {
    const { host, hostSaw, pages } = await threePlayers(
      { peers, harness, start },
      'stalled-host',
      // The test bed's grace (every test's): the pages' reconnect goes through the starved Node
      // process (its signaling server and WebRTC stack) after the stall, which took over 3 s
      // on a loaded machine. Named here, as this test is about that grace.
      { mesh: true, hostLossGraceMs: HOST_LOSS_GRACE_MS },
      { resumeGraceMs: 120_000 },
    );
    const status = hostStatus(peers, hostSaw);
    const before = await Promise.all(pages.map(({ page }) => progress(page)));
    forgetEvents(hostSaw);
    // The whole Node process stops for 2.5 s (the host, its WebRTC stack, the signaling
    // server): both pages' keepalives give up on the host at once, as they do when a host's
    // tab is busy. They reconnect to it and give it hostLossGraceMs before taking over.
    const until = performance.now() + 2500;
    while (performance.now() < until) {
      // a busy main thread
    }
    await peers.waits.until(
      () =>
        before.every(({ playerId }) => !hostSaw.away.has(playerId) || hostSaw.back.has(playerId)),
      'the host having both pages back (each that it saw away)',
      STEP_CAP_MS,
      status,
    );
    await playOnAndAgree(
      peers,
      host,
      hostSaw,
      pages.map(({ page }) => page),
      300,
    );
    expect(host.session.isHost).toBe(true);
    expect(host.session.players.size).toBe(3);
    expect([...hostSaw.left.keys()]).toEqual([]);
    for (const [i, { page }] of pages.entries()) {
      const seen = await memberships(page);
      expect(
        seen.filter((m) => m.event === 'hostChanged' || m.event === 'playerLeft'),
        `page #${i}: ${JSON.stringify(seen)}`,
      ).toEqual([]);
      expect((await progress(page)).slot).toBe(before[i]!.slot);
    }
  });
});
