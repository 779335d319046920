import { describeValue } from './arguments';
import type { RbnError } from './errors';
import { ByteWriter, encodeFieldError } from './byte-writer';
import { writeInputDelta } from './input-delta';
import { resolveLimits } from './internal/resolve-limits';
import type { ProtocolLimits } from './limits';
import {
  JoinRejectReason,
  LeaveReason,
  MAX_ECHO_DELAY_MS,
  MAX_REJOIN_TOKEN_BYTES,
  MAX_TICK,
  MessageType,
  PLAYER_METADATA_VERSION,
  WireRole,
  type InputAckEntry,
  type InputAckMessage,
  type InputMessage,
  type DesyncStateMessage,
  type DropPlayerMessage,
  type PlayerAwayMessage,
  type MigrationQueryMessage,
  type MigrationReportMessage,
  type HostMigratedMessage,
  type PlayerBackMessage,
  type InputDigestMessage,
  type InputRun,
  type JoinAcceptMessage,
  type JoinRequestMessage,
  type Message,
  type WirePlayer,
} from './messages';

/** The largest unsigned 32-bit integer. */
const MAX_U32 = 0xffffffff;
/** A delta token covers 1–64 bytes (6 bits of length − 1). */

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

function uvar(w: ByteWriter, v: number | undefined, max: number, field: string): void {
  if (!isUInt(v, max)) throw encodeError(field, -1, '', `must be an integer in [0, ${max}]`, v);
  w.varint(v);
}

// eslint-disable-next-line max-params -- the field path (field, index, suffix) stays apart so the hot path builds no string or object
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

// eslint-disable-next-line max-params -- the field path (field, index, suffix) stays apart so the hot path builds no string or object
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

// eslint-disable-next-line max-params -- the field path (field, index, suffix) stays apart so the hot path builds no string or object
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

function writeRuns(
  w: ByteWriter,
  runs: InputRun[],
  limits: Readonly<ProtocolLimits>,
  field = 'Input.runs',
): void {
  const n = countOf(runs, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', field);
  w.varint(n);
  const maxInput = limits.maxInputBytes;
  for (let i = 0; i < n; i++) {
    const run = runs[i]!;
    if (typeof run !== 'object' || run === null) {
      throw encodeError(field, i, '', 'must be an InputRun', run);
    }
    slot(w, run.slot, field, i, '.slot');
    tick(w, run.startTick, field, i, '.startTick');
    const inputs = run.inputs;
    const count = countOf(inputs, limits.maxInputsPerRun, 'maxInputsPerRun', field, i, '.inputs');
    if (count > 0 && run.startTick + count - 1 > MAX_TICK) {
      const last = run.startTick + count - 1;
      throw encodeError(field, i, '', `its last tick ${last} is over 2^31 − 1`);
    }
    w.varint(count);
    let prev: Uint8Array | undefined;
    for (let j = 0; j < count; j++) {
      const input = inputs[j]!;
      if (!(input instanceof Uint8Array) || input.length > maxInput) {
        byteArray(input, maxInput, 'maxInputBytes', `${field}[${i}].inputs`, j);
      }
      if (prev === undefined) {
        w.varint(input.length);
        w.bytes(input);
      } else {
        writeInputDelta(w, prev, input);
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
  writePlayerMetadata(w, p.metadata, limits, field, index);
}

/** Player metadata: `varint` length then the bytes (≤ `maxPlayerMetadataBytes`). */
function writePlayerMetadata(
  w: ByteWriter,
  metadata: Uint8Array,
  limits: Readonly<ProtocolLimits>,
  field: string,
  index: number,
): void {
  const max = limits.maxPlayerMetadataBytes;
  const m = byteArray(metadata, max, 'maxPlayerMetadataBytes', field, index, '.metadata');
  w.varint(m.length);
  w.bytes(m);
}

/** JoinRequest: version, room id, player id, role, then (from version 2) the metadata. */
function writeJoinRequest(
  w: ByteWriter,
  msg: JoinRequestMessage,
  limits: Readonly<ProtocolLimits>,
): void {
  uvar(w, msg.protocolVersion, MAX_U32, 'JoinRequest.protocolVersion');
  w.string(msg.roomId, limits.maxStringBytes, 'JoinRequest.roomId');
  w.string(msg.playerId, limits.maxStringBytes, 'JoinRequest.playerId');
  enumByte(w, msg.role, WireRole.Spectator, 'JoinRequest.role');
  if (msg.protocolVersion >= PLAYER_METADATA_VERSION) {
    writePlayerMetadata(w, msg.metadata, limits, 'JoinRequest', -1);
  } else if (!(msg.metadata instanceof Uint8Array) || msg.metadata.length > 0) {
    const text = `must be empty below protocol version ${PLAYER_METADATA_VERSION}`;
    throw encodeError('JoinRequest', -1, '.metadata', text, msg.metadata);
  }
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

/** A length-prefixed byte array, checked against its limit. */
function writeBytes(
  w: ByteWriter,
  v: Uint8Array,
  max: number,
  limitName: string,
  field: string,
): void {
  const bytes = byteArray(v, max, limitName, field);
  w.varint(bytes.length);
  w.bytes(bytes);
}

/** PlayerAway: slot, tick, input. PlayerBack: slot, tick, state tick, hash, state. */
function writeAwayOrBack(
  w: ByteWriter,
  msg: PlayerAwayMessage | PlayerBackMessage,
  limits: Readonly<ProtocolLimits>,
): void {
  const name = msg.type === MessageType.PlayerAway ? 'PlayerAway' : 'PlayerBack';
  slot(w, msg.slot, `${name}.slot`);
  tick(w, msg.tick, `${name}.tick`);
  if (msg.type === MessageType.PlayerAway) {
    writeBytes(w, msg.input, limits.maxInputBytes, 'maxInputBytes', 'PlayerAway.input');
    return;
  }
  tick(w, msg.stateTick, 'PlayerBack.stateTick');
  u32(w, msg.hash, 'PlayerBack.hash');
  writeBytes(w, msg.state, limits.maxStateBytes, 'maxStateBytes', 'PlayerBack.state');
}

/** The host-migration messages: host slot, then their own fields, then acks and runs. */
function writeMigration(
  w: ByteWriter,
  msg: MigrationQueryMessage | MigrationReportMessage | HostMigratedMessage,
  limits: Readonly<ProtocolLimits>,
): void {
  const name = MessageType[msg.type];
  slot(w, msg.hostSlot, `${name}.hostSlot`);
  if (msg.type === MessageType.MigrationReport) {
    if (typeof msg.hostPresent !== 'boolean') {
      throw encodeError(
        'MigrationReport.hostPresent',
        -1,
        '',
        'must be a boolean',
        msg.hostPresent,
      );
    }
    w.u8(msg.hostPresent ? 1 : 0);
  }
  if (msg.type === MessageType.HostMigrated) {
    slot(w, msg.newHostSlot, 'HostMigrated.newHostSlot');
    tick(w, msg.leaveTick, 'HostMigrated.leaveTick');
  }
  writeAcks(w, msg.acks, limits, `${name}.acks`);
  if (msg.type !== MessageType.MigrationQuery) writeRuns(w, msg.runs, limits, `${name}.runs`);
}

/** InputDigest: slot, tick, digest. */
function writeInputDigest(w: ByteWriter, msg: InputDigestMessage): void {
  slot(w, msg.slot, 'InputDigest.slot');
  tick(w, msg.tick, 'InputDigest.tick');
  u32(w, msg.digest, 'InputDigest.digest');
}

/** DropPlayer: slot, tick, then metadata as `length + 1` (0 for none) and its bytes. */
function writeDropPlayer(
  w: ByteWriter,
  msg: DropPlayerMessage,
  limits: Readonly<ProtocolLimits>,
): void {
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
}

/** JoinAccept: room id, slot, players, then the config as key/value pairs. */
function writeJoinAccept(
  w: ByteWriter,
  msg: JoinAcceptMessage,
  limits: Readonly<ProtocolLimits>,
): void {
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
    w.string(key, limits.maxStringBytes, 'JoinAccept.config', -1, ` key ${JSON.stringify(key)}`);
    w.f64(value);
  }
}

function writeDesyncState(
  w: ByteWriter,
  msg: DesyncStateMessage,
  limits: Readonly<ProtocolLimits>,
): void {
  tick(w, msg.tick, 'DesyncState.tick');
  uvar(w, msg.totalBytes, limits.maxStateBytes, 'DesyncState.totalBytes');
  uvar(w, msg.offset, msg.totalBytes, 'DesyncState.offset');
  const room = msg.totalBytes - msg.offset;
  const chunk = byteArray(msg.chunk, room, 'totalBytes - offset', 'DesyncState', -1, '.chunk');
  w.varint(chunk.length);
  w.bytes(chunk);
}

/** The optional trailing message counter of Input/InputAck: one byte, 0–255. */
function writeSeq(w: ByteWriter, seq: number | undefined, field: string): void {
  if (seq === undefined) return;
  if (!Number.isInteger(seq) || seq < 0 || seq > 255) {
    throw encodeError(field, -1, '', 'must be an integer 0–255', seq);
  }
  w.u8(seq);
}

/** Input and InputAck: sender tick, acks, runs (Input only), the optional seq byte and echo. */
function writeInputBody(
  w: ByteWriter,
  msg: InputMessage | InputAckMessage,
  limits: Readonly<ProtocolLimits>,
): void {
  const name = msg.type === MessageType.Input ? 'Input' : 'InputAck';
  tick(w, msg.senderTick, `${name}.senderTick`);
  writeAcks(w, msg.acks, limits, `${name}.acks`);
  if (msg.type === MessageType.Input) writeRuns(w, msg.runs, limits);
  writeSeq(w, msg.seq, `${name}.seq`);
  if (msg.echoSeq === undefined && msg.echoDelay === undefined) return;
  if (msg.seq === undefined) throw encodeError(`${name}.echoSeq`, -1, '', 'needs seq', msg.echoSeq);
  writeSeq(w, msg.echoSeq, `${name}.echoSeq`);
  uvar(w, msg.echoDelay, MAX_ECHO_DELAY_MS, `${name}.echoDelay`);
}

function writeBody(w: ByteWriter, msg: Message, limits: Readonly<ProtocolLimits>): void {
  switch (msg.type) {
    case MessageType.Input:
    case MessageType.InputAck:
      return writeInputBody(w, msg, limits);
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
    case MessageType.DesyncStateRequest:
      tick(w, msg.tick, 'DesyncStateRequest.tick');
      return;
    case MessageType.DesyncState:
      writeDesyncState(w, msg, limits);
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
    case MessageType.DropPlayer:
      writeDropPlayer(w, msg, limits);
      return;
    case MessageType.PlayerAway:
    case MessageType.PlayerBack:
      writeAwayOrBack(w, msg, limits);
      return;
    case MessageType.Rejoin:
      slot(w, msg.slot, 'Rejoin.slot');
      writeBytes(w, msg.token, MAX_REJOIN_TOKEN_BYTES, 'MAX_REJOIN_TOKEN_BYTES', 'Rejoin.token');
      return;
    case MessageType.MigrationQuery:
    case MessageType.MigrationReport:
    case MessageType.HostMigrated:
      writeMigration(w, msg, limits);
      return;
    case MessageType.InputDigest:
      writeInputDigest(w, msg);
      return;
    case MessageType.JoinRequest:
      writeJoinRequest(w, msg, limits);
      return;
    case MessageType.JoinAccept:
      writeJoinAccept(w, msg, limits);
      return;
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
