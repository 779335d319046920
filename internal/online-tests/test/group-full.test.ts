import { SignalingClient } from '@rbn/online';
import type { GroupFull, GroupFullMessage } from '@rbn/online';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PlayerRole, SessionState } from '@rbn/session';
import { compareConfirmed } from '../src/driver';
import { NodePeers } from '../src/node-peers';
import { useSignalingServers } from '../src/signaling-server';

const { start } = useSignalingServers();
let peers = new NodePeers();
const clients: SignalingClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  peers.closeAll();
  peers = new NodePeers();
});

/** Two players of `?next=2` in `room`, playing. */
async function gameOfTwo(url: string) {
  const host = await peers.join(url, 0);
  const guest = await peers.join(url, 1);
  await peers.waits.until(
    () => [host, guest].every((p) => p.session.state === SessionState.Playing),
    'the game of two starting',
    60_000,
    peers.status,
  );
  return { host, guest };
}

describe('SignalingClient for a visitor to a full ?next=N group', () => {
  it('knows the full group by the time it is welcomed, and nothing when there is none', async () => {
    const server = await start();
    const url = `${server.wsUrl}/pairs?next=2`;
    const connected = async () => {
      const client = new SignalingClient({ url, WebSocket, reconnect: false });
      clients.push(client);
      const notices: GroupFullMessage[] = [];
      client.on('group-full', (notice) => notices.push(notice));
      const welcome = await client.connect();
      return { client, welcome, notices };
    };
    const a = await connected();
    const b = await connected();
    expect([a.client.groupFull, b.client.groupFull]).toEqual([undefined, undefined]);
    const c = await connected();
    const notice = {
      type: 'group-full',
      group: a.welcome.group,
      groupSize: 2,
      host: a.welcome.id,
      peers: [a.welcome.id, b.welcome.id],
    };
    expect(c.client.groupFull).toEqual(notice);
    expect(c.notices).toEqual([notice]);
    expect(c.welcome.group).not.toBe(a.welcome.group);
  });
});

describe('joinOnline for a visitor to a full ?next=N group', () => {
  it('asks onGroupFull, and a visitor who chooses to spectate watches that very game', async () => {
    const server = await start();
    const url = `${server.wsUrl}/busy?next=2`;
    const { host, guest } = await gameOfTwo(url);
    await peers.allConfirmed(60);

    const asked: GroupFull[] = [];
    const watcher = await peers.join(url, 2, {
      onGroupFull: (full) => {
        asked.push(full);
        return 'spectate';
      },
    });
    expect(asked).toEqual([
      expect.objectContaining({
        groupSize: 2,
        host: host.session.localPlayerId,
        peers: [host.session.localPlayerId, guest.session.localPlayerId],
      }),
    ]);
    expect(watcher.session.localRole).toBe(PlayerRole.Spectator);
    expect(watcher.session.roomId).toBe(host.session.roomId);
    const watching = host.session.players.get(watcher.session.localPlayerId);
    expect(watching?.role).toBe(PlayerRole.Spectator);

    // The spectator's game starts from the state it was sent: compare from its first tick on.
    await peers.waits.until(
      () => watcher.game.hashes.size > 0,
      'the spectator stepping',
      60_000,
      peers.status,
    );
    const from = Math.min(...watcher.game.hashes.keys());
    await peers.allConfirmed(from + 120);
    const games = peers.peers.map((p) => p.game);
    const result = compareConfirmed(games, from);
    expect(result.to - result.from).toBeGreaterThanOrEqual(120);
    expect(result.missing).toEqual([]);
    expect(result.mismatches).toEqual([]);
  });

  it('lets a visitor who chooses join-late play in that game as one more player', async () => {
    const server = await start();
    const url = `${server.wsUrl}/late?next=2`;
    const { host } = await gameOfTwo(url);
    const late = await peers.join(url, 2, { onGroupFull: () => 'join-late' });
    expect(late.session.localRole).toBe(PlayerRole.Player);
    expect(late.session.roomId).toBe(host.session.roomId);
    await peers.waits.until(
      () => late.game.hashes.size > 0,
      'the late player stepping',
      60_000,
      peers.status,
    );
    const from = Math.min(...late.game.hashes.keys());
    await peers.allConfirmed(from + 60);
    const roles = [...host.session.players.values()].map((p) => p.role);
    expect(roles).toEqual([PlayerRole.Player, PlayerRole.Player, PlayerRole.Player]);
    const games = peers.peers.map((p) => p.game);
    expect(compareConfirmed(games, from).mismatches).toEqual([]);
  });

  it('starts a new group, as matchmaking does, without onGroupFull or when it says so', async () => {
    const server = await start();
    const url = `${server.wsUrl}/queue?next=2`;
    const { host } = await gameOfTwo(url);
    const plain = await peers.join(url, 2);
    expect(plain.session.isHost).toBe(true);
    expect(plain.session.roomId).not.toBe(host.session.roomId);

    let asked = 0;
    const chooser = await peers.join(url, 3, {
      onGroupFull: () => {
        asked += 1;
        return Promise.resolve('new-group' as const);
      },
    });
    // The previous visitor's group was filling: the chooser paired with it, nothing to ask.
    expect(asked).toBe(0);
    expect(chooser.session.roomId).toBe(plain.session.roomId);

    const third = await peers.join(url, 4, {
      onGroupFull: () => {
        asked += 1;
        return 'new-group';
      },
    });
    expect(asked).toBe(1);
    expect(third.session.isHost).toBe(true);
    expect(third.session.players.size).toBe(1);
  });

  it('refuses a choice that is not one of the three, and leaves nothing behind', async () => {
    const server = await start();
    const url = `${server.wsUrl}/odd?next=2`;
    await gameOfTwo(url);
    await expect(
      peers.join(url, 2, { onGroupFull: () => 'watch' as unknown as 'spectate' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Its socket left: the next visitor opens a group of its own and is told about the game.
    let asked = 0;
    const next = await peers.join(url, 3, { onGroupFull: () => (asked++, 'new-group') });
    expect(asked).toBe(1);
    expect(next.session.players.size).toBe(1);
  });
});
