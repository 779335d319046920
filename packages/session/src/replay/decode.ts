import { ByteReader, RbnError, readInputDelta } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import {
  DEFAULT_REPLAY_LIMITS,
  EVENT_JOIN,
  ITEM_END,
  ITEM_REPEAT,
  ITEM_SKIP,
  MAGIC,
  MAX_ID_BYTES,
  MAX_INPUT_BYTES,
  MAX_TICK,
  REPLAY_FORMAT_VERSION,
  type Replay,
  type ReplayEvent,
  type ReplayInputRun,
  type ReplayLimits,
  type ReplayPlayer,
} from './format';

/** An empty input: the base of a player's first input delta. */
const NO_INPUT: Uint8Array = new Uint8Array(0);

function resolveLimits(limits: Partial<ReplayLimits> | undefined): ReplayLimits {
  const resolved = { ...DEFAULT_REPLAY_LIMITS, ...limits };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `limits.${key} must be a non-negative integer, got ${String(value)}`,
      );
    }
  }
  return resolved;
}

/**
 * Decodes and validates a replay blob made by {@link ReplayRecorder.finish}. Every read is
 * bounds-checked and every size is limited, so untrusted bytes can neither crash the caller nor
 * make it allocate without bound (decoded inputs stay run-length encoded).
 * @param blob - The replay bytes.
 * @param limits - Bounds to enforce. @default DEFAULT_REPLAY_LIMITS
 * @returns The decoded replay.
 * @throws DecodeError (from `@rbn/protocol`) naming the byte offset and the reason, for any
 * malformed or over-limit blob; RbnError `'INVALID_ARGUMENT'` for bad limits.
 * @example
 * ```ts
 * const replay = decodeReplay(blob);
 * console.log(replay.finalTick - replay.startTick, 'ticks,', replay.players.length, 'players');
 * ```
 */
export function decodeReplay(blob: Uint8Array, limits?: Partial<ReplayLimits>): Replay {
  const lim = resolveLimits(limits);
  const r = new ByteReader(blob, 'replay');
  const header = readHeader(r, lim);
  const ids = readPlayerIds(r, lim);
  const events = readEvents(r, lim, ids);
  const players: ReplayPlayer[] = [];
  for (const id of ids) players.push({ id, runs: readInputStream(r, header.maxInputBytes) });
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the replay`);
  return { ...header, events, players };
}

type ReplayHeader = Omit<Replay, 'events' | 'players'>;

/** Reads the magic, the version (only the current one), the ticks, the hash and the state. */
function readHeader(r: ByteReader, lim: ReplayLimits): ReplayHeader {
  for (let i = 0; i < MAGIC.length; i++) {
    if (r.u8('magic') !== MAGIC[i]) r.fail('not a replay (magic bytes are not RBNR)', 0);
  }
  const versionAt = r.pos;
  const version = r.varint(0xffff, 'format version');
  if (version !== REPLAY_FORMAT_VERSION) {
    const old =
      version < REPLAY_FORMAT_VERSION
        ? '; it was recorded by an older rbn and is no longer readable'
        : '';
    r.fail(
      `unsupported replay format version ${version} (this reader knows ${REPLAY_FORMAT_VERSION}${old})`,
      versionAt,
    );
  }
  const startTick = r.varint(MAX_TICK, 'start tick');
  const finalAt = r.pos;
  const finalTick = r.varint(MAX_TICK, 'final tick');
  if (finalTick < startTick)
    r.fail(`final tick ${finalTick} is before start tick ${startTick}`, finalAt);
  if (finalTick - startTick > lim.maxTicks) {
    r.fail(`replay spans ${finalTick - startTick} ticks, over maxTicks (${lim.maxTicks})`, finalAt);
  }
  const finalHash = r.u32('final hash');
  const maxInputBytes = r.varint(Math.min(lim.maxInputBytes, MAX_INPUT_BYTES), 'maxInputBytes');
  const stateLength = r.varint(lim.maxStateBytes, 'state length');
  const state = r.bytes(stateLength, 'state');
  return { version, startTick, state, finalTick, finalHash, maxInputBytes };
}

function readPlayerIds(r: ByteReader, lim: ReplayLimits): PlayerId[] {
  const playerCount = r.varint(lim.maxPlayers, 'player count');
  const ids: PlayerId[] = [];
  const seen = new Set<PlayerId>();
  for (let i = 0; i < playerCount; i++) {
    const at = r.pos;
    const id = r.string(MAX_ID_BYTES, 'player id');
    if (seen.has(id)) r.fail(`player id ${JSON.stringify(id)} appears twice`, at);
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

/** Reads the join and leave events: in tick order, no double join, no leave without a join. */
function readEvents(r: ByteReader, lim: ReplayLimits, ids: readonly PlayerId[]): ReplayEvent[] {
  const eventCount = r.varint(lim.maxEvents, 'event count');
  const events: ReplayEvent[] = [];
  const active = new Uint8Array(ids.length);
  let previousTick = 0;
  for (let i = 0; i < eventCount; i++) {
    const at = r.pos;
    const tag = r.varint(ids.length * 2 - 1, 'event player');
    const tick = r.varint(MAX_TICK, 'event tick');
    const index = tag >>> 1;
    const kind = tag & 1;
    if (tick < previousTick)
      r.fail(`event tick ${tick} is before the previous event's ${previousTick}`, at);
    previousTick = tick;
    const id = ids[index]!;
    if (kind === EVENT_JOIN) {
      if (active[index] === 1)
        r.fail(`player ${JSON.stringify(id)} joins twice without leaving`, at);
    } else if (active[index] !== 1) {
      r.fail(`player ${JSON.stringify(id)} leaves without having joined`, at);
    }
    active[index] = kind === EVENT_JOIN ? 1 : 0;
    events.push({ kind: kind === EVENT_JOIN ? 'join' : 'leave', playerId: id, tick });
  }
  return events;
}

/** The largest item tag: a skip or repeat of every tick. */
const MAX_ITEM_TAG = (MAX_TICK + 1) * 4 + 3;

/** Reads one player's input stream into runs of equal inputs (kept run-length encoded). */
function readInputStream(r: ByteReader, maxInputBytes: number): ReplayInputRun[] {
  const runs: ReplayInputRun[] = [];
  let tick = 0;
  let prev = NO_INPUT;
  let hasInput = false;
  let last: { tick: Tick; count: number; input: Uint8Array } | undefined;
  for (;;) {
    const at = r.pos;
    const tag = r.varint(MAX_ITEM_TAG, 'input item');
    const kind = tag % 4;
    const value = (tag - kind) / 4;
    if (kind === ITEM_END) {
      if (value !== 0) r.fail(`end item carries a value (${value})`, at);
      return runs;
    }
    if (kind === ITEM_SKIP || kind === ITEM_REPEAT) {
      const n = value + 1;
      if (tick + n > MAX_TICK + 1) r.fail(`input ticks run past tick ${MAX_TICK}`, at);
      if (kind === ITEM_SKIP) {
        last = undefined;
      } else if (!hasInput) {
        r.fail('repeat item before any input', at);
      } else if (last !== undefined && last.tick + last.count === tick) {
        last.count += n;
      } else {
        last = { tick, count: n, input: prev };
        runs.push(last);
      }
      tick += n;
      continue;
    }
    // ITEM_INPUT: the protocol's input delta against the previous input.
    if (value !== 0) r.fail(`input item carries a value (${value})`, at);
    if (tick > MAX_TICK) r.fail(`input ticks run past tick ${MAX_TICK}`, at);
    prev = readInputDelta(r, prev, maxInputBytes);
    hasInput = true;
    last = { tick, count: 1, input: prev };
    runs.push(last);
    tick += 1;
  }
}
