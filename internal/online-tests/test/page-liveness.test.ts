// What the others see when a page dies without a word (its renderer killed) and when a page is
// merely hidden: the first is dropped within about a second by the WebRTC transport's
// keepalive, and the room plays on; the second stays in the room.
import { SignalingClient } from '@rbn/online';
import type { Page } from 'playwright-core';
import { Topology } from '@rbn/session';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { useBrowserTestBed } from '../src/browser';
import { compareConfirmed } from '../src/driver';
import type { NodePeer } from '../src/node-peers';
import {
  confirmedHashes,
  departures,
  join,
  pageConfirmed,
  pageSawDeparture,
  progress,
  setHidden,
} from '../src/pages';

const { start, peers, harness } = useBrowserTestBed();

/** The transport's default keepalive timeout, in frames at 60 Hz (2000 ms). */
const KEEPALIVE_TIMEOUT_FRAMES = 120;
/**
 * The session's own silence timeout in these tests: far beyond every hang cap, so only the
 * transport can be what notices a dead peer.
 */
const SESSION_DISCONNECT_TIMEOUT_MS = 600_000;

/** Which members a Node peer saw leave (or dropped), with its stalled frames at that moment. */
function watchDepartures(peer: NodePeer): Map<string, number> {
  const seen = new Map<string, number>();
  const note = (playerId: string): void => {
    if (!seen.has(playerId)) seen.set(playerId, peer.driver.stalls);
    peers.waits.check();
  };
  peer.session.on('playerLeft', (player) => note(player.playerId));
  peer.session.on('playerDropped', (playerId) => note(playerId));
  return seen;
}

/** A Node host and two pages in one room, playing, every one past tick 120. */
async function threePlayers(room: string, mesh: boolean, disconnectTimeout?: number) {
  // A socket that drops without `leave` keeps its id for two minutes: the signaling server
  // cannot be what reports a page gone within these tests' caps.
  const server = await start({ resumeGraceMs: 120_000 });
  const url = `${server.wsUrl}/${room}`;
  const config = {
    hashInterval: 30,
    ...(mesh ? { topology: Topology.Mesh } : {}),
    ...(disconnectTimeout ? { disconnectTimeout } : {}),
  };
  const host = await peers.join(url, 0, { config });
  const pages = [await harness.open(), await harness.open()] as const;
  const options = { mesh, ...(disconnectTimeout ? { disconnectTimeout } : {}) };
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
  it("a killed page (renderer crashed, no goodbye) is dropped by the transport's keepalive; the others stall at most a few keepalive timeouts' worth of frames and play on", async () => {
    const { url, host, pages } = await threePlayers('killed', false, SESSION_DISCONNECT_TIMEOUT_MS);
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
          () => hostSaw.has(victimId),
          'the host dropping the killed page (the transport keepalive should notice in ~1 s)',
          60_000,
          peers.status,
        ),
        pageSawDeparture(stay.page, 'the other page', victimId, 60_000),
      ]);
      // No goodbye reached the server: it still counts the page in (its resume grace is 2 min).
      expect(signalingGone).not.toContain(victimId);

      const hostStalled = (hostSaw.get(victimId) ?? Infinity) - hostStallsBefore;
      const staySeen = (await departures(stay.page)).find((d) => d.playerId === victimId);
      const stayStalled = (staySeen?.stalls ?? Infinity) - stayStallsBefore;
      // Counted in frames, not time: a loaded machine runs fewer frames per second, not more.
      expect(hostStalled).toBeLessThan(3 * KEEPALIVE_TIMEOUT_FRAMES);
      expect(stayStalled).toBeLessThan(3 * KEEPALIVE_TIMEOUT_FRAMES);

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
    expect([...hostSaw.keys()]).toEqual([]);

    await playOnAndAgree(host, stay.page, 300);
    await pageConfirmed(
      hidden.page,
      'the hidden page',
      host.session.confirmedTick,
      240_000,
      peers.status,
    );
    expect([...hostSaw.keys()]).toEqual([]);
    expect(await departures(stay.page)).toEqual([]);
    expect(await departures(hidden.page)).toEqual([]);
    expect(host.session.players.has(hiddenId)).toBe(true);
    expect(host.session.players.size).toBe(3);
  });
});
