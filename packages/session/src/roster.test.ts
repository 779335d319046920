// Slots of players who left a game in progress are reused only once their inputs are behind
// every peer (the tick reach past their leave tick); until then they stay taken, so a burst of
// 255 joins inside that time is the most a game admits: the 256th is refused with a clear
// reason (and reported on the host), never corrupting another member's slot. Join-leave churn
// at the join rate limit never runs out of slots.
import {
  JoinRejectReason,
  LeaveReason,
  MessageType,
  PROTOCOL_VERSION,
  WireRole,
  decodeMessage,
  encodeMessage,
} from '@rbn/protocol';
import type { Message, TransportAdapter } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { Roster } from './roster';
import { createSession } from './session';
import { TestGame } from './testing/test-game';
import { PlayerRole, SessionState } from './types';

/** A transport whose incoming messages the test injects and whose outgoing ones it reads. */
function fakeTransport(): TransportAdapter & { sent: { to: string; message: Message }[] } {
  const connected = new Set<string>();
  const sent: { to: string; message: Message }[] = [];
  return {
    sent,
    localPeerId: 'host',
    connectedPeers: connected,
    onMessage: null,
    onConnect: null,
    onDisconnect: null,
    connect: (peerId) => {
      connected.add(peerId);
      return Promise.resolve();
    },
    disconnect: (peerId) => {
      connected.delete(peerId);
    },
    disconnectAll: () => connected.clear(),
    send: (to, bytes) => sent.push({ to, message: decodeMessage(bytes) }),
    broadcast: () => {},
  };
}

/** A host alone in a started game over a {@link fakeTransport}, with join and leave helpers. */
async function soloHost(config: Parameters<typeof createSession>[0]['config']) {
  const transport = fakeTransport();
  let now = 0;
  const host = createSession({
    game: new TestGame(16),
    transport,
    config: { ...config },
    clock: { now: () => now },
  });
  const errors: string[] = [];
  host.on('error', (e) => errors.push(e.message));
  const roomId = await host.createRoom();
  host.start();
  const inject = (from: string, message: Message): void =>
    transport.onMessage!(from, encodeMessage(message));
  return {
    host,
    errors,
    inject,
    tick(): void {
      now += 16;
      host.tick(new Uint8Array([1]));
    },
    join(peer: string, role: WireRole): Message | undefined {
      transport.sent.length = 0;
      inject(peer, {
        type: MessageType.JoinRequest,
        protocolVersion: PROTOCOL_VERSION,
        roomId,
        playerId: peer,
        role,
        metadata: new Uint8Array(0),
      });
      return transport.sent.find((s) => s.to === peer)?.message;
    },
  };
}

describe('Session slots', () => {
  it('reuses a departed player slot once its leave tick is a tick reach behind, so join-leave churn never runs out of slots', async () => {
    // tickReach = maxSpeculationTicks + disconnectTimeout in ticks + 256 = 8 + 6 + 256.
    const reach = 270;
    const solo = await soloHost({
      maxSpeculationTicks: 8,
      disconnectTimeout: 100,
      disconnectNotifyStart: 50,
    });
    const slots: number[] = [];
    for (let i = 0; i < 300; i++) {
      const peer = `j${i}`;
      const answer = solo.join(peer, WireRole.Player);
      expect(answer?.type, `join ${i}`).toBe(MessageType.JoinAccept);
      if (answer?.type !== MessageType.JoinAccept) return;
      slots.push(answer.slot);
      solo.inject(peer, {
        type: MessageType.PlayerLeft,
        slot: answer.slot,
        tick: 0,
        reason: LeaveReason.Left,
      });
      // Half the cycles come back before the reach has passed: that slot is still taken.
      for (let t = 0; t < (i % 2 === 0 ? 10 : reach + 2); t++) solo.tick();
    }
    expect(new Set(slots)).toEqual(new Set([1, 2]));
    expect(solo.errors).toEqual([]);
    expect(solo.host.players.size).toBe(1);
  });

  it('refuses the 256th player join of a game with a clear reason and keeps every member intact (spectator slots are reused)', async () => {
    const transport = fakeTransport();
    let now = 0;
    const host = createSession({
      game: new TestGame(16),
      transport,
      config: { maxSpectators: 16 },
      clock: { now: () => now },
    });
    const errors: string[] = [];
    host.on('error', (e) => errors.push(e.message));
    const roomId = await host.createRoom();
    host.start();
    host.tick(new Uint8Array([1]));
    expect(host.state).toBe(SessionState.Playing);
    const inject = (from: string, message: Message): void =>
      transport.onMessage!(from, encodeMessage(message));
    const join = (peer: string, role: WireRole): Message | undefined => {
      transport.sent.length = 0;
      inject(peer, {
        type: MessageType.JoinRequest,
        protocolVersion: PROTOCOL_VERSION,
        roomId,
        playerId: peer,
        role,
        metadata: new Uint8Array(0),
      });
      return transport.sent.find((s) => s.to === peer)?.message;
    };
    // A member stays: it must keep its slot through everything that follows.
    const stay = join('stay', WireRole.Spectator);
    expect(stay?.type).toBe(MessageType.JoinAccept);
    for (let i = 2; i <= 255; i++) {
      const peer = `j${i}`;
      const answer = join(peer, WireRole.Player);
      expect(answer?.type, `join ${i}`).toBe(MessageType.JoinAccept);
      if (answer?.type === MessageType.JoinAccept) expect(answer.slot).toBe(i);
      inject(peer, { type: MessageType.PlayerLeft, slot: i, tick: 0, reason: LeaveReason.Left });
      now += 16;
      host.tick(new Uint8Array([1]));
    }
    const refused = join('late', WireRole.Player);
    expect(refused?.type).toBe(MessageType.JoinReject);
    if (refused?.type === MessageType.JoinReject) {
      expect(refused.reason).toBe(JoinRejectReason.RoomFull);
      expect(refused.message).toMatch(/all 255 join slots/);
    }
    expect(errors).toEqual([expect.stringMatching(/all 255 join slots.*start a new room/)]);
    const members = [...host.players.values()];
    expect(members.map((m) => [m.playerId, m.slot, m.role])).toEqual([
      ['host', 0, PlayerRole.Player],
      ['stay', 1, PlayerRole.Spectator],
    ]);
    expect(host.state).toBe(SessionState.Playing);
    for (let i = 0; i < 30; i++) host.tick(new Uint8Array([1]));
    expect(host.currentTick).toBeGreaterThan(250);
  });
});

describe('Roster away windows', () => {
  it("keeps a closed window's ticks the host's to give after the next window opens", () => {
    const roster = new Roster('me', 'me-peer');
    const metadata = new Uint8Array(0);
    roster.add({
      slot: 1,
      playerId: 'p1',
      peerId: 'p1-peer',
      role: PlayerRole.Player,
      joinTick: 0,
      leaveTick: -1,
      metadata,
    });
    roster.setAway(1, 623);
    roster.setBack(1, 687);
    // A peer whose messages waited hears the back tick and the next window at once; the
    // player's own inputs of the first window may still be on their way.
    roster.setAway(1, 687);
    expect(roster.inAwayWindow(1, 622)).toBe(false);
    expect(roster.inAwayWindow(1, 625)).toBe(true);
    expect(roster.inAwayWindow(1, 700)).toBe(true);
    // A slot taken by a newcomer starts without windows.
    roster.add({
      slot: 1,
      playerId: 'p4',
      peerId: 'p4-peer',
      role: PlayerRole.Player,
      joinTick: 800,
      leaveTick: -1,
      metadata,
    });
    expect(roster.inAwayWindow(1, 625)).toBe(false);
  });
});
