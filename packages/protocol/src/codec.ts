import { describeValue } from './arguments';
import { DecodeError, RbnError } from './errors';
import { ByteReader, copyOf } from './byte-reader';
import { ByteWriter, encodeFieldError } from './byte-writer';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits';
import {
  JoinRejectReason,
  LeaveReason,
  MAX_TICK,
  MessageType,
  WireRole,
  type InputAckEntry,
  type InputRun,
  type Message,
  type WirePlayer,
} from './messages';

/** The largest unsigned 32-bit integer. */
const MAX_U32 = 0xffffffff;
/** A delta token covers 1–64 bytes (6 bits of length − 1). */
const MAX_TOKEN_RUN = 64;

/** The result of {@link tryDecodeMessage}: the message, or why the bytes were rejected. */
export type DecodeResult = { ok: true; message: Message } | { ok: false; error: DecodeError };

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof ProtocolLimits)[];

/** The last limits object resolved, the values it held then, and the result (a one-entry cache). */
let lastPartial: Partial<ProtocolLimits> | undefined;
let lastSeen: Partial<ProtocolLimits> = {};
let lastResolved: Readonly<ProtocolLimits> = DEFAULT_LIMITS;

function unchanged(partial: Partial<ProtocolLimits>): boolean {
  for (let i = 0; i < LIMIT_KEYS.length; i++) {
    const key = LIMIT_KEYS[i]!;
    if (partial[key] !== lastSeen[key]) return false;
  }
  return true;
}

/**
 * Merges `partial` over the defaults. Callers usually pass the same object on every call, so the
 * result is cached; the cache is only used while every field still holds the value it had, so
 * mutating the limits object between calls is safe.
 */
function resolveLimits(partial: Partial<ProtocolLimits> | undefined): Readonly<ProtocolLimits> {
  if (partial === undefined) return DEFAULT_LIMITS;
  if (partial === lastPartial && unchanged(partial)) return lastResolved;
  const merged: ProtocolLimits = { ...DEFAULT_LIMITS };
  const seen: Partial<ProtocolLimits> = {};
  for (const key of LIMIT_KEYS) {
    const v = partial[key];
    if (v === undefined) continue;
    seen[key] = v;
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RbnError(
        'INVALID_LIMITS',
        `limits.${key} must be a non-negative integer, got ${String(v)}`,
      );
    }
    merged[key] = v;
  }
  // A varint length field cannot describe more than 2^32 − 2 bytes.
  merged.maxStateBytes = Math.min(merged.maxStateBytes, MAX_U32 - 1);
  merged.maxMetadataBytes = Math.min(merged.maxMetadataBytes, MAX_U32 - 1);
  merged.maxInputBytes = Math.min(merged.maxInputBytes, (MAX_U32 - 2) / 2);
  lastPartial = partial;
  lastSeen = seen;
  lastResolved = Object.freeze(merged);
  return lastResolved;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

const writer = new ByteWriter(1024);
/** After a large message the writer drops its big buffer instead of holding it forever. */
const KEEP_WRITER_BYTES = 1 << 20;

/** {@link encodeFieldError}, with `, got <value>` appended when a value is given. */
function encodeError(
  field: string,
  index: number,
  suffix: string,
  problem: string,
  value?: unknown,
): RbnError {
  const got = arguments.length >= 5 ? `, got ${describeValue(value)}` : '';
  return encodeFieldError(field, index, suffix, `${problem}${got}`);
}

function isTick(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TICK;
}

function isUInt(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function tick(w: ByteWriter, v: number, field: string, index = -1, suffix = ''): void {
  if (!isTick(v)) {
    throw encodeError(field, index, suffix, 'a tick must be an integer in [0, 2^31 − 1]', v);
  }
  w.varint(v);
}

/** A tick that may be −1 ("none"), written as tick + 1. */
function tickOrNone(w: ByteWriter, v: number, field: string, index = -1, suffix = ''): void {
  if (v !== -1 && !isTick(v)) {
    throw encodeError(field, index, suffix, 'must be -1 or an integer in [0, 2^31 − 1]', v);
  }
  w.varint(v + 1);
}

function slot(w: ByteWriter, v: number, field: string, index = -1, suffix = ''): void {
  if (!isUInt(v, 0xff)) {
    throw encodeError(field, index, suffix, 'a slot must be an integer in [0, 255]', v);
  }
  w.u8(v);
}

function u32(w: ByteWriter, v: number, field: string): void {
  if (!isUInt(v, MAX_U32)) {
    throw encodeError(field, -1, '', 'must be an unsigned 32-bit integer', v);
  }
  w.u32(v);
}

function uvar(w: ByteWriter, v: number, max: number, field: string): void {
  if (!isUInt(v, max)) throw encodeError(field, -1, '', `must be an integer in [0, ${max}]`, v);
  w.varint(v);
}

function enumByte(
  w: ByteWriter,
  v: number,
  max: number,
  field: string,
  index = -1,
  suffix = '',
): void {
  if (!isUInt(v, max)) {
    throw encodeError(field, index, suffix, `must be an enum value in [0, ${max}]`, v);
  }
  w.u8(v);
}

function countOf(
  v: readonly unknown[],
  max: number,
  limitName: string,
  field: string,
  index = -1,
  suffix = '',
): number {
  if (!Array.isArray(v)) throw encodeError(field, index, suffix, 'must be an array', v);
  if (v.length > max) {
    throw encodeError(field, index, suffix, `${v.length} entries is over ${limitName} (${max})`);
  }
  return v.length;
}

function byteArray(
  v: Uint8Array,
  max: number,
  limitName: string,
  field: string,
  index = -1,
  suffix = '',
): Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw encodeError(field, index, suffix, 'must be a Uint8Array', v);
  }
  if (v.length > max) {
    throw encodeError(field, index, suffix, `${v.length} bytes is over ${limitName} (${max})`);
  }
  return v;
}

function writeAcks(
  w: ByteWriter,
  acks: InputAckEntry[],
  limits: Readonly<ProtocolLimits>,
  field: string,
): void {
  const n = countOf(acks, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', field);
  w.varint(n);
  for (let i = 0; i < n; i++) {
    const ack = acks[i]!;
    if (typeof ack !== 'object' || ack === null) {
      throw encodeError(field, i, '', 'must be an InputAckEntry', ack);
    }
    slot(w, ack.slot, field, i, '.slot');
    tickOrNone(w, ack.tick, field, i, '.tick');
  }
}

/** Bytes a varint of `v` takes. */
function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Byte `i` of `cur` XOR byte `i` of `prev`, where `prev` reads as 0 past its end. */
function xorAt(cur: Uint8Array, prev: Uint8Array, i: number): number {
  return cur[i]! ^ (i < prev.length ? prev[i]! : 0);
}

/** Writes `cur` as a delta against `prev`: see the README's "Input deltas". */
function writeDelta(w: ByteWriter, prev: Uint8Array, cur: Uint8Array): void {
  const len = cur.length;
  if (len === prev.length) {
    let same = true;
    for (let j = 0; j < len; j++) {
      if (cur[j] !== prev[j]) {
        same = false;
        break;
      }
    }
    if (same) {
      w.u8(0);
      return;
    }
  }
  // Worst case: header (≤ 5) + one token per byte + every byte literal.
  w.ensure(5 + 2 * len);
  const start = w.pos;
  w.varint(2 * len + 1);
  const b = w.buf;
  let p = w.pos;
  let j = 0;
  while (j < len) {
    // A token covers up to 64 bytes whose XOR is all zero (unchanged) or all non-zero (literal).
    const zero = xorAt(cur, prev, j) === 0;
    let k = 1;
    while (k < MAX_TOKEN_RUN && j + k < len && (xorAt(cur, prev, j + k) === 0) === zero) k++;
    if (zero) {
      b[p++] = (k - 1) << 1;
    } else {
      b[p++] = ((k - 1) << 1) | 1;
      for (let m = 0; m < k; m++) b[p++] = xorAt(cur, prev, j + m);
    }
    j += k;
  }
  const rawHeader = 2 * len + 2;
  const rawCost = varintSize(rawHeader) + len;
  if (p - start >= rawCost) {
    // Raw is no larger: write the input as it is.
    w.pos = start;
    w.varint(rawHeader);
    w.bytes(cur);
  } else {
    w.pos = p;
  }
}

function writeRuns(w: ByteWriter, runs: InputRun[], limits: Readonly<ProtocolLimits>): void {
  const n = countOf(runs, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', 'Input.runs');
  w.varint(n);
  const maxInput = limits.maxInputBytes;
  for (let i = 0; i < n; i++) {
    const run = runs[i]!;
    if (typeof run !== 'object' || run === null) {
      throw encodeError('Input.runs', i, '', 'must be an InputRun', run);
    }
    slot(w, run.slot, 'Input.runs', i, '.slot');
    tick(w, run.startTick, 'Input.runs', i, '.startTick');
    const inputs = run.inputs;
    const count = countOf(
      inputs,
      limits.maxInputsPerRun,
      'maxInputsPerRun',
      'Input.runs',
      i,
      '.inputs',
    );
    if (count > 0 && run.startTick + count - 1 > MAX_TICK) {
      const last = run.startTick + count - 1;
      throw encodeError('Input.runs', i, '', `its last tick ${last} is over 2^31 − 1`);
    }
    w.varint(count);
    let prev: Uint8Array | undefined;
    for (let j = 0; j < count; j++) {
      const input = inputs[j]!;
      if (!(input instanceof Uint8Array) || input.length > maxInput) {
        byteArray(input, maxInput, 'maxInputBytes', `Input.runs[${i}].inputs`, j);
      }
      if (prev === undefined) {
        w.varint(input.length);
        w.bytes(input);
      } else {
        writeDelta(w, prev, input);
      }
      prev = input;
    }
  }
}

function writePlayer(
  w: ByteWriter,
  p: WirePlayer,
  limits: Readonly<ProtocolLimits>,
  field: string,
  index: number,
): void {
  if (typeof p !== 'object' || p === null) {
    throw encodeError(field, index, '', 'must be a WirePlayer', p);
  }
  slot(w, p.slot, field, index, '.slot');
  w.string(p.playerId, limits.maxStringBytes, field, index, '.playerId');
  w.string(p.peerId, limits.maxStringBytes, field, index, '.peerId');
  enumByte(w, p.role, WireRole.Spectator, field, index, '.role');
  tick(w, p.joinTick, field, index, '.joinTick');
  tickOrNone(w, p.leaveTick, field, index, '.leaveTick');
}

function writePlayers(
  w: ByteWriter,
  players: WirePlayer[],
  limits: Readonly<ProtocolLimits>,
  field: string,
): void {
  const n = countOf(players, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', field);
  w.varint(n);
  for (let i = 0; i < n; i++) writePlayer(w, players[i]!, limits, field, i);
}

function writeState(
  w: ByteWriter,
  msg: { tick: number; hash: number; state: Uint8Array; players: WirePlayer[] },
  limits: Readonly<ProtocolLimits>,
  type: 'Sync' | 'StateSync',
): void {
  tick(w, msg.tick, type, -1, '.tick');
  if (!isUInt(msg.hash, MAX_U32)) {
    throw encodeError(type, -1, '.hash', 'must be an unsigned 32-bit integer', msg.hash);
  }
  w.u32(msg.hash);
  const state = byteArray(msg.state, limits.maxStateBytes, 'maxStateBytes', type, -1, '.state');
  w.varint(state.length);
  w.bytes(state);
  writePlayers(w, msg.players, limits, type === 'Sync' ? 'Sync.players' : 'StateSync.players');
}

function writeBody(w: ByteWriter, msg: Message, limits: Readonly<ProtocolLimits>): void {
  switch (msg.type) {
    case MessageType.Input:
      tick(w, msg.senderTick, 'Input.senderTick');
      writeAcks(w, msg.acks, limits, 'Input.acks');
      writeRuns(w, msg.runs, limits);
      return;
    case MessageType.InputAck:
      tick(w, msg.senderTick, 'InputAck.senderTick');
      writeAcks(w, msg.acks, limits, 'InputAck.acks');
      return;
    case MessageType.Hash:
      tick(w, msg.tick, 'Hash.tick');
      u32(w, msg.hash, 'Hash.hash');
      return;
    case MessageType.Sync:
      writeState(w, msg, limits, 'Sync');
      return;
    case MessageType.StateSync:
      writeState(w, msg, limits, 'StateSync');
      return;
    case MessageType.SyncRequest:
      tick(w, msg.tick, 'SyncRequest.tick');
      return;
    case MessageType.Pause:
      tick(w, msg.tick, 'Pause.tick');
      return;
    case MessageType.Resume:
      tick(w, msg.tick, 'Resume.tick');
      return;
    case MessageType.LagReport:
      slot(w, msg.slot, 'LagReport.slot');
      uvar(w, msg.ticksBehind, MAX_TICK, 'LagReport.ticksBehind');
      return;
    case MessageType.DisconnectReport:
      slot(w, msg.slot, 'DisconnectReport.slot');
      tick(w, msg.tick, 'DisconnectReport.tick');
      return;
    case MessageType.ResumeCountdown:
      uvar(w, msg.seconds, MAX_TICK, 'ResumeCountdown.seconds');
      return;
    case MessageType.DropPlayer: {
      slot(w, msg.slot, 'DropPlayer.slot');
      tick(w, msg.tick, 'DropPlayer.tick');
      if (msg.metadata === null) {
        w.u8(0);
      } else {
        const m = byteArray(
          msg.metadata,
          limits.maxMetadataBytes,
          'maxMetadataBytes',
          'DropPlayer.metadata',
        );
        w.varint(m.length + 1);
        w.bytes(m);
      }
      return;
    }
    case MessageType.JoinRequest:
      uvar(w, msg.protocolVersion, MAX_U32, 'JoinRequest.protocolVersion');
      w.string(msg.roomId, limits.maxStringBytes, 'JoinRequest.roomId');
      w.string(msg.playerId, limits.maxStringBytes, 'JoinRequest.playerId');
      enumByte(w, msg.role, WireRole.Spectator, 'JoinRequest.role');
      return;
    case MessageType.JoinAccept: {
      w.string(msg.roomId, limits.maxStringBytes, 'JoinAccept.roomId');
      slot(w, msg.slot, 'JoinAccept.slot');
      writePlayers(w, msg.players, limits, 'JoinAccept.players');
      const config = msg.config;
      if (typeof config !== 'object' || config === null) {
        throw encodeError('JoinAccept.config', -1, '', 'must be an object', config);
      }
      const keys = Object.keys(config);
      countOf(keys, limits.maxConfigEntries, 'maxConfigEntries', 'JoinAccept.config');
      w.varint(keys.length);
      for (const key of keys) {
        const value = config[key];
        if (typeof value !== 'number') {
          throw encodeError('JoinAccept.config', -1, `.${key}`, 'must be a number', value);
        }
        w.string(
          key,
          limits.maxStringBytes,
          'JoinAccept.config',
          -1,
          ` key ${JSON.stringify(key)}`,
        );
        w.f64(value);
      }
      return;
    }
    case MessageType.JoinReject:
      enumByte(w, msg.reason, JoinRejectReason.Other, 'JoinReject.reason');
      w.string(msg.message, limits.maxStringBytes, 'JoinReject.message');
      return;
    case MessageType.PlayerJoined:
      writePlayer(w, msg.player, limits, 'PlayerJoined.player', -1);
      return;
    case MessageType.PlayerLeft:
      slot(w, msg.slot, 'PlayerLeft.slot');
      tick(w, msg.tick, 'PlayerLeft.tick');
      enumByte(w, msg.reason, LeaveReason.Kicked, 'PlayerLeft.reason');
      return;
    case MessageType.Ping:
      u32(w, msg.timestamp, 'Ping.timestamp');
      tick(w, msg.tick, 'Ping.tick');
      return;
    case MessageType.Pong:
      u32(w, msg.timestamp, 'Pong.timestamp');
      tick(w, msg.tick, 'Pong.tick');
      return;
    default: {
      const type: unknown = (msg as { type: unknown } | null)?.type;
      throw encodeError('message', -1, '.type', 'unknown message type', type);
    }
  }
}

/**
 * Encodes a message into its compact binary wire form (one type byte, then the payload; see the
 * package README for the format byte by byte).
 *
 * @param msg - The message to encode.
 * @param limits - Limits to enforce (any left out use {@link DEFAULT_LIMITS}); use the same
 * limits as the receiving decoder.
 * @returns A new `Uint8Array` of exactly the encoded length, owned by the caller.
 * @throws RbnError with code `'ENCODE_ERROR'` when a field is invalid (a negative tick, a tick of
 * 2^31 or more, a slot over 255, a hash that is not an unsigned 32-bit integer, an unknown enum
 * value, a lone surrogate in a string …) or over a limit; the message names the field.
 * @throws RbnError with code `'INVALID_LIMITS'` when a given limit is not a non-negative integer.
 * @example
 * ```ts
 * import { MessageType, encodeMessage, decodeMessage } from '@rbn/protocol';
 *
 * const bytes = encodeMessage({ type: MessageType.Hash, tick: 120, hash: 0xdeadbeef });
 * const msg = decodeMessage(bytes); // { type: MessageType.Hash, tick: 120, hash: 0xdeadbeef }
 * ```
 */
export function encodeMessage(msg: Message, limits?: Partial<ProtocolLimits>): Uint8Array {
  const resolved = resolveLimits(limits);
  const w = writer;
  w.reset();
  if (typeof msg !== 'object' || msg === null)
    throw encodeError('message', -1, '', 'must be an object', msg);
  w.u8(msg.type);
  writeBody(w, msg, resolved);
  const out = w.finish();
  if (w.buf.length > KEEP_WRITER_BYTES) w.buf = new Uint8Array(1024);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

function readTick(r: ByteReader, what: string): number {
  return r.varint(MAX_TICK, what);
}

function readTickOrNone(r: ByteReader, what: string): number {
  return r.varint(MAX_TICK + 1, what) - 1;
}

function readEnum(r: ByteReader, max: number, what: string): number {
  const at = r.pos;
  const v = r.u8(what);
  if (v > max) r.fail(`${what} ${v} is not a known value (0–${max})`, at);
  return v;
}

/** Reads a count and checks it against its limit and the bytes left, before anything is allocated. */
function readCount(
  r: ByteReader,
  max: number,
  limitName: string,
  minBytesEach: number,
  what: string,
): number {
  const at = r.pos;
  const n = r.varint(MAX_U32, what);
  if (n > max) r.fail(`${what} ${n} is over ${limitName} (${max})`, at);
  if (n * minBytesEach > r.end - r.pos) {
    r.fail(`truncated: ${what} ${n} needs at least ${n * minBytesEach} more bytes`, at);
  }
  return n;
}

function readAcks(r: ByteReader, limits: Readonly<ProtocolLimits>): InputAckEntry[] {
  const n = readCount(r, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', 2, 'ack count');
  const acks: InputAckEntry[] = [];
  for (let i = 0; i < n; i++) {
    const s = r.u8('ack slot');
    acks.push({ slot: s, tick: readTickOrNone(r, 'ack tick') });
  }
  return acks;
}

function readDelta(r: ByteReader, prev: Uint8Array, maxInput: number): Uint8Array {
  const at = r.pos;
  const h = r.varint(MAX_U32, 'input header');
  if (h === 0) return copyOf(prev, 0, prev.length);
  // Even header 2n + 2: n raw bytes follow. Odd header 2n + 1: XOR/RLE tokens for n bytes follow.
  const isRaw = (h & 1) === 0;
  const n = isRaw ? (h - 2) / 2 : (h - 1) / 2;
  if (n > maxInput) r.fail(`input of ${n} bytes is over maxInputBytes (${maxInput})`, at);
  if (isRaw) return r.bytes(n, 'input');
  const out = new Uint8Array(n);
  out.set(n < prev.length ? prev.subarray(0, n) : prev);
  const b = r.buf;
  let j = 0;
  while (j < n) {
    const tokenAt = r.pos;
    const t = r.u8('delta token');
    if (t >= 0x80) r.fail(`delta token 0x${t.toString(16)} has its reserved high bit set`, tokenAt);
    const k = (t >> 1) + 1;
    if (k > n - j) r.fail(`delta token covers ${k} bytes but only ${n - j} remain`, tokenAt);
    if ((t & 1) === 1) {
      r.need(k, 'delta literal');
      const p = r.pos;
      for (let m = 0; m < k; m++) out[j + m]! ^= b[p + m]!;
      r.pos = p + k;
    }
    j += k;
  }
  return out;
}

function readRuns(r: ByteReader, limits: Readonly<ProtocolLimits>): InputRun[] {
  const n = readCount(r, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', 3, 'run count');
  const maxInput = limits.maxInputBytes;
  const runs: InputRun[] = [];
  for (let i = 0; i < n; i++) {
    const s = r.u8('run slot');
    const startTick = readTick(r, 'run start tick');
    const countAt = r.pos;
    const count = readCount(r, limits.maxInputsPerRun, 'maxInputsPerRun', 1, 'input count');
    if (count > 0 && startTick + count - 1 > MAX_TICK) {
      r.fail(`run from tick ${startTick} with ${count} inputs goes past tick 2^31 − 1`, countAt);
    }
    const inputs: Uint8Array[] = [];
    if (count > 0) {
      const lenAt = r.pos;
      const len = r.varint(MAX_U32, 'input length');
      if (len > maxInput)
        r.fail(`input of ${len} bytes is over maxInputBytes (${maxInput})`, lenAt);
      let prev = r.bytes(len, 'input');
      inputs.push(prev);
      for (let j = 1; j < count; j++) {
        prev = readDelta(r, prev, maxInput);
        inputs.push(prev);
      }
    }
    runs.push({ slot: s, startTick, inputs });
  }
  return runs;
}

function readPlayer(r: ByteReader, limits: Readonly<ProtocolLimits>): WirePlayer {
  const s = r.u8('player slot');
  const playerId = r.string(limits.maxStringBytes, 'player id');
  const peerId = r.string(limits.maxStringBytes, 'peer id');
  const role = readEnum(r, WireRole.Spectator, 'role') as WireRole;
  const joinTick = readTick(r, 'join tick');
  const leaveTick = readTickOrNone(r, 'leave tick');
  return { slot: s, playerId, peerId, role, joinTick, leaveTick };
}

function readPlayers(r: ByteReader, limits: Readonly<ProtocolLimits>): WirePlayer[] {
  const n = readCount(r, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', 6, 'player count');
  const players: WirePlayer[] = [];
  for (let i = 0; i < n; i++) players.push(readPlayer(r, limits));
  return players;
}

function readBytes(r: ByteReader, max: number, limitName: string, what: string): Uint8Array {
  const at = r.pos;
  const n = r.varint(MAX_U32, `${what} length`);
  if (n > max) r.fail(`${what} of ${n} bytes is over ${limitName} (${max})`, at);
  return r.bytes(n, what);
}

function readBody(r: ByteReader, type: MessageType, limits: Readonly<ProtocolLimits>): Message {
  switch (type) {
    case MessageType.Input: {
      const senderTick = readTick(r, 'sender tick');
      const acks = readAcks(r, limits);
      const runs = readRuns(r, limits);
      return { type: MessageType.Input, senderTick, acks, runs };
    }
    case MessageType.InputAck: {
      const senderTick = readTick(r, 'sender tick');
      return { type: MessageType.InputAck, senderTick, acks: readAcks(r, limits) };
    }
    case MessageType.Hash: {
      const tick = readTick(r, 'tick');
      return { type: MessageType.Hash, tick, hash: r.u32('hash') };
    }
    case MessageType.Sync:
    case MessageType.StateSync: {
      const tick = readTick(r, 'tick');
      const hash = r.u32('hash');
      const state = readBytes(r, limits.maxStateBytes, 'maxStateBytes', 'state');
      const players = readPlayers(r, limits);
      return type === MessageType.Sync
        ? { type: MessageType.Sync, tick, hash, state, players }
        : { type: MessageType.StateSync, tick, hash, state, players };
    }
    case MessageType.SyncRequest:
      return { type: MessageType.SyncRequest, tick: readTick(r, 'tick') };
    case MessageType.Pause:
      return { type: MessageType.Pause, tick: readTick(r, 'tick') };
    case MessageType.Resume:
      return { type: MessageType.Resume, tick: readTick(r, 'tick') };
    case MessageType.LagReport: {
      const s = r.u8('slot');
      return {
        type: MessageType.LagReport,
        slot: s,
        ticksBehind: r.varint(MAX_TICK, 'ticks behind'),
      };
    }
    case MessageType.DisconnectReport: {
      const s = r.u8('slot');
      return { type: MessageType.DisconnectReport, slot: s, tick: readTick(r, 'tick') };
    }
    case MessageType.ResumeCountdown:
      return { type: MessageType.ResumeCountdown, seconds: r.varint(MAX_TICK, 'seconds') };
    case MessageType.DropPlayer: {
      const s = r.u8('slot');
      const tick = readTick(r, 'tick');
      const at = r.pos;
      const m = r.varint(MAX_U32, 'metadata length');
      let metadata: Uint8Array | null = null;
      if (m > 0) {
        if (m - 1 > limits.maxMetadataBytes) {
          r.fail(
            `metadata of ${m - 1} bytes is over maxMetadataBytes (${limits.maxMetadataBytes})`,
            at,
          );
        }
        metadata = r.bytes(m - 1, 'metadata');
      }
      return { type: MessageType.DropPlayer, slot: s, tick, metadata };
    }
    case MessageType.JoinRequest: {
      const protocolVersion = r.varint(MAX_U32, 'protocol version');
      const roomId = r.string(limits.maxStringBytes, 'room id');
      const playerId = r.string(limits.maxStringBytes, 'player id');
      const role = readEnum(r, WireRole.Spectator, 'role') as WireRole;
      return { type: MessageType.JoinRequest, protocolVersion, roomId, playerId, role };
    }
    case MessageType.JoinAccept: {
      const roomId = r.string(limits.maxStringBytes, 'room id');
      const s = r.u8('slot');
      const players = readPlayers(r, limits);
      const n = readCount(r, limits.maxConfigEntries, 'maxConfigEntries', 9, 'config count');
      const config: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const at = r.pos;
        const key = r.string(limits.maxStringBytes, 'config key');
        if (Object.hasOwn(config, key))
          r.fail(`config key ${JSON.stringify(key)} appears twice`, at);
        // defineProperty, not assignment: a key such as "__proto__" must become a plain entry.
        Object.defineProperty(config, key, {
          value: r.f64('config value'),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return { type: MessageType.JoinAccept, roomId, slot: s, players, config };
    }
    case MessageType.JoinReject: {
      const reason = readEnum(r, JoinRejectReason.Other, 'reject reason') as JoinRejectReason;
      return {
        type: MessageType.JoinReject,
        reason,
        message: r.string(limits.maxStringBytes, 'message'),
      };
    }
    case MessageType.PlayerJoined:
      return { type: MessageType.PlayerJoined, player: readPlayer(r, limits) };
    case MessageType.PlayerLeft: {
      const s = r.u8('slot');
      const tick = readTick(r, 'tick');
      const reason = readEnum(r, LeaveReason.Kicked, 'leave reason') as LeaveReason;
      return { type: MessageType.PlayerLeft, slot: s, tick, reason };
    }
    case MessageType.Ping: {
      const timestamp = r.u32('timestamp');
      return { type: MessageType.Ping, timestamp, tick: readTick(r, 'tick') };
    }
    case MessageType.Pong: {
      const timestamp = r.u32('timestamp');
      return { type: MessageType.Pong, timestamp, tick: readTick(r, 'tick') };
    }
    default:
      return r.fail(`unknown message type 0x${(type as number).toString(16).padStart(2, '0')}`, 0);
  }
}

/**
 * Decodes one message from untrusted bytes. It reads with a bounds-checked cursor, checks every
 * count and length against `limits` before allocating for it, and rejects trailing bytes,
 * unknown message types, unknown enum values, out-of-range ticks, overlong varints and invalid
 * UTF-8. Byte arrays in the result (inputs, state, metadata) are copies: `bytes` may be reused.
 *
 * @param bytes - One whole message, as a transport delivered it.
 * @param limits - Limits to enforce (any left out use {@link DEFAULT_LIMITS}).
 * @returns The decoded message.
 * @throws DecodeError (and nothing else) when the bytes are not a valid message; it carries the
 * message type, the byte offset and the reason. (Only a programming error, limits that are not
 * non-negative integers, throws something else: `RbnError` `'INVALID_LIMITS'`.)
 * @example
 * ```ts
 * import { decodeMessage, DecodeError } from '@rbn/protocol';
 *
 * try {
 *   const msg = decodeMessage(bytes);
 * } catch (e) {
 *   if (e instanceof DecodeError) console.warn(e.messageType, e.offset, e.reason);
 * }
 * ```
 */
export function decodeMessage(bytes: Uint8Array, limits?: Partial<ProtocolLimits>): Message {
  const resolved = resolveLimits(limits);
  if (!(bytes instanceof Uint8Array)) {
    throw new DecodeError(undefined, 0, 'input is not a Uint8Array');
  }
  const r = new ByteReader(bytes);
  if (bytes.length === 0) r.fail('empty message');
  const type = bytes[0]!;
  r.messageType = type;
  r.pos = 1;
  let msg: Message;
  try {
    msg = readBody(r, type, resolved);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // Defence in depth: nothing but a DecodeError may ever leave the decoder.
    throw new DecodeError(type, r.pos, `internal decoder error: ${String(e)}`);
  }
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the message`);
  return msg;
}

/**
 * Decodes one message without throwing: the form to use at the network boundary, where bad
 * bytes from a peer are an expected outcome rather than a bug.
 *
 * @param bytes - One whole message, as a transport delivered it.
 * @param limits - Limits to enforce (any left out use {@link DEFAULT_LIMITS}).
 * @returns `{ ok: true, message }`, or `{ ok: false, error }` with the {@link DecodeError}.
 * @example
 * ```ts
 * transport.onMessage = (peerId, bytes) => {
 *   const result = tryDecodeMessage(bytes);
 *   if (!result.ok) return log(peerId, result.error.reason);
 *   handle(peerId, result.message);
 * };
 * ```
 */
export function tryDecodeMessage(
  bytes: Uint8Array,
  limits?: Partial<ProtocolLimits>,
): DecodeResult {
  try {
    return { ok: true, message: decodeMessage(bytes, limits) };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e };
    throw e;
  }
}
