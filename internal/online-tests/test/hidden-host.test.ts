import { SessionState } from '@rbn/session';
import { describe, expect, it } from 'vitest';
import { STEP_CAP_MS, useBrowserTestBed } from '../src/browser';
import { compareConfirmed, describeDisagreement } from '../src/driver';
import type { NodePeer } from '../src/node-peers';
import { summary, watchMembers } from '../src/rooms';
import type { Watched } from '../src/rooms';
import { join, progress, runLoop, setHidden } from '../src/pages';

const { start, peers, harness } = useBrowserTestBed();

/**
 * Checks that each guest sees `players` members and had no error, and that their confirmed
 * hashes agree.
 * @returns The newest tick they all confirmed.
 */
function guestsAgree(guests: NodePeer[], players: number, saw: Watched): number {
  for (const guest of guests) {
    expect(guest.session.players.size).toBe(players);
    expect(guest.driver.errors).toEqual([]);
  }
  const games = guests.map((g) => g.game);
  const result = compareConfirmed(games);
  const context = describeDisagreement(games, result, summary(saw));
  expect(result.missing, context).toEqual([]);
  expect(result.mismatches, context).toEqual([]);
  return result.to;
}

describe('a hidden host page (Chromium, @rbn/online)', () => {
  it('keeps its room running while its game loop is stopped: joinOnline ticks it from a worker, nobody waits, nobody takes over', async () => {
    const server = await start();
    const url = `${server.wsUrl}/hidden-host?next=3`;
    // The page comes first, so it hosts; the group of three starts by itself.
    const { page } = await harness.open();
    await join(page, url, 0);
    const guests = [await peers.join(url, 1), await peers.join(url, 2)];
    const guestSaw = watchMembers(peers, guests[0]!);
    const hostChanges: string[] = [];
    for (const guest of guests) guest.session.on('hostChanged', (id) => hostChanges.push(id));
    await peers.allConfirmed(120, STEP_CAP_MS);
    expect((await progress(page)).isHost).toBe(true);

    // Hidden: a page's animation frames stop, so its game loop stops with them.
    await setHidden(page, true);
    await runLoop(page, false);
    const from = Math.max(...guests.map((g) => g.game.confirmed));
    const stallsBefore = guests.map((g) => g.driver.stalls);
    const framesBefore = guests.map((g) => g.session.currentTick);
    await peers.allConfirmed(from + 300, STEP_CAP_MS);
    // The guests played on: most of their frames advanced. (Without the host's ticks they
    // stall outright, until they count it as lost and a successor takes over.)
    for (const [i, guest] of guests.entries()) {
      const frames = guest.session.currentTick - framesBefore[i]!;
      const stalls = guest.driver.stalls - stallsBefore[i]!;
      expect(stalls, `guest ${i + 1}: ${stalls} stalled frames, ${frames} ticks`).toBeLessThan(
        frames / 2,
      );
    }

    await setHidden(page, false);
    await runLoop(page, true);
    const back = Math.max(...guests.map((g) => g.game.confirmed));
    await peers.allConfirmed(back + 120, STEP_CAP_MS);
    const after = await progress(page);
    expect(after.isHost).toBe(true);
    expect(after.errors).toEqual([]);
    expect(after.players).toBe(3);
    expect(hostChanges).toEqual([]);
    expect(guestSaw.left.size).toBe(0);
    expect(guestsAgree(guests, 3, guestSaw)).toBeGreaterThanOrEqual(back + 120);
  });
});

describe('a host page whose game loop stops (Chromium, @rbn/online)', () => {
  it('hands the room on once its messages kept coming for disconnectTimeout without a tick: a guest takes over and the game goes on', async () => {
    const server = await start();
    const url = `${server.wsUrl}/stopped-loop?next=3`;
    const { page } = await harness.open();
    await join(page, url, 0, { disconnectTimeout: 2000 });
    const guests = [
      await peers.join(url, 1, { config: { disconnectTimeout: 2000 } }),
      await peers.join(url, 2, { config: { disconnectTimeout: 2000 } }),
    ];
    const guestSaw = watchMembers(peers, guests[0]!);
    await peers.allConfirmed(120, STEP_CAP_MS);

    // The page stays visible but its loop stops (as one that threw would): its WebRTC links
    // and its message handler live on, so without the handover nobody counts it as lost.
    await runLoop(page, false);
    await peers.waits.until(
      () => guests.some((g) => g.session.isHost),
      'a guest taking the room over',
      STEP_CAP_MS,
      peers.status,
    );
    const left = await progress(page);
    expect(left.state).toBe(SessionState.Disconnected);
    expect(left.errors.join('\n')).toMatch(/tick\(\) was not called for 2000 ms/);

    const from = Math.max(...guests.map((g) => g.game.confirmed));
    await peers.allConfirmed(from + 180, STEP_CAP_MS);
    guestsAgree(guests, 2, guestSaw);
  });
});
