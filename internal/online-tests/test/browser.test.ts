import { SignalingClient } from '@rbn/online';
import type { Page } from 'playwright-core';
import { Topology } from '@rbn/session';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { STEP_CAP_MS, useBrowserTestBed } from '../src/browser';
import { compareConfirmed, describeDisagreement } from '../src/driver';
import { summary, watchMembers } from '../src/rooms';
import { confirmedHashes, join, pageConfirmed as confirmedOnPage, progress } from '../src/pages';

const { start, peers, harness } = useBrowserTestBed();

/** Waits until the page confirmed `tick` (the hang cap names the Node peers' state too). */
function pageConfirmed(page: Page, name: string, tick: number, capMs: number) {
  return confirmedOnPage(page, name, tick, capMs, peers.status);
}

describe('joinOnline in Chromium', () => {
  it('two pages (separate contexts) and a Node peer meet with ?next=3, play 600+ ticks and end at the same confirmed hashes', async () => {
    const server = await start();
    const url = `${server.wsUrl}/browsers?next=3`;
    // The Node peer comes first, so it hosts (the group's oldest member) and starts the game.
    const host = await peers.join(url, 0);
    const hostSaw = watchMembers(peers, host);
    const pages = [await harness.open(), await harness.open()];
    await Promise.all(pages.map(({ page }, i) => join(page, url, i + 1)));
    const TICKS = 620;
    await Promise.all([
      peers.allConfirmed(TICKS, STEP_CAP_MS),
      ...pages.map(({ page }, i) => pageConfirmed(page, `page ${i + 1}`, TICKS, STEP_CAP_MS)),
    ]);
    const fromPages = await Promise.all(pages.map(({ page }) => confirmedHashes(page)));
    const result = compareConfirmed([host.game, ...fromPages]);
    const context = describeDisagreement([host.game, ...fromPages], result, summary(hostSaw));
    expect(result.to).toBeGreaterThanOrEqual(600);
    expect(result.missing, context).toEqual([]);
    expect(result.mismatches, context).toEqual([]);
    expect(host.session.players.size).toBe(3);
    expect(fromPages.flatMap((p) => p.errors)).toEqual([]);
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });

  it('plays 3 players in mesh (a page among them) and takes a late-joining page in; all end at the same confirmed hashes', async () => {
    const server = await start();
    const url = `${server.wsUrl}/browser-mesh`;
    const config = { hashInterval: 30, topology: Topology.Mesh };
    // Without ?next the room's first peer hosts: the Node peer, which starts the game.
    const host = await peers.join(url, 0, { config });
    const hostSaw = watchMembers(peers, host);
    const first = await harness.open();
    await Promise.all([join(first.page, url, 1, { mesh: true }), peers.join(url, 2, { config })]);
    await peers.waits.until(
      () => host.session.players.size === 3,
      'the host seeing 3 players',
      60_000,
      peers.status,
    );
    host.session.start();
    await peers.allConfirmed(200, STEP_CAP_MS);

    const late = await harness.open();
    await join(late.page, url, 3, { mesh: true });
    const TICKS = 620;
    await Promise.all([
      peers.allConfirmed(TICKS, STEP_CAP_MS),
      pageConfirmed(first.page, 'the first page', TICKS, STEP_CAP_MS),
      pageConfirmed(late.page, 'the late page', TICKS, STEP_CAP_MS),
    ]);
    const [fromFirst, fromLate] = await Promise.all([
      confirmedHashes(first.page),
      confirmedHashes(late.page),
    ]);
    const nodes = peers.peers.map((p) => p.game);
    const early = compareConfirmed([...nodes, fromFirst]);
    const earlyContext = describeDisagreement([...nodes, fromFirst], early, summary(hostSaw));
    expect(early.to).toBeGreaterThanOrEqual(600);
    expect(early.missing, earlyContext).toEqual([]);
    expect(early.mismatches, earlyContext).toEqual([]);
    const withLate = compareConfirmed(
      [...nodes, fromFirst, fromLate],
      Math.min(...fromLate.hashes.keys()),
    );
    const lateContext = describeDisagreement(
      [...nodes, fromFirst, fromLate],
      withLate,
      summary(hostSaw),
    );
    expect(withLate.to - withLate.from).toBeGreaterThan(100);
    expect(withLate.missing, lateContext).toEqual([]);
    expect(withLate.mismatches, lateContext).toEqual([]);
    expect(host.session.players.size).toBe(4);
    expect([...fromFirst.errors, ...fromLate.errors, ...first.errors, ...late.errors]).toEqual([]);
  });

  it('a closed page says goodbye (pagehide → leave), and the host and the other page play on and agree', async () => {
    // A socket that drops without `leave` keeps its id for the resume grace window: with two
    // minutes of grace, only the page's own goodbye can make the server report it gone within
    // the hang cap below.
    const server = await start({ resumeGraceMs: 120_000 });
    const url = `${server.wsUrl}/goodbye`;
    const host = await peers.join(url, 0);
    const hostSaw = watchMembers(peers, host);
    const observer = new SignalingClient({ url, WebSocket, reconnect: false });
    await observer.connect();
    const gone: string[] = [];
    observer.on('peer-left', (id) => {
      gone.push(id);
      peers.waits.check();
    });
    try {
      const pages = [await harness.open(), await harness.open()];
      await Promise.all(pages.map(({ page }, i) => join(page, url, i + 1)));
      await peers.waits.until(
        () => host.session.players.size === 3,
        'the host seeing 3 players',
        60_000,
        peers.status,
      );
      host.session.start();
      await Promise.all([
        peers.allConfirmed(120, STEP_CAP_MS),
        ...pages.map(({ page }, i) => pageConfirmed(page, `page ${i + 1}`, 120, STEP_CAP_MS)),
      ]);
      const [stay, leave] = pages as [(typeof pages)[0], (typeof pages)[0]];
      const leaving = (await progress(leave.page)).playerId;
      const left: string[] = [];
      host.session.on('playerLeft', (player) => left.push(player.playerId));
      await leave.page.close();
      await peers.waits.until(
        () => gone.includes(leaving) && left.includes(leaving),
        "the closed page's goodbye reaching the server and the host",
        30_000,
        () => `${peers.status()} | signaling gone [${gone.join(', ')}]`,
      );
      const from = Math.max(host.session.confirmedTick, 0);
      await Promise.all([
        peers.allConfirmed(from + 120, STEP_CAP_MS),
        pageConfirmed(stay.page, 'the page that stayed', from + 120, STEP_CAP_MS),
      ]);
      const games = [host.game, await confirmedHashes(stay.page)];
      const result = compareConfirmed(games);
      const context = describeDisagreement(games, result, summary(hostSaw));
      expect(result.to).toBeGreaterThanOrEqual(from + 120);
      expect(result.missing, context).toEqual([]);
      expect(result.mismatches, context).toEqual([]);
      expect(host.session.players.size).toBe(2);
    } finally {
      observer.close();
    }
  });
});
