import { describe, expect, it } from 'vitest';
import { decodeMessage, tryDecodeMessage } from './decode';
import { encodeMessage } from './encode';
import { DecodeError, RbnError } from './errors';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits';
import {
  JoinRejectReason,
  LeaveReason,
  MAX_TICK,
  MessageType,
  PROTOCOL_VERSION,
  WireRole,
  type Message,
  type WirePlayer,
} from './messages';

const players: WirePlayer[] = [
  {
    slot: 0,
    playerId: 'host',
    peerId: 'peer-host',
    role: WireRole.Player,
    joinTick: 0,
    leaveTick: -1,
    metadata: new Uint8Array(0),
  },
  {
    slot: 255,
    playerId: 'プレイヤー🎮',
    peerId: 'ünïcødé-peer',
    role: WireRole.Spectator,
    joinTick: MAX_TICK,
    leaveTick: MAX_TICK,
    metadata: new Uint8Array(256).fill(0xab),
  },
  {
    slot: 7,
    playerId: '',
    peerId: '',
    role: WireRole.Player,
    joinTick: 12,
    leaveTick: 0,
    metadata: new Uint8Array([0, 1, 0xff]),
  },
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
  { type: MessageType.DesyncStateRequest, tick: 0 },
  { type: MessageType.DesyncStateRequest, tick: MAX_TICK },
  { type: MessageType.DesyncState, tick: 0, totalBytes: 0, offset: 0, chunk: new Uint8Array(0) },
  {
    type: MessageType.DesyncState,
    tick: MAX_TICK,
    totalBytes: 40000,
    offset: 32768,
    chunk: new Uint8Array(7232).fill(0x5a),
  },
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
  { type: MessageType.PlayerAway, slot: 0, tick: 0, input: new Uint8Array(0) },
  { type: MessageType.Rejoin, slot: 3, token: new Uint8Array(0) },
  { type: MessageType.MigrationQuery, hostSlot: 0, acks: [] },
  { type: MessageType.MigrationQuery, hostSlot: 255, acks: [{ slot: 1, tick: -1 }] },
  {
    type: MessageType.MigrationReport,
    hostSlot: 0,
    hostPresent: false,
    acks: [{ slot: 0, tick: 41 }],
    runs: [{ slot: 0, startTick: 40, inputs: [new Uint8Array([1]), new Uint8Array([2])] }],
  },
  { type: MessageType.MigrationReport, hostSlot: 3, hostPresent: true, acks: [], runs: [] },
  {
    type: MessageType.HostMigrated,
    hostSlot: 0,
    newHostSlot: 1,
    leaveTick: MAX_TICK,
    acks: [{ slot: 2, tick: 9 }],
    runs: [],
  },
  { type: MessageType.Rejoin, slot: 255, token: new Uint8Array(64).fill(0xee) },
  { type: MessageType.PlayerAway, slot: 255, tick: MAX_TICK, input: new Uint8Array([7, 0, 9]) },
  {
    type: MessageType.PlayerBack,
    slot: 2,
    tick: 0,
    stateTick: 0,
    hash: 0,
    state: new Uint8Array(0),
  },
  {
    type: MessageType.PlayerBack,
    slot: 255,
    tick: MAX_TICK,
    stateTick: MAX_TICK - 3,
    hash: 0xffffffff,
    state: new Uint8Array([1, 2, 3]),
  },
  { type: MessageType.InputDigest, slot: 0, tick: 0, digest: 0 },
  { type: MessageType.InputDigest, slot: 255, tick: MAX_TICK, digest: 0xffffffff },
  {
    type: MessageType.JoinRequest,
    protocolVersion: PROTOCOL_VERSION,
    roomId: 'room-1',
    playerId: 'ana',
    role: WireRole.Player,
    metadata: new TextEncoder().encode('{"name":"Ana"}'),
  },
  {
    type: MessageType.JoinRequest,
    protocolVersion: 1,
    roomId: 'room-1',
    playerId: 'old',
    role: WireRole.Player,
    metadata: new Uint8Array(0),
  },
  {
    type: MessageType.JoinRequest,
    protocolVersion: 0xffffffff,
    roomId: '',
    playerId: 'Zoë 👩‍🚀 \u{feff}',
    role: WireRole.Spectator,
    metadata: new Uint8Array(256),
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

/**
 * The `MessageType` enum of docs/architecture.md (Wire messages;
 * "Message Protocol"), value for value. These bytes are the first byte of every message on the
 * wire: changing one breaks every peer that has not upgraded.
 */
const ARCHITECTURE_MESSAGE_TYPES: Readonly<Record<string, number>> = {
  Input: 0x01,
  InputAck: 0x02,
  Hash: 0x10,
  Sync: 0x11,
  SyncRequest: 0x12,
  DesyncStateRequest: 0x13,
  DesyncState: 0x14,
  Pause: 0x20,
  Resume: 0x21,
  LagReport: 0x22,
  DisconnectReport: 0x23,
  ResumeCountdown: 0x24,
  DropPlayer: 0x25,
  PlayerAway: 0x26,
  PlayerBack: 0x27,
  Rejoin: 0x28,
  MigrationQuery: 0x29,
  MigrationReport: 0x2a,
  HostMigrated: 0x2b,
  InputDigest: 0x2c,
  JoinRequest: 0x30,
  JoinAccept: 0x31,
  JoinReject: 0x32,
  StateSync: 0x33,
  PlayerJoined: 0x34,
  PlayerLeft: 0x35,
  Ping: 0x40,
  Pong: 0x41,
};

describe('MessageType', () => {
  it('has exactly the 28 names and values of docs/architecture.md', () => {
    const values = Object.fromEntries(
      Object.entries(MessageType).filter(([, value]) => typeof value === 'number'),
    );
    expect(values).toEqual(ARCHITECTURE_MESSAGE_TYPES);
  });

  it.each(
    Object.entries(ARCHITECTURE_MESSAGE_TYPES).map(
      ([name, value]) => [name, value.toString(16).padStart(2, '0'), value] as const,
    ),
  )('encodes %s with type byte 0x%s', (name, _hex, value) => {
    const sample = samples.find((m) => MessageType[m.type] === name);
    expect(sample, `no round-trip sample of ${name}`).toBeDefined();
    if (sample !== undefined) expect(encodeMessage(sample)[0]).toBe(value);
  });
});

describe('MAX_TICK', () => {
  it('is 2^31 − 1: the codec carries it and rejects the tick after it', () => {
    expect(MAX_TICK).toBe(2 ** 31 - 1);
    const hash = (tick: number) => ({ type: MessageType.Hash, tick, hash: 0 }) as const;
    expect(decodeMessage(encodeMessage(hash(MAX_TICK)))).toEqual(hash(MAX_TICK));
    expect(() => encodeMessage(hash(MAX_TICK + 1))).toThrow(/Hash\.tick/);
  });
});

describe('encodeMessage / decodeMessage', () => {
  it('covers all 28 message types in the round-trip samples', () => {
    const types = new Set(samples.map((m) => m.type));
    const all = Object.values(MessageType).filter((v) => typeof v === 'number');
    expect(all).toHaveLength(28);
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

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function fromHex(text: string): Uint8Array {
  return new Uint8Array(text.split(' ').map((h) => parseInt(h, 16)));
}

/** Catches the error `fn` throws (failing the test if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('wire format (golden vectors)', () => {
  // These bytes are the format. If one of these tests fails, the wire format changed: that
  // needs a PROTOCOL_VERSION bump and a README update, not a new golden value.
  const goldens: [string, Message, string][] = [
    [
      'Input: ack folded in, a run of 3 two-byte inputs (the third raw, as that is smaller)',
      {
        type: MessageType.Input,
        senderTick: 102,
        acks: [{ slot: 0, tick: 101 }],
        runs: [
          {
            slot: 1,
            startTick: 100,
            inputs: [new Uint8Array([1, 0]), new Uint8Array([1, 0]), new Uint8Array([1, 2])],
          },
        ],
      },
      // type | senderTick | 1 ack: slot 0, tick+1 = 102 | 1 run: slot 1, start 100, 3 inputs |
      // [0]: len 2, 01 00 | [1]: unchanged 00 | [2]: raw, header 2·2+2 = 06, 01 02
      '01 66 01 00 66 01 01 64 03 02 01 00 00 06 01 02',
    ],
    [
      'Input: the trailing message counter (seq) when given',
      { type: MessageType.Input, senderTick: 3, acks: [], runs: [], seq: 200 },
      // type | senderTick 3 | 0 acks | 0 runs | seq 200
      '01 03 00 00 c8',
    ],
    [
      'InputAck: the trailing message counter (seq) when given',
      { type: MessageType.InputAck, senderTick: 3, acks: [{ slot: 1, tick: -1 }], seq: 0 },
      // type | senderTick 3 | 1 ack: slot 1, tick+1 = 0 | seq 0
      '02 03 01 01 00 00',
    ],
    [
      "Input: seq, then an echo (our seq 7 held 200 ms) for the receiver's round-trip time",
      {
        type: MessageType.Input,
        senderTick: 3,
        acks: [],
        runs: [],
        seq: 1,
        echoSeq: 7,
        echoDelay: 200,
      },
      // type | senderTick 3 | 0 acks | 0 runs | seq 1 | echo seq 7 | echo delay 200 (varint)
      '01 03 00 00 01 07 c8 01',
    ],
    [
      'InputAck: seq and an echo held 0 ms',
      { type: MessageType.InputAck, senderTick: 3, acks: [], seq: 255, echoSeq: 0, echoDelay: 0 },
      // type | senderTick 3 | 0 acks | seq 255 | echo seq 0 | echo delay 0
      '02 03 00 ff 00 00',
    ],
    [
      'Input: an XOR delta against a non-zero previous input (decoding must XOR, not overwrite)',
      {
        type: MessageType.Input,
        senderTick: 5,
        acks: [],
        runs: [
          {
            slot: 3,
            startTick: 7,
            inputs: [
              new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
              new Uint8Array([1, 2, 3, 4, 5, 6, 7, 9]),
            ],
          },
        ],
      },
      // type | senderTick 5 | 0 acks | 1 run: slot 3, start 7, 2 inputs | [0]: len 8, 01..08 |
      // [1]: delta header 2·8+1 = 11, token 0c (7 unchanged), token 01 (1 literal) 01 (= 08 ^ 09)
      '01 05 00 01 03 07 02 08 01 02 03 04 05 06 07 08 11 0c 01 01',
    ],
    [
      'Input: multi-byte varints, ack of none (-1), an XOR/RLE delta and a resized input',
      {
        type: MessageType.Input,
        senderTick: 300,
        acks: [{ slot: 2, tick: -1 }],
        runs: [
          {
            slot: 0,
            startTick: 2 ** 31 - 3,
            inputs: [
              new Uint8Array(8),
              new Uint8Array([0, 0, 0, 5, 0, 0, 0, 0]),
              new Uint8Array([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 9]),
            ],
          },
        ],
      },
      // type | senderTick 300 = ac 02 | 1 ack: slot 2, tick+1 = 0 | 1 run: slot 0,
      // start 2^31−3 = fd ff ff ff 07, 3 inputs | [0]: len 8, eight 00 |
      // [1]: delta header 2·8+1 = 11, zeros×3 = 04, literal×1 = 01 05, zeros×4 = 06 |
      // [2]: delta header 2·11+1 = 17, zeros×10 = 12, literal×1 = 01 09
      '01 ac 02 01 02 00 01 00 fd ff ff ff 07 03 08 00 00 00 00 00 00 00 00 11 04 01 05 06 17 12 01 09',
    ],
    [
      'Hash: tick varint, hash as u32 little-endian',
      { type: MessageType.Hash, tick: 60, hash: 0xdeadbeef },
      '10 3c ef be ad de',
    ],
    [
      'JoinRequest: version, room id, unicode player id, role, metadata length and bytes',
      {
        type: MessageType.JoinRequest,
        protocolVersion: 2,
        roomId: 'r1',
        playerId: 'Zoë',
        role: WireRole.Spectator,
        metadata: new Uint8Array([0x7b, 0x7d]),
      },
      '30 02 02 72 31 04 5a 6f c3 ab 01 02 7b 7d',
    ],
    [
      'JoinRequest of version 1: no metadata on the wire (it decodes, so the host can refuse it)',
      {
        type: MessageType.JoinRequest,
        protocolVersion: 1,
        roomId: 'r1',
        playerId: 'Zoë',
        role: WireRole.Spectator,
        metadata: new Uint8Array(0),
      },
      '30 01 02 72 31 04 5a 6f c3 ab 01',
    ],
    [
      'Ping: timestamp u32 LE, then the largest tick',
      { type: MessageType.Ping, timestamp: 0x01020304, tick: 2 ** 31 - 1 },
      '40 04 03 02 01 ff ff ff ff 07',
    ],
    [
      'PlayerJoined: one WirePlayer',
      {
        type: MessageType.PlayerJoined,
        player: {
          slot: 3,
          playerId: 'a',
          peerId: 'p',
          role: WireRole.Player,
          joinTick: 128,
          leaveTick: -1,
          metadata: new Uint8Array([9]),
        },
      },
      '34 03 01 61 01 70 00 80 01 00 01 09',
    ],
    [
      'DropPlayer: null metadata is 00, metadata of n bytes is n+1 then the bytes',
      { type: MessageType.DropPlayer, slot: 1, tick: 5, metadata: new Uint8Array([0xaa]) },
      '25 01 05 02 aa',
    ],
  ];

  it.each(goldens)('%s', (_name, msg, expected) => {
    expect(hex(encodeMessage(msg))).toBe(expected);
    expect(decodeMessage(fromHex(expected))).toEqual(msg);
  });
});

describe('input delta encoding', () => {
  const inputMessage = (inputs: Uint8Array[]): Message => ({
    type: MessageType.Input,
    senderTick: 10,
    acks: [],
    runs: [{ slot: 0, startTick: 10, inputs }],
  });
  const size = (inputs: Uint8Array[]) => encodeMessage(inputMessage(inputs)).length;

  it.each([1, 2, 16, 64])('costs exactly one byte per unchanged %i-byte input', (n) => {
    const input = new Uint8Array(n).map((_, i) => i * 7 + 1);
    const one = size([input]);
    for (let k = 2; k <= 10; k++) {
      expect(size(Array.from({ length: k }, () => input.slice()))).toBe(one + (k - 1));
    }
  });

  it('costs a few bytes, not the whole input, when one byte of a 32-byte input changes', () => {
    const a = new Uint8Array(32).fill(7);
    const b = a.slice();
    b[20] = 8;
    // header + zero run + literal token + byte + zero run
    expect(size([a, b]) - size([a])).toBe(5);
  });

  it('never costs more than the raw input plus its header', () => {
    const a = new Uint8Array(64).map((_, i) => i);
    const b = new Uint8Array(64).map((_, i) => 255 - i);
    expect(size([a, b]) - size([a])).toBe(2 + 64);
  });

  it('round-trips inputs that grow, shrink and become empty', () => {
    const inputs = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array([1, 2, 3, 4, 5]),
      new Uint8Array([1]),
      new Uint8Array([]),
      new Uint8Array([0, 0, 0]),
      new Uint8Array([]),
      new Uint8Array([9]),
    ];
    expect(decodeMessage(encodeMessage(inputMessage(inputs)))).toEqual(inputMessage(inputs));
  });

  it('decodes each input into its own copy, detached from the received bytes', () => {
    const a = new Uint8Array([5, 6]);
    const bytes = encodeMessage(inputMessage([a, a]));
    const msg = decodeMessage(bytes);
    if (msg.type !== MessageType.Input) throw new Error('not an Input');
    const [x, y] = msg.runs[0]!.inputs;
    bytes.fill(0);
    x![0] = 99;
    expect(Array.from(y!)).toEqual([5, 6]);
  });
});

describe('limits', () => {
  const player = (slot: number, playerId = 'p'): WirePlayer => ({
    slot,
    playerId,
    peerId: 'x',
    role: WireRole.Player,
    joinTick: 0,
    leaveTick: -1,
    metadata: new Uint8Array(0),
  });
  const input = (...inputs: Uint8Array[]): Message => ({
    type: MessageType.Input,
    senderTick: 0,
    acks: [],
    runs: [{ slot: 0, startTick: 0, inputs }],
  });
  const sync = (state: Uint8Array, players: WirePlayer[] = []): Message => ({
    type: MessageType.Sync,
    tick: 0,
    hash: 0,
    state,
    players,
  });
  const joinAccept = (n: number): Message => ({
    type: MessageType.JoinAccept,
    roomId: 'r',
    slot: 0,
    players: [],
    config: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
  });
  const join = (playerId: string, metadata = new Uint8Array(0)): Message => ({
    type: MessageType.JoinRequest,
    protocolVersion: PROTOCOL_VERSION,
    roomId: 'r',
    playerId,
    role: WireRole.Player,
    metadata,
  });
  const joined = (metadata: Uint8Array): Message => ({
    type: MessageType.PlayerJoined,
    player: { ...player(1), metadata },
  });
  const drop = (n: number): Message => ({
    type: MessageType.DropPlayer,
    slot: 0,
    tick: 0,
    metadata: new Uint8Array(n),
  });

  /** [limit, a message exactly at the limit, the same message one over it]. */
  const cases: [keyof ProtocolLimits, Message, Message][] = [
    ['maxInputBytes', input(new Uint8Array(64)), input(new Uint8Array(65))],
    [
      'maxInputBytes',
      input(new Uint8Array(1), new Uint8Array(64).fill(1)),
      input(new Uint8Array(1), new Uint8Array(65).fill(1)),
    ],
    [
      'maxInputsPerRun',
      input(...Array.from({ length: 256 }, () => new Uint8Array(1))),
      input(...Array.from({ length: 257 }, () => new Uint8Array(1))),
    ],
    [
      'maxPlayersPerMessage',
      {
        type: MessageType.InputAck,
        senderTick: 0,
        acks: Array.from({ length: 64 }, (_, slot) => ({ slot, tick: 0 })),
      },
      {
        type: MessageType.InputAck,
        senderTick: 0,
        acks: Array.from({ length: 65 }, (_, slot) => ({ slot, tick: 0 })),
      },
    ],
    [
      'maxPlayersPerMessage',
      {
        type: MessageType.Input,
        senderTick: 0,
        acks: [],
        runs: Array.from({ length: 64 }, (_, slot) => ({ slot, startTick: 0, inputs: [] })),
      },
      {
        type: MessageType.Input,
        senderTick: 0,
        acks: [],
        runs: Array.from({ length: 65 }, (_, slot) => ({ slot, startTick: 0, inputs: [] })),
      },
    ],
    [
      'maxPlayersPerMessage',
      sync(
        new Uint8Array(0),
        Array.from({ length: 64 }, (_, i) => player(i)),
      ),
      sync(
        new Uint8Array(0),
        Array.from({ length: 65 }, (_, i) => player(i)),
      ),
    ],
    ['maxStateBytes', sync(new Uint8Array(1000)), sync(new Uint8Array(1001))],
    ['maxStringBytes', join('a'.repeat(256)), join('a'.repeat(257))],
    ['maxStringBytes', join('é'.repeat(128)), join('é'.repeat(128) + 'a')],
    [
      'maxStringBytes',
      sync(new Uint8Array(0), [player(0, '🎮'.repeat(64))]),
      sync(new Uint8Array(0), [player(0, '🎮'.repeat(64) + '!')]),
    ],
    ['maxConfigEntries', joinAccept(64), joinAccept(65)],
    ['maxMetadataBytes', drop(4096), drop(4097)],
    ['maxPlayerMetadataBytes', join('a', new Uint8Array(256)), join('a', new Uint8Array(257))],
    ['maxPlayerMetadataBytes', joined(new Uint8Array(256)), joined(new Uint8Array(257))],
    [
      'maxPlayerMetadataBytes',
      sync(new Uint8Array(0), [{ ...player(2), metadata: new Uint8Array(256) }]),
      sync(new Uint8Array(0), [{ ...player(2), metadata: new Uint8Array(257) }]),
    ],
  ];
  /** Defaults, except a small state limit so the test needs no 16 MiB state. */
  const limits: Partial<ProtocolLimits> = { maxStateBytes: 1000 };
  const unlimited: Partial<ProtocolLimits> = {
    maxInputBytes: 1e6,
    maxInputsPerRun: 1e6,
    maxPlayersPerMessage: 1e6,
    maxStateBytes: 1e6,
    maxStringBytes: 1e6,
    maxConfigEntries: 1e6,
    maxMetadataBytes: 1e6,
    maxPlayerMetadataBytes: 1e6,
  };

  it('has the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxInputBytes: 64,
      maxInputsPerRun: 256,
      maxPlayersPerMessage: 64,
      maxStateBytes: 16 * 1024 * 1024,
      maxStringBytes: 256,
      maxConfigEntries: 64,
      maxMetadataBytes: 4096,
      maxPlayerMetadataBytes: 256,
    });
  });

  it.each(cases.map(([name, at, over], i) => [name, i, at, over] as const))(
    '%s (case %i): accepts a message at the limit and rejects one over it on encode and decode',
    (name, _i, at, over) => {
      expect(decodeMessage(encodeMessage(at, limits), limits)).toEqual(at);

      const encodeErr = thrown(() => encodeMessage(over, limits));
      expect(encodeErr).toBeInstanceOf(RbnError);
      expect(encodeErr).not.toBeInstanceOf(DecodeError);
      expect((encodeErr as RbnError).code).toBe('ENCODE_ERROR');
      expect((encodeErr as RbnError).message).toContain(name);

      // A peer with looser limits can produce the bytes; the receiver must refuse them.
      const bytes = encodeMessage(over, unlimited);
      const decodeErr = thrown(() => decodeMessage(bytes, limits));
      expect(decodeErr).toBeInstanceOf(DecodeError);
      expect((decodeErr as DecodeError).messageType).toBe(over.type);
      expect((decodeErr as DecodeError).reason).toContain(name);
    },
  );

  it('rejects an absurd count from its header alone, before reading (or allocating) the rest', () => {
    // Input, senderTick 0, 0 acks, 1 run: slot 0, start 0, count 2^32 − 1 — and nothing else.
    const bytes = fromHex('01 00 00 01 00 00 ff ff ff ff 0f');
    const e = thrown(() => decodeMessage(bytes, unlimited)) as DecodeError;
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.offset).toBe(6);
    expect(e.reason).toMatch(/over maxInputsPerRun|needs at least/);
    const big = thrown(() =>
      decodeMessage(fromHex('11 00 00 00 00 00 ff ff ff ff 0f')),
    ) as DecodeError;
    expect(big.reason).toContain('maxStateBytes');
  });

  it('rejects invalid limits with an RbnError naming the limit', () => {
    const e = thrown(() =>
      encodeMessage({ type: MessageType.Pause, tick: 0 }, { maxInputBytes: -1 }),
    );
    expect((e as RbnError).code).toBe('INVALID_LIMITS');
    expect((e as RbnError).message).toContain('maxInputBytes');
  });
});

describe('decodeMessage rejects bad bytes with a DecodeError', () => {
  const cases: [string, string, number | undefined, number, RegExp][] = [
    ['an empty message', '', undefined, 0, /empty/],
    ['an unknown type 0x00', '00', 0x00, 0, /unknown message type 0x00/],
    ['an unknown type 0x03', '03 00', 0x03, 0, /unknown message type 0x03/],
    ['an unknown type 0xff', 'ff', 0xff, 0, /unknown message type 0xff/],
    ['trailing bytes', '12 05 00', 0x12, 2, /1 trailing byte/],
    ['an echo without its delay', '02 03 00 01 07', 0x02, 5, /echo delay varint runs past/],
    ['an echo delay over a minute', '02 03 00 01 07 e1 d4 03', 0x02, 5, /echo delay .*over 60000/],
    ['a byte after the echo', '02 03 00 01 07 00 00', 0x02, 6, /1 trailing byte/],
    ['a truncated u32', '10 3c ef be', 0x10, 2, /truncated/],
    ['a varint running past the end', '12 80', 0x12, 1, /truncated/],
    ['an overlong varint', '12 80 00', 0x12, 1, /overlong/],
    ['a varint longer than 5 bytes', '12 80 80 80 80 80 01', 0x12, 1, /longer than 5 bytes/],
    ['a tick of 2^31', '12 80 80 80 80 08', 0x12, 1, /over 2147483647/],
    ['an ack tick of 2^31 (tick + 1 = 2^31 + 1)', '02 00 01 00 81 80 80 80 08', 0x02, 4, /over/],
    ['a role of 2', '30 01 00 00 02', 0x30, 4, /role 2 is not a known value/],
    ['a leave reason of 4', '35 00 00 04', 0x35, 3, /leave reason 4/],
    ['a reject reason of 7', '32 07 00', 0x32, 1, /reject reason 7/],
    ['invalid UTF-8 (0xff)', '32 00 02 61 ff', 0x32, 2, /not valid UTF-8/],
    ['an overlong UTF-8 NUL (c0 80)', '32 00 02 c0 80', 0x32, 2, /not valid UTF-8/],
    ['a UTF-8 encoded lone surrogate', '32 00 03 ed a0 80', 0x32, 2, /not valid UTF-8/],
    ['a string longer than the bytes left', '32 00 05 61', 0x32, 3, /truncated/],
    [
      'a delta token with its reserved high bit',
      '01 00 00 01 00 00 02 01 05 03 80',
      0x01,
      10,
      /reserved/,
    ],
    [
      'a delta token covering too many bytes',
      '01 00 00 01 00 00 02 01 05 03 02',
      0x01,
      10,
      /covers 2 bytes/,
    ],
    ['a delta literal cut short', '01 00 00 01 00 00 02 01 05 07 03 aa', 0x01, 11, /truncated/],
    ['a run past tick 2^31 − 1', '01 00 00 01 00 ff ff ff ff 07 02 00 00', 0x01, 10, /past tick/],
    [
      'a duplicate config key',
      '31 00 00 00 02 01 6b 00 00 00 00 00 00 00 00 01 6b 00 00 00 00 00 00 00 00',
      0x31,
      15,
      /appears twice/,
    ],
  ];

  it.each(cases)('rejects %s', (_name, text, type, offset, reason) => {
    const bytes = text === '' ? new Uint8Array(0) : fromHex(text);
    const e = thrown(() => decodeMessage(bytes));
    expect(e).toBeInstanceOf(DecodeError);
    const d = e as DecodeError;
    expect(d.code).toBe('DECODE_ERROR');
    expect(d.reason).toMatch(reason);
    expect(d.messageType).toBe(type);
    expect(d.offset).toBe(offset);
    expect(tryDecodeMessage(bytes)).toEqual({ ok: false, error: d });
  });

  it('rejects a value that is not a Uint8Array', () => {
    expect(() => decodeMessage([1, 2] as unknown as Uint8Array)).toThrow(DecodeError);
  });

  it('never reads past the end of its view, even when the bytes after it would complete the message', () => {
    const bytes = encodeMessage({ type: MessageType.Hash, tick: 9, hash: 0x12345678 });
    const big = new Uint8Array(bytes.length + 4);
    big.set(bytes);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeMessage(big.subarray(0, n))).toThrow(DecodeError);
    }
  });

  it('reads a message inside a larger buffer (a subarray) correctly', () => {
    const bytes = encodeMessage({ type: MessageType.Hash, tick: 9, hash: 0x12345678 });
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 5);
    expect(decodeMessage(big.subarray(5, 5 + bytes.length))).toEqual({
      type: MessageType.Hash,
      tick: 9,
      hash: 0x12345678,
    });
  });
});

describe('encodeMessage rejects invalid fields with an RbnError naming the field', () => {
  const base: Extract<Message, { type: MessageType.Input }> = {
    type: MessageType.Input,
    senderTick: 0,
    acks: [{ slot: 0, tick: 0 }],
    runs: [{ slot: 0, startTick: 0, inputs: [new Uint8Array(1)] }],
  };
  const p: WirePlayer = {
    slot: 0,
    playerId: 'a',
    peerId: 'b',
    role: WireRole.Player,
    joinTick: 0,
    leaveTick: -1,
    metadata: new Uint8Array(0),
  };
  const join = { type: MessageType.JoinRequest, roomId: '', playerId: '', role: 0 };
  const cases: [string, unknown, string][] = [
    ['a negative tick', { type: MessageType.Pause, tick: -1 }, 'Pause.tick'],
    ['a tick of 2^31', { type: MessageType.Resume, tick: 2 ** 31 }, 'Resume.tick'],
    ['a fractional tick', { type: MessageType.SyncRequest, tick: 1.5 }, 'SyncRequest.tick'],
    ['a NaN tick', { type: MessageType.Hash, tick: NaN, hash: 0 }, 'Hash.tick'],
    ['a negative hash', { type: MessageType.Hash, tick: 0, hash: -1 }, 'Hash.hash'],
    ['a hash of 2^32', { type: MessageType.Hash, tick: 0, hash: 2 ** 32 }, 'Hash.hash'],
    [
      'a fractional hash',
      { ...{ type: MessageType.Sync, tick: 0, state: new Uint8Array(0), players: [] }, hash: 0.5 },
      'Sync.hash',
    ],
    ['a slot of 256', { type: MessageType.LagReport, slot: 256, ticksBehind: 0 }, 'LagReport.slot'],
    [
      'a negative slot',
      { type: MessageType.PlayerLeft, slot: -1, tick: 0, reason: 0 },
      'PlayerLeft.slot',
    ],
    [
      'an ack tick of -2',
      {
        ...base,
        acks: [
          { slot: 0, tick: 0 },
          { slot: 1, tick: -2 },
        ],
      },
      'Input.acks[1].tick',
    ],
    [
      'a run start tick of -1',
      { ...base, runs: [{ slot: 0, startTick: -1, inputs: [] }] },
      'Input.runs[0].startTick',
    ],
    [
      'a run slot of 300',
      { ...base, runs: [{ slot: 300, startTick: 0, inputs: [] }] },
      'Input.runs[0].slot',
    ],
    [
      'an input that is not a Uint8Array',
      { ...base, runs: [{ slot: 0, startTick: 0, inputs: [new Uint8Array(1), [1]] }] },
      'Input.runs[0].inputs[1]',
    ],
    [
      'a run that ends past tick 2^31 − 1',
      {
        ...base,
        runs: [{ slot: 0, startTick: 2 ** 31 - 1, inputs: [new Uint8Array(0), new Uint8Array(0)] }],
      },
      'Input.runs[0]',
    ],
    [
      'a role of 2',
      { type: MessageType.JoinRequest, protocolVersion: 1, roomId: '', playerId: '', role: 2 },
      'JoinRequest.role',
    ],
    [
      'player metadata that is not a Uint8Array',
      { ...join, protocolVersion: 2, metadata: 'Ana' },
      'JoinRequest.metadata',
    ],
    [
      'player metadata in a version-1 JoinRequest',
      { ...join, protocolVersion: 1, metadata: new Uint8Array(1) },
      'JoinRequest.metadata',
    ],
    [
      'a WirePlayer without metadata',
      { type: MessageType.PlayerJoined, player: { ...p, metadata: undefined } },
      'PlayerJoined.player.metadata',
    ],
    [
      'a leave reason of 9',
      { type: MessageType.PlayerLeft, slot: 0, tick: 0, reason: 9 },
      'PlayerLeft.reason',
    ],
    [
      'a reject reason of 7',
      { type: MessageType.JoinReject, reason: 7, message: '' },
      'JoinReject.reason',
    ],
    [
      'a leaveTick of -2',
      { type: MessageType.PlayerJoined, player: { ...p, leaveTick: -2 } },
      'PlayerJoined.player.leaveTick',
    ],
    [
      'a player id with a lone surrogate',
      {
        type: MessageType.StateSync,
        tick: 0,
        hash: 0,
        state: new Uint8Array(0),
        players: [p, { ...p, playerId: 'a\ud800' }],
      },
      'StateSync.players[1].playerId',
    ],
    [
      'a peer id that is not a string',
      { type: MessageType.PlayerJoined, player: { ...p, peerId: 5 } },
      'PlayerJoined.player.peerId',
    ],
    [
      'a state that is not a Uint8Array',
      { type: MessageType.Sync, tick: 0, hash: 0, state: 'x', players: [] },
      'Sync.state',
    ],
    [
      'a config value that is not a number',
      {
        type: MessageType.JoinAccept,
        roomId: '',
        slot: 0,
        players: [],
        config: { tickRate: '60' },
      },
      'JoinAccept.config.tickRate',
    ],
    [
      'a timestamp of 2^32',
      { type: MessageType.Ping, timestamp: 2 ** 32, tick: 0 },
      'Ping.timestamp',
    ],
    [
      'an echo without a seq',
      { type: MessageType.InputAck, senderTick: 0, acks: [], echoSeq: 1, echoDelay: 0 },
      'InputAck.echoSeq',
    ],
    [
      'an echo delay over a minute',
      { ...base, seq: 0, echoSeq: 1, echoDelay: 60_001 },
      'Input.echoDelay',
    ],
    [
      'negative seconds',
      { type: MessageType.ResumeCountdown, seconds: -1 },
      'ResumeCountdown.seconds',
    ],
    ['an unknown message type', { type: 0x99 }, 'message.type'],
  ];

  it.each(cases)('rejects %s', (_name, msg, field) => {
    const e = thrown(() => encodeMessage(msg as Message));
    expect(e).toBeInstanceOf(RbnError);
    expect((e as RbnError).code).toBe('ENCODE_ERROR');
    expect((e as RbnError).message).toContain(`cannot encode ${field}:`);
  });

  it('leaves the encoder usable after an error', () => {
    expect(() => encodeMessage({ type: MessageType.Pause, tick: -1 })).toThrow(RbnError);
    expect(hex(encodeMessage({ type: MessageType.Pause, tick: 1 }))).toBe('20 01');
  });
});

describe('limits objects', () => {
  it('uses the current values of a limits object that was changed between calls', () => {
    const limits: Partial<ProtocolLimits> = { maxStringBytes: 4 };
    const msg: Message = {
      type: MessageType.JoinReject,
      reason: JoinRejectReason.Other,
      message: 'hello',
    };
    expect(() => encodeMessage(msg, limits)).toThrow(/maxStringBytes \(4\)/);
    limits.maxStringBytes = 5;
    expect(decodeMessage(encodeMessage(msg, limits), limits)).toEqual(msg);
    limits.maxStringBytes = 4;
    expect(() => decodeMessage(encodeMessage(msg, { maxStringBytes: 5 }), limits)).toThrow(
      DecodeError,
    );
  });
});

describe('encodeMessage (caller misuse)', () => {
  const JUNK: readonly unknown[] = [
    null,
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    1.5,
    2 ** 40,
    'x',
    {},
    [],
    true,
    [null],
  ];

  /** Every path to a value inside `value`, not descending into byte arrays. */
  function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [];
    const out: (string | number)[][] = [];
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(path, ...paths(child, path));
    }
    return out;
  }

  function replaced(msg: Message, path: (string | number)[], junk: unknown): unknown {
    const copy = structuredClone(msg) as unknown as Record<string | number, unknown>;
    let at = copy;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path[path.length - 1]!] = junk;
    return copy;
  }

  it('throws only RbnError ENCODE_ERROR, whatever field of any message a JS caller gets wrong', () => {
    let rejected = 0;
    for (const msg of samples) {
      for (const path of paths(msg)) {
        for (const junk of JUNK) {
          const bad = replaced(msg, path, junk);
          const label = `${MessageType[msg.type]}.${path.join('.')} = ${Array.isArray(junk) ? JSON.stringify(junk) : String(junk)}`;
          let error: unknown;
          try {
            encodeMessage(bad as Message);
          } catch (e) {
            error = e;
          }
          if (error === undefined) continue;
          rejected++;
          expect(error, label).toBeInstanceOf(RbnError);
          expect((error as RbnError).code, label).toBe('ENCODE_ERROR');
        }
      }
    }
    expect(rejected).toBeGreaterThan(1000);
    // The encoder is still usable afterwards.
    expect(decodeMessage(encodeMessage(samples[0]!))).toEqual(samples[0]);
  });
});

describe('DesyncState bounds', () => {
  const chunkOf = (totalBytes: number, offset: number, n: number) =>
    encodeMessage({
      type: MessageType.DesyncState,
      tick: 3,
      totalBytes,
      offset,
      chunk: new Uint8Array(n),
    });

  it('refuses to encode a chunk past totalBytes or a total over maxStateBytes', () => {
    expect(() => chunkOf(10, 8, 3)).toThrow(/DesyncState\.chunk/);
    expect(() => chunkOf(10, 11, 0)).toThrow(/DesyncState\.offset/);
    expect(() => chunkOf(2000, 0, 0).length).not.toThrow();
    expect(() =>
      encodeMessage(
        {
          type: MessageType.DesyncState,
          tick: 0,
          totalBytes: 2000,
          offset: 0,
          chunk: new Uint8Array(0),
        },
        { maxStateBytes: 1000 },
      ),
    ).toThrow(/DesyncState\.totalBytes/);
  });

  it('rejects bytes whose chunk runs past totalBytes or whose total is over maxStateBytes', () => {
    const valid = chunkOf(10, 8, 2);
    // [type, tick, total, offset, length, ...]: claim a 3-byte chunk of a 10-byte state at 8.
    const tooLong = Uint8Array.from([...valid.subarray(0, 4), 3, 0, 0, 0]);
    expect(() => decodeMessage(tooLong)).toThrow(DecodeError);
    expect(() => decodeMessage(chunkOf(2000, 0, 0), { maxStateBytes: 1000 })).toThrow(
      /maxStateBytes/,
    );
  });
});
