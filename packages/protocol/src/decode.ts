import { ByteReader } from './byte-reader';
import { DecodeError } from './errors';
import { readInputDelta } from './input-delta';
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
  type InputRun,
  type Message,
  type WirePlayer,
} from './messages';

/** The largest unsigned 32-bit integer. */
const MAX_U32 = 0xffffffff;

/** The result of {@link tryDecodeMessage}: the message, or why the bytes were rejected. */
export type DecodeResult = { ok: true; message: Message } | { ok: false; error: DecodeError };

export function readTick(r: ByteReader, what: string): number {
  return r.varint(MAX_TICK, what);
}

export function readTickOrNone(r: ByteReader, what: string): number {
  return r.varint(MAX_TICK + 1, what) - 1;
}

function readEnum(r: ByteReader, max: number, what: string): number {
  const at = r.pos;
  const v = r.u8(what);
  if (v > max) r.fail(`${what} ${v} is not a known value (0–${max})`, at);
  return v;
}

/** Reads a count and checks it against its limit and the bytes left, before anything is allocated. */
export function readCount(
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
        prev = readInputDelta(r, prev, maxInput);
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
  const metadata = readPlayerMetadata(r, limits);
  return { slot: s, playerId, peerId, role, joinTick, leaveTick, metadata };
}

function readPlayers(r: ByteReader, limits: Readonly<ProtocolLimits>): WirePlayer[] {
  const n = readCount(r, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', 7, 'player count');
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

function readPlayerMetadata(r: ByteReader, limits: Readonly<ProtocolLimits>): Uint8Array {
  return readBytes(r, limits.maxPlayerMetadataBytes, 'maxPlayerMetadataBytes', 'player metadata');
}

function readJoinRequest(r: ByteReader, limits: Readonly<ProtocolLimits>): Message {
  const protocolVersion = r.varint(MAX_U32, 'protocol version');
  const roomId = r.string(limits.maxStringBytes, 'room id');
  const playerId = r.string(limits.maxStringBytes, 'player id');
  const role = readEnum(r, WireRole.Spectator, 'role') as WireRole;
  // An older joiner's request has no metadata: it still decodes, so the host can refuse it
  // with VersionMismatch.
  const metadata =
    protocolVersion >= PLAYER_METADATA_VERSION ? readPlayerMetadata(r, limits) : new Uint8Array(0);
  return { type: MessageType.JoinRequest, protocolVersion, roomId, playerId, role, metadata };
}

function readDropPlayer(r: ByteReader, limits: Readonly<ProtocolLimits>): Message {
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

function readAwayOrBack(
  r: ByteReader,
  type: MessageType.PlayerAway | MessageType.PlayerBack,
  limits: Readonly<ProtocolLimits>,
): Message {
  const s = r.u8('slot');
  const tick = readTick(r, 'tick');
  if (type === MessageType.PlayerAway) {
    const input = readBytes(r, limits.maxInputBytes, 'maxInputBytes', 'input');
    return { type, slot: s, tick, input };
  }
  const stateTick = readTick(r, 'state tick');
  const hash = r.u32('hash');
  const state = readBytes(r, limits.maxStateBytes, 'maxStateBytes', 'state');
  return { type, slot: s, tick, stateTick, hash, state };
}

function readMigration(
  r: ByteReader,
  type: MessageType.MigrationQuery | MessageType.MigrationReport | MessageType.HostMigrated,
  limits: Readonly<ProtocolLimits>,
): Message {
  const hostSlot = r.u8('host slot');
  let hostPresent = false;
  if (type === MessageType.MigrationReport) {
    const at = r.pos;
    const flag = r.u8('host present');
    if (flag > 1) r.fail(`host present must be 0 or 1, not ${flag}`, at);
    hostPresent = flag === 1;
  }
  if (type === MessageType.HostMigrated) {
    const newHostSlot = r.u8('new host slot');
    const leaveTick = readTick(r, 'leave tick');
    const acks = readAcks(r, limits);
    const runs = readRuns(r, limits);
    return { type, hostSlot, newHostSlot, leaveTick, acks, runs };
  }
  const acks = readAcks(r, limits);
  if (type === MessageType.MigrationQuery) return { type, hostSlot, acks };
  return { type, hostSlot, hostPresent, acks, runs: readRuns(r, limits) };
}

function readJoinAccept(r: ByteReader, limits: Readonly<ProtocolLimits>): Message {
  const roomId = r.string(limits.maxStringBytes, 'room id');
  const s = r.u8('slot');
  const players = readPlayers(r, limits);
  const n = readCount(r, limits.maxConfigEntries, 'maxConfigEntries', 9, 'config count');
  const config: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const key = r.string(limits.maxStringBytes, 'config key');
    if (Object.hasOwn(config, key)) r.fail(`config key ${JSON.stringify(key)} appears twice`, at);
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

function readState(
  r: ByteReader,
  type: MessageType.Sync | MessageType.StateSync,
  limits: Readonly<ProtocolLimits>,
): Message {
  const tick = readTick(r, 'tick');
  const hash = r.u32('hash');
  const state = readBytes(r, limits.maxStateBytes, 'maxStateBytes', 'state');
  const players = readPlayers(r, limits);
  return type === MessageType.Sync
    ? { type: MessageType.Sync, tick, hash, state, players }
    : { type: MessageType.StateSync, tick, hash, state, players };
}

function readDesyncState(r: ByteReader, limits: Readonly<ProtocolLimits>): Message {
  const tick = readTick(r, 'tick');
  const at = r.pos;
  const totalBytes = r.varint(MAX_U32, 'total bytes');
  if (totalBytes > limits.maxStateBytes) {
    r.fail(`a state of ${totalBytes} bytes is over maxStateBytes (${limits.maxStateBytes})`, at);
  }
  const offset = r.varint(totalBytes, 'offset');
  const chunk = readBytes(r, totalBytes - offset, 'the bytes left of the state', 'chunk');
  return { type: MessageType.DesyncState, tick, totalBytes, offset, chunk };
}

function readInputDigest(r: ByteReader): Message {
  const s = r.u8('slot');
  const tick = readTick(r, 'tick');
  return { type: MessageType.InputDigest, slot: s, tick, digest: r.u32('digest') };
}

/** The optional trailer of Input/InputAck: `seq`, then optionally the echo (`echoSeq`, `echoDelay`). */
function readTrailer<M extends InputMessage | InputAckMessage>(r: ByteReader, msg: M): M {
  msg.seq = r.u8('seq');
  if (r.pos === r.end) return msg;
  msg.echoSeq = r.u8('echo seq');
  msg.echoDelay = r.varint(MAX_ECHO_DELAY_MS, 'echo delay');
  return msg;
}

function readBody(r: ByteReader, type: MessageType, limits: Readonly<ProtocolLimits>): Message {
  switch (type) {
    case MessageType.Input: {
      const senderTick = readTick(r, 'sender tick');
      const acks = readAcks(r, limits);
      const runs = readRuns(r, limits);
      if (r.pos === r.end) return { type: MessageType.Input, senderTick, acks, runs };
      return readTrailer(r, { type: MessageType.Input, senderTick, acks, runs });
    }
    case MessageType.InputAck: {
      const senderTick = readTick(r, 'sender tick');
      const acks = readAcks(r, limits);
      if (r.pos === r.end) return { type: MessageType.InputAck, senderTick, acks };
      return readTrailer(r, { type: MessageType.InputAck, senderTick, acks });
    }
    case MessageType.Hash: {
      const tick = readTick(r, 'tick');
      return { type: MessageType.Hash, tick, hash: r.u32('hash') };
    }
    case MessageType.Sync:
    case MessageType.StateSync:
      return readState(r, type, limits);
    case MessageType.SyncRequest:
      return { type: MessageType.SyncRequest, tick: readTick(r, 'tick') };
    case MessageType.DesyncStateRequest:
      return { type: MessageType.DesyncStateRequest, tick: readTick(r, 'tick') };
    case MessageType.DesyncState:
      return readDesyncState(r, limits);
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
    case MessageType.DropPlayer:
      return readDropPlayer(r, limits);
    case MessageType.PlayerAway:
    case MessageType.PlayerBack:
      return readAwayOrBack(r, type, limits);
    case MessageType.Rejoin: {
      const s = r.u8('slot');
      const token = readBytes(r, MAX_REJOIN_TOKEN_BYTES, 'MAX_REJOIN_TOKEN_BYTES', 'token');
      return { type: MessageType.Rejoin, slot: s, token };
    }
    case MessageType.MigrationQuery:
    case MessageType.MigrationReport:
    case MessageType.HostMigrated:
      return readMigration(r, type, limits);
    case MessageType.InputDigest:
      return readInputDigest(r);
    case MessageType.JoinRequest:
      return readJoinRequest(r, limits);
    case MessageType.JoinAccept:
      return readJoinAccept(r, limits);
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
