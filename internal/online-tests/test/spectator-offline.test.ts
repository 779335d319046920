// A spectator page whose network drops and returns, through @rbn/online and the reference
// signaling server: it reconnects to the host by itself and watches on in its slot, its
// confirmed hashes those of the host. Waits count ticks, not milliseconds.
import { describe, expect, it } from 'vitest';
import { STEP_CAP_MS, useBrowserTestBed } from '../src/browser';
import { confirmedHashes, goOffline, join, pageConfirmed, progress } from '../src/pages';
import { threePlayers } from '../src/rooms';

const { start, peers, harness } = useBrowserTestBed();

describe('a spectator page that drops (Chromium, @rbn/online)', () => {
  it('a spectator page whose network drops and returns reconnects by itself and watches on in its slot', async () => {
    const ctx = { peers, harness, start };
    const { url, host } = await threePlayers(
      ctx,
      'spectator-offline',
      {},
      { resumeGraceMs: 120_000 },
    );
    const watcher = await harness.open();
    await join(watcher.page, url, 3, { spectator: true });
    await pageConfirmed(
      watcher.page,
      'the spectator',
      host.session.confirmedTick,
      STEP_CAP_MS,
      peers.status,
    );
    const { playerId, slot } = await progress(watcher.page);
    expect(host.session.players.get(playerId)?.slot).toBe(slot);

    const offline = await goOffline(watcher.page);
    expect(offline.links).toBeGreaterThan(0);
    const droppedAt = host.session.currentTick;
    await peers.waits.until(
      () => host.session.currentTick >= droppedAt + 300,
      'the host playing 5 s of ticks while the spectator is offline',
      STEP_CAP_MS,
      peers.status,
    );
    await offline.online();
    await pageConfirmed(
      watcher.page,
      'the spectator back online',
      host.session.confirmedTick + 120,
      // Within the test's timeout, so a spectator that never comes back fails here, named.
      90_000,
      peers.status,
    );
    // It came back from a state near the host's newest: 120 more ticks it simulates itself, to
    // compare (a loaded machine may bring it back only just short of the tick waited for above).
    await pageConfirmed(
      watcher.page,
      'the spectator watching on',
      (await progress(watcher.page)).confirmed + 120,
      STEP_CAP_MS,
      peers.status,
    );
    const after = await progress(watcher.page);
    expect(after.playerId).toBe(playerId);
    expect(after.slot).toBe(slot);
    expect(host.session.players.get(playerId)?.slot).toBe(slot);
    expect(after.errors).toEqual([]);
    // It agrees with the host on every tick both confirmed, before and after the drop.
    const seen = await confirmedHashes(watcher.page);
    let common = 0;
    const mismatches: number[] = [];
    for (const [tick, hash] of seen.hashes) {
      const theirs = host.game.hashes.get(tick);
      if (theirs === undefined) continue;
      common++;
      if (theirs !== hash) mismatches.push(tick);
    }
    expect(mismatches).toEqual([]);
    expect(common).toBeGreaterThan(100);
    expect(seen.revised, 'a spectator never simulates a confirmed tick again').toEqual([]);
  });
});
