import { SignalingClient, joinOnline } from '@rbn/online';
import type { JoinOnlineOptions, JsonValue } from '@rbn/online';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebRTCTransport, isWebRTCSignal } from '@rbn/transport-webrtc';
import {
  PlayerRole,
  SessionState,
  Topology,
  decodePlayerMetadata,
  encodePlayerMetadata,
} from '@rbn/session';
import type { PlayerInfo } from '@rbn/session';
import { compareConfirmed } from '../src/driver';
import { withHangCap } from '../src/hang-cap';
import { HashGame } from '../src/hash-game';
import { NodePeers, wrtc } from '../src/node-peers';
import { useSignalingServers } from '../src/signaling-server';

const { start } = useSignalingServers();
let peers = new NodePeers();
const clients: SignalingClient[] = [];
const controllers: AbortController[] = [];
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort(new Error('test over'));
  for (const client of clients.splice(0)) client.close();
  peers.closeAll();
  peers = new NodePeers();
});

const TICKS = 620;

function confirmedHashes(list = peers.peers) {
  return list.map((p) => p.game);
}

/** An `RTCPeerConnection` that records every connection it opens, to close them as a dying page does. */
function recordedConnections() {
  const opened: { close(): void }[] = [];
  const Native = wrtc.RTCPeerConnection as new (...args: unknown[]) => { close(): void };
  const RTCPeerConnection = class extends Native {
    constructor(...args: unknown[]) {
      super(...args);
      opened.push(this);
    }
  };
  return { opened, RTCPeerConnection };
}

/** A signaling client without a session (a stand-in for a peer's page), connected. */
async function bareClient(url: string): Promise<SignalingClient> {
  const client = new SignalingClient({ url, WebSocket, reconnect: false });
  clients.push(client);
  await client.connect();
  return client;
}

/** `joinOnline` from a Node peer that no test driver ticks. */
function joinUnticked(url: string, options: Partial<JoinOnlineOptions> = {}) {
  return joinOnline({ url, game: new HashGame(), WebSocket, wrtc, pageEvents: null, ...options });
}

describe('joinOnline between Node peers', () => {
  it('meets with ?next=2 alone, starts by itself and plays 600+ ticks to the same confirmed hashes', async () => {
    const server = await start();
    const url = `${server.wsUrl}/duel?next=2`;
    const [a, b] = await Promise.all([peers.join(url, 0), peers.join(url, 1)]);
    expect([a.session.isHost, b.session.isHost].filter(Boolean)).toHaveLength(1);
    await peers.waits.until(
      () => peers.peers.every((p) => p.session.state === SessionState.Playing),
      'the game starting by itself',
      60_000,
      peers.status,
    );
    await peers.allConfirmed(TICKS);
    const result = compareConfirmed(confirmedHashes());
    expect(result.to).toBeGreaterThanOrEqual(600);
    expect(result.missing).toEqual([]);
    expect(result.mismatches).toEqual([]);
    expect(peers.peers.flatMap((p) => p.driver.errors)).toEqual([]);
  });

  it('plays 3 players in mesh, takes a late joiner in, and all end at the same confirmed hashes', async () => {
    const server = await start();
    const url = `${server.wsUrl}/mesh`;
    const config = { hashInterval: 30, topology: Topology.Mesh };
    const as = (i: number) => ({ config, metadata: encodePlayerMetadata({ name: `P${i}` }) });
    // Without ?next the room's first peer hosts: let it be in before the others arrive.
    const host = await peers.join(url, 0, as(0));
    expect(host.session.isHost).toBe(true);
    await Promise.all([peers.join(url, 1, as(1)), peers.join(url, 2, as(2))]);
    await peers.waits.until(
      () => host.session.players.size === 3,
      'the host seeing 3 players',
      60_000,
      peers.status,
    );
    host.session.start();
    await peers.allConfirmed(200);

    const late = await peers.join(url, 3, as(3));
    expect(late.session.state).not.toBe(SessionState.Disconnected);
    await peers.allConfirmed(TICKS);
    const all = compareConfirmed(confirmedHashes());
    const firstLateTick = Math.min(...late.game.hashes.keys());
    const withLate = compareConfirmed(confirmedHashes(), firstLateTick);
    expect(all.to).toBeGreaterThanOrEqual(600);
    expect(compareConfirmed(confirmedHashes(peers.peers.slice(0, 3))).missing).toEqual([]);
    expect(compareConfirmed(confirmedHashes(peers.peers.slice(0, 3))).mismatches).toEqual([]);
    expect(withLate.to - withLate.from).toBeGreaterThan(100);
    expect(withLate.missing).toEqual([]);
    expect(withLate.mismatches).toEqual([]);
    const roles = [...late.session.players.values()].map((p: PlayerInfo) => p.role);
    expect(roles.filter((r) => r === PlayerRole.Player)).toHaveLength(4);
    // Every member, the late joiner included, sees everyone's name from the join messages.
    for (const peer of peers.peers) {
      const names = [...peer.session.players.values()].map(
        (p: PlayerInfo) => decodePlayerMetadata(p.metadata)?.name,
      );
      expect(names.sort()).toEqual(['P0', 'P1', 'P2', 'P3']);
    }
  });

  it('leaves the room when the page goes away (pagehide), and the host sees the player leave', async () => {
    const server = await start();
    const url = `${server.wsUrl}/bye?next=2`;
    const page = new EventTarget();
    // The group's first peer hosts (and is in its room at once): the page belongs to the guest.
    const host = await peers.join(url, 0);
    const guest = await peers.join(url, 1, { pageEvents: page });
    expect(host.session.isHost).toBe(true);
    await peers.allConfirmed(30);
    const left: string[] = [];
    host.session.on('playerLeft', (p) => left.push(p.playerId));
    const guestId = guest.session.localPlayerId;
    page.dispatchEvent(new Event('pagehide'));
    expect(guest.session.state).toBe(SessionState.Disconnected);
    await peers.waits.until(
      () => left.includes(guestId),
      'the host seeing the guest leave',
      60_000,
      peers.status,
    );
  });

  it('drops a player whose goodbye was lost with its link once the server says it left (not a minute later)', async () => {
    const server = await start();
    const url = `${server.wsUrl}/lost-bye?next=2`;
    const page = new EventTarget();
    // The guest's peer connections, to close them as a dying page does, before its goodbye.
    const { opened, RTCPeerConnection } = recordedConnections();
    const host = await peers.join(url, 0);
    const guest = await peers.join(url, 1, {
      pageEvents: page,
      wrtc: { ...wrtc, RTCPeerConnection },
    });
    await peers.allConfirmed(30);
    const seen: string[] = [];
    host.session.on('playerAway', (id) => seen.push(`away ${id}`));
    host.session.on('playerLeft', (p) => seen.push(`left ${p.playerId}`));
    const guestId = guest.session.localPlayerId;
    for (const connection of opened) connection.close();
    // Its goodbye (`PlayerLeft`) goes out on a closed link; the server's `leave` arrives.
    page.dispatchEvent(new Event('pagehide'));
    await peers.waits.until(
      () => seen.includes(`left ${guestId}`),
      'the host seeing the guest leave (its reconnect window is 60 s)',
      30_000,
      () => `${peers.status()} | host saw [${seen.join(', ')}]`,
    );
    expect(host.session.players.has(guestId)).toBe(false);
  });

  it('a guest takes the room over once the server says the host left, its goodbye lost with its link', async () => {
    const server = await start();
    const url = `${server.wsUrl}/lost-host-bye?next=2`;
    const page = new EventTarget();
    // The host's peer connections, to close them as a dying page does, before its goodbye.
    const { opened, RTCPeerConnection } = recordedConnections();
    const host = await peers.join(url, 0, {
      pageEvents: page,
      wrtc: { ...wrtc, RTCPeerConnection },
    });
    const guest = await peers.join(url, 1);
    await peers.allConfirmed(30);
    const hostId = host.session.localPlayerId;
    const changed: string[] = [];
    guest.session.on('hostChanged', (id) => changed.push(id));
    for (const connection of opened) connection.close();
    // Its goodbye (`PlayerLeft`) goes out on a closed link; the server's `leave` arrives. Alone,
    // the lost link would keep the guest waiting to reconnect for its 60 s window.
    page.dispatchEvent(new Event('pagehide'));
    await peers.waits.until(
      () => changed.length > 0,
      'the guest taking over once the server said the host left',
      30_000,
      () =>
        `${peers.status()} | guest: host ${guest.session.isHost}, state ${SessionState[guest.session.state]}`,
    );
    expect(changed).toEqual([guest.session.localPlayerId]);
    expect(guest.session.isHost).toBe(true);
    expect(guest.session.state).toBe(SessionState.Playing);
    expect(guest.session.players.has(hostId)).toBe(false);
  });

  it("follows only the group host's room announcement, never another member's, and can be aborted while waiting", async () => {
    const server = await start();
    const url = `${server.wsUrl}/trust`;
    const host = await bareClient(url); // the room's first peer: the host, a bare client here
    const intruder = await bareClient(url);
    /** The first signal `client` gets from `sender`. */
    const firstSignal = (client: SignalingClient, sender: string) =>
      new Promise<JsonValue>((resolve) => {
        const off = client.on('signal', (from, data) => {
          if (from !== sender) return;
          off();
          resolve(data);
        });
      });
    const intruderSawGuest = new Promise<string>((resolve) => intruder.on('new-peer', resolve));

    const controller = new AbortController();
    controllers.push(controller);
    const joining = joinUnticked(url, { signal: controller.signal });
    const guestId = await intruderSawGuest;
    const toHost = firstSignal(host, guestId);
    const toIntruder = firstSignal(intruder, guestId);
    // The intruder's announcement reaches the guest first: the server relays one sender's
    // messages in order, and the host announces only after the intruder's "done" came through.
    intruder.signal(guestId, { rbn: 'room', roomId: 'intruders-room' });
    const done = firstSignal(host, intruder.id ?? '');
    intruder.signal(host.id ?? '', 'done');
    await done;
    host.signal(guestId, { rbn: 'room', roomId: 'hosts-room' });

    // The guest connects to the host (its WebRTC offer), not to the intruder.
    const offer = await withHangCap(toHost, "the guest's WebRTC offer to the host", 60_000);
    expect(offer).toMatchObject({ type: 'description', description: { type: 'offer' } });
    const intruderGot = await Promise.race([toIntruder, Promise.resolve('nothing')]);
    expect(intruderGot).toBe('nothing');

    // The bare host never answers: the join waits until it is aborted (or `joinTimeout`).
    controller.abort(new Error('the test stops waiting'));
    await expect(joining).rejects.toThrow('the test stops waiting');
  });

  it('rejects with JOIN_TIMEOUT when the host never answers, though nothing else ticks the joining session', async () => {
    const server = await start();
    const url = `${server.wsUrl}/silent-host`;
    // The room's first peer, whose session never answers (its page stalls once the connection
    // is up): a bare WebRTC transport, its own keepalives keeping the link alive.
    const host = await bareClient(url);
    const transport = new WebRTCTransport(host.id ?? '', { wrtc, defaultStunServer: null });
    transport.setSignalingCallbacks({
      onSignal: (to, signal) => host.signal(to, signal as unknown as JsonValue),
    });
    host.on('signal', (from, data) => {
      if (isWebRTCSignal(data)) transport.handleSignal(from, data);
    });
    host.on('new-peer', (guest) => host.signal(guest, { rbn: 'room', roomId: 'frozen' }));
    try {
      const joining = joinUnticked(url, { config: { joinTimeout: 3000 } });
      // Nobody else ticks the session before joinOnline resolves: joinOnline must, or the
      // join waits for good.
      const capped = withHangCap(joining, 'still joining', 30_000);
      await expect(capped).rejects.toMatchObject({ code: 'JOIN_TIMEOUT' });
    } finally {
      transport.dispose();
    }
  });

  it("rejects with JOIN_TIMEOUT when the group's host never announces the room", async () => {
    const server = await start();
    const url = `${server.wsUrl}/unannounced`;
    await bareClient(url); // the group's host, its page stalled: it never announces the room
    const joining = joinUnticked(url, { config: { joinTimeout: 1000 } });
    const capped = withHangCap(joining, 'still waiting for the room');
    await expect(capped).rejects.toThrow(
      /no room announcement from the group's host within 1000 ms/,
    );
    await expect(joining).rejects.toMatchObject({ code: 'JOIN_TIMEOUT' });
  });

  it('with autoStart: false, leaves starting to the host', async () => {
    const server = await start();
    const url = `${server.wsUrl}/manual?next=2`;
    const host = await peers.join(url, 0, { autoStart: false });
    const guest = await peers.join(url, 1, { autoStart: false });
    // The host saw the guest join before it accepted it: an automatic start would have happened.
    expect(host.session.players.size).toBe(2);
    expect(host.session.state).toBe(SessionState.Lobby);
    host.session.start();
    await peers.waits.until(
      () => guest.session.state === SessionState.Playing,
      'the guest playing after the host started',
      60_000,
      peers.status,
    );
  });

  it('refuses to let a spectator host an empty room', async () => {
    const server = await start();
    await expect(
      peers.join(`${server.wsUrl}/empty`, 0, { role: PlayerRole.Spectator }),
    ).rejects.toMatchObject({ code: 'SPECTATOR_CANNOT_HOST' });
  });
});
