import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, tryDecodeMessage } from './codec';
import { DecodeError, RbnError } from './errors';
import {
  JoinRejectReason,
  LeaveReason,
  MessageType,
  PROTOCOL_VERSION,
  WireRole,
  type Message,
  type WirePlayer,
} from './messages';

const MAX_TICK = 2 ** 31 - 1;

const players: WirePlayer[] = [
  {
    slot: 0,
    playerId: 'host',
    peerId: 'peer-host',
    role: WireRole.Player,
    joinTick: 0,
    leaveTick: -1,
  },
  {
    slot: 255,
    playerId: 'プレイヤー🎮',
    peerId: 'ünïcødé-peer',
    role: WireRole.Spectator,
    joinTick: MAX_TICK,
    leaveTick: MAX_TICK,
  },
  { slot: 7, playerId: '', peerId: '', role: WireRole.Player, joinTick: 12, leaveTick: 0 },
];

const maxInput = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);

/** One or more messages of every type, with edge values. */
const samples: Message[] = [
  { type: MessageType.Input, senderTick: 0, acks: [], runs: [] },
  {
    type: MessageType.Input,
    senderTick: MAX_TICK,
    acks: [
      { slot: 0, tick: -1 },
      { slot: 255, tick: MAX_TICK },
      { slot: 3, tick: 0 },
    ],
    runs: [
      { slot: 1, startTick: 0, inputs: [] },
      {
        slot: 2,
        startTick: 100,
        inputs: [
          new Uint8Array([1, 2]),
          new Uint8Array([1, 2]),
          new Uint8Array([1, 3]),
          new Uint8Array([]),
          new Uint8Array([]),
          maxInput,
          maxInput,
          new Uint8Array(64),
          new Uint8Array([9, 9, 9]),
          new Uint8Array([0, 0, 0, 0, 0, 0, 1]),
          new Uint8Array([0]),
        ],
      },
      { slot: 255, startTick: MAX_TICK, inputs: [new Uint8Array(0)] },
      { slot: 4, startTick: MAX_TICK - 2, inputs: [maxInput, new Uint8Array(0), maxInput] },
    ],
  },
  { type: MessageType.InputAck, senderTick: 0, acks: [] },
  { type: MessageType.InputAck, senderTick: MAX_TICK, acks: [{ slot: 9, tick: -1 }] },
  { type: MessageType.Hash, tick: 0, hash: 0 },
  { type: MessageType.Hash, tick: MAX_TICK, hash: 0xffffffff },
  { type: MessageType.Hash, tick: 60, hash: 2 ** 31 },
  { type: MessageType.Sync, tick: 0, hash: 0, state: new Uint8Array(0), players: [] },
  {
    type: MessageType.Sync,
    tick: MAX_TICK,
    hash: 0x80000001,
    state: new Uint8Array(5000).fill(0xab),
    players,
  },
  { type: MessageType.SyncRequest, tick: 0 },
  { type: MessageType.SyncRequest, tick: MAX_TICK },
  { type: MessageType.Pause, tick: 0 },
  { type: MessageType.Pause, tick: MAX_TICK },
  { type: MessageType.Resume, tick: 0 },
  { type: MessageType.Resume, tick: MAX_TICK },
  { type: MessageType.LagReport, slot: 0, ticksBehind: 0 },
  { type: MessageType.LagReport, slot: 255, ticksBehind: MAX_TICK },
  { type: MessageType.DisconnectReport, slot: 0, tick: 0 },
  { type: MessageType.DisconnectReport, slot: 255, tick: MAX_TICK },
  { type: MessageType.ResumeCountdown, seconds: 0 },
  { type: MessageType.ResumeCountdown, seconds: 3 },
  { type: MessageType.DropPlayer, slot: 0, tick: 0, metadata: null },
  { type: MessageType.DropPlayer, slot: 255, tick: MAX_TICK, metadata: new Uint8Array(0) },
  { type: MessageType.DropPlayer, slot: 1, tick: 5, metadata: new Uint8Array([1, 2, 3, 0]) },
  {
    type: MessageType.JoinRequest,
    protocolVersion: PROTOCOL_VERSION,
    roomId: 'room-1',
    playerId: 'ana',
    role: WireRole.Player,
  },
  {
    type: MessageType.JoinRequest,
    protocolVersion: 0xffffffff,
    roomId: '',
    playerId: 'Zoë 👩‍🚀 \u{feff}',
    role: WireRole.Spectator,
  },
  { type: MessageType.JoinAccept, roomId: 'r', slot: 0, players: [], config: {} },
  {
    type: MessageType.JoinAccept,
    roomId: 'room-✓',
    slot: 255,
    players,
    config: { tickRate: 60, inputDelayTicks: 0, ratio: 0.5, neg: -3, big: 2 ** 53 },
  },
  { type: MessageType.JoinReject, reason: JoinRejectReason.RoomFull, message: '' },
  { type: MessageType.JoinReject, reason: JoinRejectReason.Other, message: 'version 2 ≠ 1' },
  { type: MessageType.StateSync, tick: 0, hash: 0, state: new Uint8Array(0), players: [] },
  {
    type: MessageType.StateSync,
    tick: MAX_TICK,
    hash: 0xffffffff,
    state: new Uint8Array([1, 2, 3]),
    players,
  },
  { type: MessageType.PlayerJoined, player: players[0]! },
  { type: MessageType.PlayerJoined, player: players[1]! },
  { type: MessageType.PlayerLeft, slot: 0, tick: 0, reason: LeaveReason.Left },
  { type: MessageType.PlayerLeft, slot: 255, tick: MAX_TICK, reason: LeaveReason.Kicked },
  { type: MessageType.Ping, timestamp: 0, tick: 0 },
  { type: MessageType.Ping, timestamp: 0xffffffff, tick: MAX_TICK },
  { type: MessageType.Pong, timestamp: 2 ** 31, tick: 0 },
  { type: MessageType.Pong, timestamp: 0xffffffff, tick: MAX_TICK },
];

describe('encodeMessage / decodeMessage', () => {
  it('covers all 19 message types in the round-trip samples', () => {
    const types = new Set(samples.map((m) => m.type));
    const all = Object.values(MessageType).filter((v) => typeof v === 'number');
    expect(all).toHaveLength(19);
    expect([...types].sort()).toEqual([...all].sort());
  });

  it.each(samples.map((m, i) => [`${MessageType[m.type]} #${i}`, m] as const))(
    'round-trips %s with edge values',
    (_name, msg) => {
      const bytes = encodeMessage(msg);
      expect(bytes[0]).toBe(msg.type);
      expect(decodeMessage(bytes)).toEqual(msg);
    },
  );

  it('tryDecodeMessage returns the message or the DecodeError', () => {
    const bytes = encodeMessage({ type: MessageType.Ping, timestamp: 1, tick: 2 });
    expect(tryDecodeMessage(bytes)).toEqual({
      ok: true,
      message: { type: MessageType.Ping, timestamp: 1, tick: 2 },
    });
    const bad = tryDecodeMessage(bytes.subarray(0, 3));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toBeInstanceOf(DecodeError);
  });

  it('rejects an invalid field on encode with an RbnError naming the field', () => {
    expect(() => encodeMessage({ type: MessageType.Hash, tick: -1, hash: 0 })).toThrow(
      /Hash\.tick/,
    );
    try {
      encodeMessage({ type: MessageType.Hash, tick: 1, hash: 2 ** 32 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RbnError);
      expect((e as RbnError).code).toBe('ENCODE_ERROR');
    }
  });
});
