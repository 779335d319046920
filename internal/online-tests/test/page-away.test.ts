// Pages that go silent and come back, through @rbn/online and the reference signaling server:
// a page frozen for 10 s (its JavaScript stopped) is marked away, so the others play on at
// full speed, and it comes back in its own slot by itself; a page whose network drops and
// returns is back in its slot. Waits count ticks, not milliseconds.
import { describe, expect, it } from 'vitest';
import { STEP_CAP_MS, useBrowserTestBed } from '../src/browser';
import {
  departures,
  goOffline,
  memberships,
  pageConfirmed,
  pageSawEvent,
  progress,
} from '../src/pages';
import { forgetEvents, playOnAndAgree, threePlayers } from '../src/rooms';

const { start, peers, harness } = useBrowserTestBed();

/** The session's default away threshold (`awayAfterMs`, 500 ms), in frames at 60 Hz. */
const AWAY_AFTER_FRAMES = 30;
/** Ten seconds of the host's game at 60 Hz. */
const TEN_SECONDS_OF_TICKS = 600;

describe('pages that go silent and come back (Chromium, @rbn/online)', () => {
  it('a page frozen for 10 s stalls the others no longer than the away threshold and resumes in its slot', async () => {
    const ctx = { peers, harness, start };
    const { host, hostSaw, pages } = await threePlayers(
      ctx,
      'frozen',
      {},
      { resumeGraceMs: 120_000 },
    );
    const [stay, frozen] = pages;
    const { playerId: frozenId, slot: frozenSlot } = await progress(frozen.page);
    const cdp = await frozen.page.context().newCDPSession(frozen.page);
    const hostStallsBefore = host.driver.stalls;
    const stayStallsBefore = (await progress(stay.page)).stalls;
    const frozenAways = async () =>
      (await memberships(stay.page)).filter(
        (d) => d.playerId === frozenId && d.event === 'playerAway',
      );
    // A loaded machine may have stalled a page past the away threshold as the game began.
    const stayAwaysBefore = (await frozenAways()).length;
    forgetEvents(hostSaw);

    // Frozen as a browser freezes a background tab; the debugger also stops its JavaScript at
    // its next timer, as `frozen` alone does not stop the timers of these headless pages.
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    await cdp.send('Debugger.enable');
    const paused = new Promise<void>((resolve) => cdp.once('Debugger.paused', () => resolve()));
    await cdp.send('Debugger.pause');
    await paused;
    const frozenAt = host.session.currentTick;
    await peers.waits.until(
      () => host.session.currentTick >= frozenAt + TEN_SECONDS_OF_TICKS,
      'the host playing 10 s of ticks while the page is frozen',
      STEP_CAP_MS,
      peers.status,
    );
    // What the others stalled until they saw it away: afterwards it holds nobody up (a loaded
    // machine's own hiccups over the 10 s, which stall everyone alike, are not its doing).
    const hostStalled = (hostSaw.away.get(frozenId) ?? Infinity) - hostStallsBefore;
    await pageSawEvent(
      stay.page,
      'the other page',
      frozenId,
      'playerAway',
      60_000,
      stayAwaysBefore + 1,
    );
    const staySeen = (await frozenAways()).at(-1);
    const stayStalled = (staySeen?.stalls ?? Infinity) - stayStallsBefore;
    await cdp.send('Debugger.resume');
    await cdp.send('Debugger.disable');
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });

    // The others were held up only until the host marked it away (counted in frames: a loaded
    // machine runs fewer frames per second, not more; the margin is for its own stalls).
    expect(hostSaw.away.has(frozenId)).toBe(true);
    expect(hostStalled).toBeLessThan(3 * AWAY_AFTER_FRAMES);
    expect(stayStalled).toBeLessThan(3 * AWAY_AFTER_FRAMES);

    await peers.waits.until(
      () => hostSaw.back.has(frozenId),
      'the host seeing the frozen page back (reconnect, rejoin, state transfer)',
      120_000,
      peers.status,
    );
    await playOnAndAgree(peers, host, hostSaw, [stay.page, frozen.page], 300);
    const after = await progress(frozen.page);
    expect(after.playerId).toBe(frozenId);
    expect(after.slot).toBe(frozenSlot);
    expect(host.session.players.get(frozenId)?.slot).toBe(frozenSlot);
    expect(host.session.players.size).toBe(3);
    expect([...hostSaw.left.keys()]).toEqual([]);
    expect(await departures(stay.page)).toEqual([]);
  });

  it('a page whose network drops (signaling offline, WebRTC links cut) and returns reconnects by itself and is back in its slot', async () => {
    const ctx = { peers, harness, start };
    const { host, hostSaw, pages } = await threePlayers(
      ctx,
      'offline',
      {},
      { resumeGraceMs: 120_000 },
    );
    const [stay, dropped] = pages;
    const { playerId: droppedId, slot: droppedSlot } = await progress(dropped.page);
    forgetEvents(hostSaw);
    const offline = await goOffline(dropped.page);
    expect(offline.links).toBeGreaterThan(0);
    const droppedAt = host.session.currentTick;
    await peers.waits.until(
      () => host.session.currentTick >= droppedAt + 300,
      'the host playing 5 s of ticks while the page is offline',
      STEP_CAP_MS,
      peers.status,
    );
    await offline.online();
    expect(hostSaw.away.has(droppedId)).toBe(true);
    await peers.waits.until(
      () => hostSaw.back.has(droppedId),
      'the host seeing the page back (new WebRTC connection, rejoin, state transfer)',
      120_000,
      peers.status,
    );

    await pageConfirmed(
      dropped.page,
      'the page back online',
      host.session.confirmedTick,
      STEP_CAP_MS,
      peers.status,
    );
    await playOnAndAgree(peers, host, hostSaw, [stay.page, dropped.page], 300);
    const after = await progress(dropped.page);
    expect(after.playerId).toBe(droppedId);
    expect(after.slot).toBe(droppedSlot);
    expect(host.session.players.get(droppedId)?.slot).toBe(droppedSlot);
    expect(host.session.players.size).toBe(3);
    expect([...hostSaw.left.keys()]).toEqual([]);
    const ids = `host ${host.session.localPlayerId}, dropped ${droppedId}`;
    const seen = JSON.stringify((await progress(stay.page)).trace.slice(-40));
    expect(await departures(stay.page), `${ids}; the page that stayed: ${seen}`).toEqual([]);
  });
});
