// Who tells a joiner where the room is after a host migration: the signaling server's group
// host (its oldest member) and the session's host can be different peers (the oldest one a
// spectator, say); the group's host names the session's host and the joiner joins that one.
// Node peers over @roamhq/wrtc.
import { PlayerRole } from '@rbn/session';
import { afterEach, describe, expect, it } from 'vitest';
import { compareConfirmed } from '../src/driver';
import { NodePeers } from '../src/node-peers';
import { useSignalingServers } from '../src/signaling-server';

const { start } = useSignalingServers();
const peers = new NodePeers();
afterEach(() => peers.closeAll());

/** Hang cap of every wait (generous: a loaded 2-core machine runs few frames a second). */
const CAP_MS = 120_000;

describe('room announcements after a host migration', () => {
  it("a joiner is sent to the session's new host by the signaling group's host, a different peer", async () => {
    const server = await start();
    const url = `${server.wsUrl}/announce`;
    const config = { hashInterval: 30 };
    // One after another: the group's order is the slot order (a, b, c).
    const a = await peers.join(url, 0, { config });
    const b = await peers.join(url, 1, { config, role: PlayerRole.Spectator });
    const c = await peers.join(url, 2, { config });
    await peers.waits.until(
      () => a.session.players.size === 3,
      'a seeing 3 players',
      CAP_MS,
      peers.status,
    );
    a.session.start();
    await peers.allConfirmed(60, CAP_MS);

    // b watches: when the host goes, the successor is c (the lowest player slot), while the
    // signaling server names b, its oldest member left, the group's host.
    const roomId = a.session.roomId;
    a.driver.stop();
    a.session.leaveRoom();
    peers.peers.splice(peers.peers.indexOf(a), 1);
    await peers.waits.until(() => c.session.isHost, 'c taking over as host', CAP_MS, peers.status);
    expect(b.session.isHost).toBe(false);

    const late = await Promise.race([
      peers.join(url, 3, { config }),
      new Promise<never>((_resolve, reject) =>
        setTimeout(
          () =>
            reject(new Error(`hang cap: the late joiner getting into the room ${peers.status()}`)),
          CAP_MS,
        ),
      ),
    ]);
    const hostOfLate = [...late.session.players.values()].find((player) => player.isHost);
    expect(hostOfLate?.playerId).toBe(c.session.localPlayerId);
    expect(late.session.roomId).toBe(roomId);
    const from = late.session.currentTick;
    await peers.allConfirmed(from + 180, CAP_MS);
    const result = compareConfirmed(
      peers.peers.map((p) => p.game),
      Math.min(...late.game.hashes.keys()),
    );
    expect(result.missing).toEqual([]);
    expect(result.mismatches).toEqual([]);
    expect(peers.peers.flatMap((p) => p.driver.errors.map((e) => e.message))).toEqual([]);
  });
});
