import { RollbackEngine } from '@rbn/core';
import type { EngineConfig, Game } from '@rbn/core';
import { ByteReader, ByteWriter, DEFAULT_LIMITS, RbnError, checkTick } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';

/** The first four bytes of every replay blob: ASCII `RBNR`. */
const MAGIC = [0x52, 0x42, 0x4e, 0x52] as const;

/** The replay format version {@link ReplayRecorder} writes and {@link decodeReplay} reads. */
export const REPLAY_FORMAT_VERSION = 1;

/** The largest tick a replay can hold (the engine's largest tick). */
const MAX_TICK = 0x7ffffffe;
/** The largest input the engine accepts. */
const MAX_INPUT_BYTES = 0xffff;

// Per-player input stream items: a varint tag = value * 4 + kind.
/** End of this player's inputs. */
const ITEM_END = 0;
/** `value + 1` more ticks with the same input as the previous tick. */
const ITEM_REPEAT = 1;
/** One tick with a new input of `value` bytes, XOR-delta against the previous input. */
const ITEM_INPUT = 2;
/** `value + 1` ticks without a recorded input (outside the recording or lifetime). */
const ITEM_SKIP = 3;

/** Longest player id, in UTF-8 bytes (the protocol's string limit). */
const MAX_ID_BYTES = DEFAULT_LIMITS.maxStringBytes;

const EVENT_JOIN = 0;
const EVENT_LEAVE = 1;

/** Bounds {@link decodeReplay} enforces on an untrusted blob. */
export type ReplayLimits = {
  /** Largest initial state, in bytes. @default 16 MiB (`DEFAULT_LIMITS.maxStateBytes`) */
  maxStateBytes: number;
  /** Largest `maxInputBytes` a replay may declare (no input can be longer). @default 65535 */
  maxInputBytes: number;
  /** Most players (distinct ids) in a replay. @default 256 */
  maxPlayers: number;
  /** Most join and leave events. @default 65536 */
  maxEvents: number;
  /** Most ticks from the start tick to the final tick (what playback will simulate). @default 2^24 (about 78 hours at 60 Hz) */
  maxTicks: number;
};

/** The limits {@link decodeReplay} uses when none are given. */
export const DEFAULT_REPLAY_LIMITS: Readonly<ReplayLimits> = Object.freeze({
  maxStateBytes: DEFAULT_LIMITS.maxStateBytes,
  maxInputBytes: MAX_INPUT_BYTES,
  maxPlayers: 256,
  maxEvents: 65536,
  maxTicks: 1 << 24,
});

/** A player joining (its inputs count from `tick` on) or leaving (`tick` is the first tick without it). */
export type ReplayEvent = {
  /** Whether the player joined or left. */
  readonly kind: 'join' | 'leave';
  /** The player. */
  readonly playerId: PlayerId;
  /** The join tick, or the leave tick (first tick without the player). */
  readonly tick: Tick;
};

/** `count` consecutive ticks, from `tick` on, on which a player's input was `input`. */
export type ReplayInputRun = {
  /** The first tick of the run. */
  readonly tick: Tick;
  /** How many ticks the run covers (at least 1). */
  readonly count: number;
  /** The input of every tick of the run. */
  readonly input: Uint8Array;
};

/** One player of a replay and its confirmed inputs. */
export type ReplayPlayer = {
  /** The player's id. */
  readonly id: PlayerId;
  /** Its inputs in tick order, as runs of equal inputs (memory proportional to the blob). */
  readonly runs: readonly ReplayInputRun[];
};

/** A decoded replay blob (see {@link decodeReplay}). */
export type Replay = {
  /** The format version of the blob. */
  readonly version: number;
  /** The tick of the initial state. */
  readonly startTick: Tick;
  /** The serialized initial state S(startTick). */
  readonly state: Uint8Array;
  /** The tick the recording ended at: playback simulates ticks `startTick..finalTick - 1`. */
  readonly finalTick: Tick;
  /** The recorded `game.hash()` of S(finalTick), as an unsigned 32-bit integer. */
  readonly finalHash: number;
  /** The `maxInputBytes` the recording session used (playback configures the engine with it). */
  readonly maxInputBytes: number;
  /** Join and leave events, ordered by tick (ties in recording order). */
  readonly events: readonly ReplayEvent[];
  /** Every player that appears in the replay, with its inputs. */
  readonly players: readonly ReplayPlayer[];
};

/** What {@link ReplayRecorder} needs to start a recording. */
export type ReplayRecorderOptions = {
  /** The tick of the initial state (the tick the session's engine started at or loaded at). */
  startTick: Tick;
  /** The serialized initial state S(startTick) (copied). */
  state: Uint8Array;
  /** The largest input the session accepts. @default DEFAULT_LIMITS.maxInputBytes (64) */
  maxInputBytes?: number;
};

/** What {@link ReplayRecorder.finish} needs to close a recording. */
export type ReplayFinish = {
  /** The tick the recording ends at: every input of ticks before it should have been recorded. */
  finalTick: Tick;
  /** `game.hash()` of S(finalTick), e.g. from `engine.getSnapshot(finalTick)` or `engine.getConfirmedState()`. */
  finalHash: number;
};

/** The outcome of {@link playReplay}. */
export type ReplayResult = {
  /** The tick playback reached (the replay's final tick). */
  finalTick: Tick;
  /** `game.hash()` of the reproduced S(finalTick), as an unsigned 32-bit integer. */
  hash: number;
  /** The recorded final hash. */
  expectedHash: number;
  /** Whether the reproduced hash equals the recorded one. */
  matches: boolean;
};

/** Options of {@link playReplay}. */
export type PlayReplayOptions = {
  /** Bounds for decoding a blob (ignored when a decoded {@link Replay} is given). @default DEFAULT_REPLAY_LIMITS */
  limits?: Partial<ReplayLimits>;
  /** Engine settings for the playback (`startTick`, `maxInputBytes` and `inputPredictor` come from the replay). @default the engine defaults */
  engineConfig?: Omit<EngineConfig, 'startTick' | 'maxInputBytes' | 'inputPredictor'>;
  /** Called after each simulated tick with the tick just simulated (e.g. to render a replay viewer). */
  onTick?: (tick: Tick) => void;
};

type RecordedPlayer = {
  readonly id: PlayerId;
  readonly index: number;
  /** Encoded input items so far (without the pending repeat and the end item). */
  readonly items: ByteWriter;
  /** The previous input (its first `prevLength` bytes). */
  prev: Uint8Array;
  prevLength: number;
  /** Whether an input was written (a repeat needs one). */
  hasInput: boolean;
  /** The next tick the stream expects (the tick after the last recorded input). */
  nextTick: Tick;
  /** Ticks that repeated the previous input and are not yet written. */
  pendingRepeat: number;
  /** Whether the player is in the game (joined and not left) in recording order. */
  active: boolean;
  /** The tick of the player's latest join or leave event, -1 if none. */
  lastEventTick: Tick;
};

type RecordedEvent = { kind: number; player: RecordedPlayer; tick: Tick };

function writeTag(w: ByteWriter, kind: number, value: number): void {
  w.varint(value * 4 + kind);
}

/** Most literal bytes one delta token carries. */
const MAX_LITERALS = 63;

/**
 * Writes `cur` as its XOR against `prev` (zero-padded to `cur.length`) in tokens. A token is one
 * varint `zeros * 64 + literals`: skip `zeros` unchanged bytes, then `literals` (1–63) XOR bytes
 * follow. The token 0 means "every remaining byte is unchanged" and ends the input early.
 */
function writeXorDelta(w: ByteWriter, prev: Uint8Array, prevLength: number, cur: Uint8Array): void {
  const n = cur.length;
  const xorAt = (j: number): number => cur[j]! ^ (j < prevLength ? prev[j]! : 0);
  let i = 0;
  while (i < n) {
    let zeros = 0;
    while (i + zeros < n && xorAt(i + zeros) === 0) zeros++;
    const from = i + zeros;
    if (from === n) {
      w.varint(0);
      return;
    }
    let lits = 0;
    while (from + lits < n && lits < MAX_LITERALS && xorAt(from + lits) !== 0) lits++;
    w.varint(zeros * 64 + lits);
    w.ensure(lits);
    for (let j = from; j < from + lits; j++) w.buf[w.pos++] = xorAt(j);
    i = from + lits;
  }
}

/**
 * Records what a session confirmed, to reproduce it later with {@link playReplay}: the initial
 * state, players joining and leaving at agreed ticks, and every confirmed input of every player.
 *
 * Inputs are encoded as they arrive (the recorder keeps no reference to the caller's bytes): an
 * input equal to the player's previous one costs nothing until the run ends (then one varint
 * for the whole run), and a changed input is stored as its XOR against the previous input with
 * runs of unchanged bytes skipped. So a session can call {@link ReplayRecorder.recordInput} from its
 * confirmed-input path every tick, and a long game of mostly-unchanged inputs stays a few KB.
 *
 * Per player, inputs must be recorded in increasing tick order (gaps are allowed); an input for
 * a tick at or before the last recorded one is ignored, so re-delivering confirmed inputs is
 * harmless.
 *
 * @example
 * ```ts
 * const recorder = new ReplayRecorder({ startTick: engine.currentTick, state: game.serialize() });
 * recorder.recordJoin('alice', 0);
 * recorder.recordJoin('bob', 0);
 * // whenever tick t is confirmed, for each player p in the game at t:
 * recorder.recordInput(p, t, engine.getInput(p, t)!);
 * // at the end:
 * const { tick, hash } = engine.getConfirmedState();
 * const blob = recorder.finish({ finalTick: tick, finalHash: hash });
 * const result = playReplay(blob, new MyGame()); // result.matches === true
 * ```
 */
export class ReplayRecorder {
  private readonly startTick: Tick;
  private readonly state: Uint8Array;
  private readonly maxInputBytes: number;
  private readonly players = new Map<PlayerId, RecordedPlayer>();
  private readonly order: RecordedPlayer[] = [];
  private readonly events: RecordedEvent[] = [];

  /**
   * @param options - The initial state and its tick; see {@link ReplayRecorderOptions}.
   * @throws RbnError `'INVALID_ARGUMENT'` for a bad tick, state or `maxInputBytes`.
   */
  constructor(options: ReplayRecorderOptions) {
    checkTick('startTick', options.startTick, MAX_TICK);
    if (!(options.state instanceof Uint8Array)) {
      throw new RbnError('INVALID_ARGUMENT', 'state must be a Uint8Array (from game.serialize())');
    }
    const maxInputBytes = options.maxInputBytes ?? DEFAULT_LIMITS.maxInputBytes;
    if (!Number.isInteger(maxInputBytes) || maxInputBytes < 0 || maxInputBytes > MAX_INPUT_BYTES) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `maxInputBytes must be an integer from 0 to ${MAX_INPUT_BYTES}, got ${String(maxInputBytes)}`,
      );
    }
    this.startTick = options.startTick;
    this.state = options.state.slice();
    this.maxInputBytes = maxInputBytes;
  }

  /**
   * Records that a player joins at `tick` (its inputs count from `tick` on).
   * @param playerId - The player.
   * @param tick - The agreed join tick.
   * @returns `true` if recorded; `false` (ignored) if the player is already in the game or the
   * tick is before its last leave.
   * @throws RbnError `'INVALID_ARGUMENT'` for a bad tick.
   */
  recordJoin(playerId: PlayerId, tick: Tick): boolean {
    checkTick('tick', tick, MAX_TICK);
    const player = this.player(playerId);
    if (player.active || tick < player.lastEventTick) return false;
    player.active = true;
    player.lastEventTick = tick;
    this.events.push({ kind: EVENT_JOIN, player, tick });
    return true;
  }

  /**
   * Records that a player leaves (or is dropped or disconnected) at `tick`, the first tick
   * without it.
   * @param playerId - The player.
   * @param tick - The agreed leave tick.
   * @returns `true` if recorded; `false` (ignored) if the player is not in the game or the tick
   * is before its join.
   * @throws RbnError `'INVALID_ARGUMENT'` for a bad tick.
   */
  recordLeave(playerId: PlayerId, tick: Tick): boolean {
    checkTick('tick', tick, MAX_TICK);
    const player = this.players.get(playerId);
    if (player === undefined || !player.active || tick < player.lastEventTick) return false;
    player.active = false;
    player.lastEventTick = tick;
    this.events.push({ kind: EVENT_LEAVE, player, tick });
    return true;
  }

  /**
   * Records a player's confirmed input for a tick. The bytes are encoded at once (not kept).
   * @param playerId - The player.
   * @param tick - The tick the input is for.
   * @param input - The confirmed input.
   * @returns `true` if recorded; `false` if the tick is at or before the last one recorded for
   * this player (a re-delivery, ignored).
   * @throws RbnError `'INVALID_ARGUMENT'` for a bad tick or an input over `maxInputBytes`.
   */
  recordInput(playerId: PlayerId, tick: Tick, input: Uint8Array): boolean {
    checkTick('tick', tick, MAX_TICK);
    if (input.length > this.maxInputBytes) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `input of ${playerId} at tick ${tick} has ${input.length} bytes, more than maxInputBytes (${this.maxInputBytes})`,
      );
    }
    const p = this.player(playerId);
    if (tick < p.nextTick) return false;
    const w = p.items;
    if (tick > p.nextTick) {
      this.flushRepeat(p);
      writeTag(w, ITEM_SKIP, tick - p.nextTick - 1);
      p.nextTick = tick;
    }
    if (p.hasInput && sameInput(p.prev, p.prevLength, input)) {
      p.pendingRepeat++;
      p.nextTick = tick + 1;
      return true;
    }
    this.flushRepeat(p);
    writeTag(w, ITEM_INPUT, input.length);
    writeXorDelta(w, p.prev, p.prevLength, input);
    p.prev.set(input);
    p.prevLength = input.length;
    p.hasInput = true;
    p.nextTick = tick + 1;
    return true;
  }

  /** The approximate size, in bytes, the replay would have if finished now. */
  get byteLength(): number {
    let n = 32 + this.state.length + this.events.length * 6;
    for (const p of this.order) n += p.id.length * 3 + p.items.pos + 6;
    return n;
  }

  /**
   * Encodes the recording into a replay blob. The recorder stays usable: recording may go on
   * and `finish` may be called again later.
   * @param end - The final tick and the hash of S(finalTick).
   * @returns The replay blob (magic `RBNR`, format version, then varint-encoded contents).
   * @throws RbnError `'INVALID_ARGUMENT'` if `finalTick` is before the start tick or the hash is
   * not a 32-bit integer.
   */
  finish(end: ReplayFinish): Uint8Array {
    checkTick('finalTick', end.finalTick, MAX_TICK);
    if (end.finalTick < this.startTick) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `finalTick (${end.finalTick}) is before the start tick (${this.startTick})`,
      );
    }
    const hash = end.finalHash;
    if (!Number.isInteger(hash) || hash < -0x80000000 || hash > 0xffffffff) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `finalHash must be a 32-bit integer, got ${String(hash)}`,
      );
    }
    const w = new ByteWriter(64 + this.state.length + this.byteLength);
    for (const b of MAGIC) w.u8(b);
    w.varint(REPLAY_FORMAT_VERSION);
    w.varint(this.startTick);
    w.varint(end.finalTick);
    w.u32(hash >>> 0);
    w.varint(this.maxInputBytes);
    w.varint(this.state.length);
    w.bytes(this.state);
    w.varint(this.order.length);
    for (const p of this.order) w.string(p.id, MAX_ID_BYTES, 'player id');
    // Stable sort by tick: per player, events were recorded in tick order already.
    const events = this.events.slice().sort((a, b) => a.tick - b.tick);
    w.varint(events.length);
    for (const e of events) {
      w.varint(e.player.index * 2 + e.kind);
      w.varint(e.tick);
    }
    for (const p of this.order) {
      w.bytes(p.items.view());
      if (p.pendingRepeat > 0) writeTag(w, ITEM_REPEAT, p.pendingRepeat - 1);
      writeTag(w, ITEM_END, 0);
    }
    return w.finish();
  }

  private player(playerId: PlayerId): RecordedPlayer {
    let p = this.players.get(playerId);
    if (p === undefined) {
      // The id must be writable by finish(): check it with the writer's own rules, now.
      try {
        new ByteWriter(0).string(playerId, MAX_ID_BYTES, 'playerId');
      } catch (error) {
        throw new RbnError(
          'INVALID_ARGUMENT',
          `playerId must be a well-formed string of at most ${MAX_ID_BYTES} UTF-8 bytes: ${(error as Error).message}`,
          { cause: error },
        );
      }
      p = {
        id: playerId,
        index: this.order.length,
        items: new ByteWriter(64),
        prev: new Uint8Array(this.maxInputBytes),
        prevLength: 0,
        hasInput: false,
        nextTick: 0,
        pendingRepeat: 0,
        active: false,
        lastEventTick: -1,
      };
      this.players.set(playerId, p);
      this.order.push(p);
    }
    return p;
  }

  private flushRepeat(p: RecordedPlayer): void {
    if (p.pendingRepeat === 0) return;
    writeTag(p.items, ITEM_REPEAT, p.pendingRepeat - 1);
    p.pendingRepeat = 0;
  }
}

function sameInput(prev: Uint8Array, prevLength: number, input: Uint8Array): boolean {
  if (input.length !== prevLength) return false;
  for (let i = 0; i < prevLength; i++) if (prev[i] !== input[i]) return false;
  return true;
}

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
  for (let i = 0; i < MAGIC.length; i++) {
    if (r.u8('magic') !== MAGIC[i]) r.fail('not a replay (magic bytes are not RBNR)', 0);
  }
  const versionAt = r.pos;
  const version = r.varint(0xffff, 'format version');
  if (version !== REPLAY_FORMAT_VERSION) {
    r.fail(
      `unsupported replay format version ${version} (this reader knows ${REPLAY_FORMAT_VERSION})`,
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

  const eventCount = r.varint(lim.maxEvents, 'event count');
  const events: ReplayEvent[] = [];
  const active = new Uint8Array(playerCount);
  let previousTick = 0;
  for (let i = 0; i < eventCount; i++) {
    const at = r.pos;
    const tag = r.varint(playerCount * 2 - 1, 'event player');
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

  const players: ReplayPlayer[] = [];
  const maxTag = (MAX_TICK + 1) * 4 + 3;
  for (let i = 0; i < playerCount; i++) {
    const runs: ReplayInputRun[] = [];
    let tick = 0;
    let prev = new Uint8Array(0);
    let hasInput = false;
    let last: { tick: Tick; count: number; input: Uint8Array } | undefined;
    for (;;) {
      const at = r.pos;
      const tag = r.varint(maxTag, 'input item');
      const kind = tag % 4;
      const value = (tag - kind) / 4;
      if (kind === ITEM_END) {
        if (value !== 0) r.fail(`end item carries a value (${value})`, at);
        break;
      }
      if (kind === ITEM_SKIP || kind === ITEM_REPEAT) {
        const n = value + 1;
        if (tick + n > MAX_TICK + 1) r.fail(`input ticks run past tick ${MAX_TICK}`, at);
        if (kind === ITEM_SKIP) {
          last = undefined;
        } else {
          if (!hasInput) r.fail('repeat item before any input', at);
          if (last !== undefined && last.tick + last.count === tick) {
            last.count += n;
          } else {
            last = { tick, count: n, input: prev };
            runs.push(last);
          }
        }
        tick += n;
        continue;
      }
      // ITEM_INPUT
      if (value > maxInputBytes)
        r.fail(`input of ${value} bytes is over maxInputBytes (${maxInputBytes})`, at);
      if (tick > MAX_TICK) r.fail(`input ticks run past tick ${MAX_TICK}`, at);
      const input = new Uint8Array(value);
      let j = 0;
      while (j < value) {
        const tokenAt = r.pos;
        const token = r.varint((value - j) * 64 + MAX_LITERALS, 'delta token');
        const lits = token % 64;
        const zeros = (token - lits) / 64;
        if (token === 0) {
          // The rest is unchanged.
          for (; j < value; j++) input[j] = j < prev.length ? prev[j]! : 0;
          break;
        }
        if (lits === 0) r.fail('delta token without literals', tokenAt);
        if (zeros + lits > value - j) {
          r.fail(`delta token covers ${zeros + lits} bytes but only ${value - j} remain`, tokenAt);
        }
        for (const end = j + zeros; j < end; j++) input[j] = j < prev.length ? prev[j]! : 0;
        const raw = r.bytes(lits, 'delta literals');
        for (let k = 0; k < lits; k++, j++) input[j] = raw[k]! ^ (j < prev.length ? prev[j]! : 0);
      }
      prev = input;
      hasInput = true;
      last = { tick, count: 1, input };
      runs.push(last);
      tick += 1;
    }
    players.push({ id: ids[i]!, runs });
  }
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the replay`);
  return {
    version,
    startTick,
    state,
    finalTick,
    finalHash,
    maxInputBytes,
    events,
    players,
  };
}

/**
 * Plays a replay back: loads its initial state into `game` and reproduces the recorded run with
 * a {@link RollbackEngine}, adding every player as a remote player at its join tick (removing it
 * at its leave tick) and feeding every recorded input with `addRemoteInput` before the tick that
 * uses it, up to the final tick. The game therefore sees exactly the step order and input maps
 * the live engine used, and the final hash matches when the game is deterministic.
 * @param replay - A replay blob, or a replay decoded with {@link decodeReplay}.
 * @param game - A game instance to drive (its state is replaced by the replay's initial state).
 * @param options - Limits, engine settings, a per-tick callback; see {@link PlayReplayOptions}.
 * @returns The final tick, the reproduced and the recorded hash, and whether they match.
 * @throws DecodeError for a malformed blob; RbnError `'REPLAY_INCOMPLETE'` if an input a tick
 * needs was never recorded; `GameError` (from `@rbn/core`) if the game throws.
 * @example
 * ```ts
 * const result = playReplay(blob, new MyGame());
 * if (!result.matches) console.warn('the game is not deterministic');
 * ```
 */
export function playReplay(
  replay: Uint8Array | Replay,
  game: Game<Uint8Array>,
  options?: PlayReplayOptions,
): ReplayResult {
  const r = replay instanceof Uint8Array ? decodeReplay(replay, options?.limits) : replay;
  const engine = new RollbackEngine(game, {
    ...options?.engineConfig,
    startTick: r.startTick,
    maxInputBytes: r.maxInputBytes,
  });
  engine.loadState(r.startTick, r.state);

  // Who is in the game at the start tick (events up to it), added with the start as join tick.
  const events = r.events;
  let e = 0;
  const activeAtStart = new Set<PlayerId>();
  while (e < events.length && events[e]!.tick <= r.startTick) {
    const event = events[e]!;
    if (event.kind === 'join') activeAtStart.add(event.playerId);
    else activeAtStart.delete(event.playerId);
    e++;
  }
  for (const id of activeAtStart) engine.addPlayer(id, r.startTick);

  const players = r.players;
  const cursors = new Array<number>(players.length).fill(0);
  const onTick = options?.onTick;
  for (let t = r.startTick; t < r.finalTick; t++) {
    while (e < events.length && events[e]!.tick === t) {
      const event = events[e]!;
      if (event.kind === 'join') engine.addPlayer(event.playerId, t);
      else engine.removePlayer(event.playerId, t);
      e++;
    }
    for (let i = 0; i < players.length; i++) {
      const runs = players[i]!.runs;
      let c = cursors[i]!;
      while (c < runs.length && runs[c]!.tick + runs[c]!.count <= t) c++;
      cursors[i] = c;
      const run = runs[c];
      if (run !== undefined && run.tick <= t) engine.addRemoteInput(players[i]!.id, t, run.input);
    }
    if (engine.inputsCompleteThrough < t) {
      const missing = engine.playerIds.find((id) => engine.getReceivedTick(id) < t);
      throw new RbnError(
        'REPLAY_INCOMPLETE',
        `the replay has no input of player ${String(missing)} for tick ${t}`,
      );
    }
    engine.tick();
    if (onTick !== undefined) onTick(t);
  }
  const hash = game.hash() >>> 0;
  return { finalTick: r.finalTick, hash, expectedHash: r.finalHash, matches: hash === r.finalHash };
}
