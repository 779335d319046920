// What the others see when a page dies without a word (its renderer killed) and when a page is
// merely hidden: the first is marked away within about a second (by the host's away detection
// or the WebRTC transport's keepalive, whichever comes first), so the room plays on, and it
// leaves once its reconnect window ran out; the second stays in the room.
import { SignalingClient } from '@rbn/online';
import type { Page } from 'playwright-core';
import { Topology } from '@rbn/session';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startBrowserHarness } from '../src/browser';
import type { BrowserHarness } from '../src/browser';
import { compareConfirmed } from '../src/driver';
import { NodePeers } from '../src/node-peers';
import type { NodePeer } from '../src/node-peers';
import {
  confirmedHashes,
  departures,
  join,
  memberships,
  pageConfirmed,
  pageSawDeparture,
  pageSawEvent,
  progress,
  setHidden,
} from '../src/pages';
import { useSignalingServers } from '../src/signaling-server';

const { start } = useSignalingServers();
let harness: BrowserHarness;
const peers = new NodePeers();

beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterEach(() => peers.closeAll());
afterAll(async () => {
  await harness.close();
});

/** The transport's default keepalive timeout, in frames at 60 Hz (1000 ms). */
const KEEPALIVE_TIMEOUT_FRAMES = 60;
/** How long the host keeps a lost player's slot in the killed-page test. */
const RECONNECT_WINDOW_MS = 3000;
/**
 * The session's own silence timeout in these tests: far beyond every hang cap, so only the
 * transport can be what notices a dead peer.
 */
const SESSION_DISCONNECT_TIMEOUT_MS = 600_000;

/**
 * Which members a Node peer saw leave (or dropped), and which it saw away, with its stalled
 * frames at that moment.
 */
function watchDepartures(peer: NodePeer): { left: Map<string, number>; away: Map<string, number> } {
  const left = new Map<string, number>();
  const away = new Map<string, number>();
  const note = (seen: Map<string, number>, playerId: string): void => {
    if (!seen.has(playerId)) seen.set(playerId, peer.driver.stalls);
    peers.waits.check();
  };
  peer.session.on('playerLeft', (player) => note(left, player.playerId));
  peer.session.on('playerDropped', (playerId) => note(left, playerId));
  peer.session.on('playerAway', (playerId) => note(away, playerId));
  return { left, away };
}

/** A Node host and two pages in one room, playing, every one past tick 120. */
async function threePlayers(
  room: string,
  mesh: boolean,
  disconnectTimeout?: number,
  reconnectWindowMs?: number,
) {
  // A socket that drops without `leave` keeps its id for two minutes: the signaling server
  // cannot be what reports a page gone within these tests' caps.
  const server = await start({ resumeGraceMs: 120_000 });
  const url = `${server.wsUrl}/${room}`;
  const config = {
    hashInterval: 30,
    ...(mesh ? { topology: Topology.Mesh } : {}),
    ...(disconnectTimeout ? { disconnectTimeout } : {}),
    ...(reconnectWindowMs ? { reconnectWindowMs } : {}),
  };
  const host = await peers.join(url, 0, { config });
  const pages = [await harness.open(), await harness.open()] as const;
  const options = {
    mesh,
    ...(disconnectTimeout ? { disconnectTimeout } : {}),
    ...(reconnectWindowMs ? { reconnectWindowMs } : {}),
  };
  await Promise.all(pages.map(({ page }, i) => join(page, url, i + 1, options)));
  await peers.waits.until(
    () => host.session.players.size === 3,
    'the host seeing 3 players',
    60_000,
    peers.status,
  );
  host.session.start();
  await Promise.all([
    peers.allConfirmed(120, 240_000),
    ...pages.map(({ page }, i) => pageConfirmed(page, `page ${i + 1}`, 120, 240_000, peers.status)),
  ]);
  return { url, host, pages };
}

/** Every survivor confirms `ahead` more ticks, and they agree on every confirmed hash. */
async function playOnAndAgree(host: NodePeer, page: Page, ahead: number) {
  const from = Math.max(host.session.confirmedTick, 0);
  await Promise.all([
    peers.allConfirmed(from + ahead, 240_000),
    pageConfirmed(page, 'the other page', from + ahead, 240_000, peers.status),
  ]);
  const fromPage = await confirmedHashes(page);
  const result = compareConfirmed([
    { hashes: host.game.hashes, confirmed: host.session.confirmedTick },
    fromPage,
  ]);
  expect(result.to).toBeGreaterThanOrEqual(from + ahead);
  expect(result.missing).toEqual([]);
  expect(result.mismatches).toEqual([]);
  expect([...fromPage.errors, ...host.driver.errors.map((e) => e.message)]).toEqual([]);
}

describe('page liveness in Chromium', () => {
  it("a killed page (renderer crashed, no goodbye) is marked away within about a second, so the others stall at most a few keepalive timeouts' worth of frames and play on; it leaves when its reconnect window runs out", async () => {
    const { url, host, pages } = await threePlayers(
      'killed',
      false,
      SESSION_DISCONNECT_TIMEOUT_MS,
      RECONNECT_WINDOW_MS,
    );
    const [stay, victim] = pages;
    const victimId = (await progress(victim.page)).playerId;
    const hostSaw = watchDepartures(host);
    const observer = new SignalingClient({ url, WebSocket, reconnect: false });
    const signalingGone: string[] = [];
    observer.on('peer-left', (id) => signalingGone.push(id));
    await observer.connect();
    try {
      const hostStallsBefore = host.driver.stalls;
      const stayStallsBefore = (await progress(stay.page)).stalls;
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
          peers.status,
        ),
        pageSawEvent(stay.page, 'the other page', victimId, 'playerAway', 60_000),
      ]);
      const hostStalled = (hostSaw.away.get(victimId) ?? Infinity) - hostStallsBefore;
      const staySeen = (await memberships(stay.page)).find(
        (d) => d.playerId === victimId && d.event === 'playerAway',
      );
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
          peers.status,
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

      await playOnAndAgree(host, stay.page, 300);
      expect(host.session.players.size).toBe(2);
      expect((await progress(stay.page)).players).toBe(2);
    } finally {
      observer.close();
    }
  });

  it('a hidden page whose JavaScript stops for two seconds stays in the room (it announced its slower keepalive)', async () => {
    const { host, pages } = await threePlayers('hidden', true);
    const [stay, hidden] = pages;
    const hiddenId = (await progress(hidden.page)).playerId;
    const hostSaw = watchDepartures(host);
    const cdp = await hidden.page.context().newCDPSession(hidden.page);
    await cdp.send('Debugger.enable');
    await setHidden(hidden.page, true);
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
      peers.status,
    );
    expect([...hostSaw.left.keys()]).toEqual([]);

    await playOnAndAgree(host, stay.page, 300);
    await pageConfirmed(
      hidden.page,
      'the hidden page',
      host.session.confirmedTick,
      240_000,
      peers.status,
    );
    expect([...hostSaw.left.keys()]).toEqual([]);
    expect(await departures(stay.page)).toEqual([]);
    expect(await departures(hidden.page)).toEqual([]);
    expect(host.session.players.has(hiddenId)).toBe(true);
    expect(host.session.players.size).toBe(3);
  });
});
