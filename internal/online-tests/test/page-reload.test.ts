import type { RejoinStorage } from '@rbn/online';
import { SessionState } from '@rbn/session';
import { afterEach, describe, expect, it } from 'vitest';
import { compareConfirmed } from '../src/driver';
import { NodePeers } from '../src/node-peers';
import type { NodePeer } from '../src/node-peers';
import { useSignalingServers } from '../src/signaling-server';

const { start } = useSignalingServers();
let peers = new NodePeers();
afterEach(() => {
  peers.closeAll();
  peers = new NodePeers();
});

/** A tab's `sessionStorage`. */
class TabStorage implements RejoinStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** The page of `peer` goes away: its loop stops with it (its session is never used again). */
function closePage(page: EventTarget, peer: NodePeer): void {
  page.dispatchEvent(new Event('pagehide'));
  peer.driver.stop();
  peers.peers.splice(peers.peers.indexOf(peer), 1);
}

describe('joinOnline with rejoinStorage', () => {
  it('a guest page reloaded mid-game takes its slot back: same slot, id and metadata, nobody sees it leave, hashes agree', async () => {
    const server = await start();
    const url = `${server.wsUrl}/reload?next=2`;
    const storage = new TabStorage();
    const page = new EventTarget();
    const host = await peers.join(url, 0);
    const guest = await peers.join(url, 1, { pageEvents: page, rejoinStorage: storage });
    expect(host.session.isHost).toBe(true);
    await peers.allConfirmed(60);
    await peers.waits.until(
      () => guest.session.rejoinTicket !== null,
      'the guest holding its rejoin ticket',
      60_000,
      peers.status,
    );
    const before = host.session.players.get(guest.session.localPlayerId)!;
    const seen: string[] = [];
    host.session.on('playerLeft', (p) => seen.push(`left ${p.playerId}`));
    host.session.on('playerJoined', (p) => seen.push(`joined ${p.playerId}`));
    host.session.on('playerAway', (id) => seen.push(`away ${id}`));
    host.session.on('playerBack', (id) => seen.push(`back ${id}`));

    closePage(page, guest);
    expect(storage.items.size, 'the seat is saved for the reload').toBe(1);
    await peers.waits.until(
      () => seen.includes(`away ${before.playerId}`),
      'the host seeing the dropped guest away',
      60_000,
      peers.status,
    );
    const reloaded = await peers.join(url, 1, {
      pageEvents: new EventTarget(),
      rejoinStorage: storage,
    });
    expect(storage.items.size, 'the seat is taken by the page that used it').toBe(0);
    expect(reloaded.session.state).toBe(SessionState.Playing);
    expect(reloaded.session.localPlayerId).toBe(before.playerId);
    expect(reloaded.session.players.get(before.playerId)).toEqual({ ...before, isLocal: true });
    await peers.waits.until(
      () => seen.includes(`back ${before.playerId}`),
      'the host seeing the guest back',
      60_000,
      peers.status,
    );
    expect(seen.filter((s) => s.startsWith('left') || s.startsWith('joined'))).toEqual([]);
    expect(host.session.players.size).toBe(2);

    // The game goes on, in agreement, from the reloaded page's first confirmed tick.
    const target = host.session.confirmedTick + 240;
    await peers.allConfirmed(target);
    // Each game's hashes as they were when its session confirmed them.
    const result = compareConfirmed(
      peers.peers.map((p) => p.game),
      Math.min(...reloaded.game.hashes.keys()) + 1,
    );
    expect(result.to - result.from).toBeGreaterThan(200);
    expect(result.missing).toEqual([]);
    expect(result.mismatches).toEqual([]);
    expect(peers.peers.flatMap((p) => p.driver.errors)).toEqual([]);
  }, 180_000);

  it('without rejoinStorage the page leaving leaves at once and saves nothing', async () => {
    const server = await start();
    const url = `${server.wsUrl}/noreload?next=2`;
    const page = new EventTarget();
    const host = await peers.join(url, 0);
    const guest = await peers.join(url, 1, { pageEvents: page });
    await peers.allConfirmed(30);
    const left: string[] = [];
    host.session.on('playerLeft', (p) => left.push(p.playerId));
    const id = guest.session.localPlayerId;
    closePage(page, guest);
    expect(guest.session.state).toBe(SessionState.Disconnected);
    await peers.waits.until(
      () => left.includes(id),
      'the host seeing the guest leave',
      60_000,
      peers.status,
    );
  }, 120_000);
});
