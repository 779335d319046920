import { ByteWriter, DEFAULT_LIMITS, RbnError, checkTick, writeInputDelta } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import {
  EVENT_JOIN,
  EVENT_LEAVE,
  ITEM_END,
  ITEM_INPUT,
  ITEM_REPEAT,
  ITEM_SKIP,
  MAGIC,
  MAX_ID_BYTES,
  MAX_INPUT_BYTES,
  MAX_TICK,
  REPLAY_FORMAT_VERSION,
  writeTag,
} from './format';

/** An empty input: the base of a player's first input delta. */
const NO_INPUT: Uint8Array = new Uint8Array(0);

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
type RecordedPlayer = {
  readonly id: PlayerId;
  readonly index: number;
  /** Encoded input items so far (without the pending repeat and the end item). */
  readonly items: ByteWriter;
  /** The previous input (a copy), the base of the next input delta. */
  prev: Uint8Array;
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
/**
 * Records what a session confirmed, to reproduce it later with {@link playReplay}: the initial
 * state, players joining and leaving at agreed ticks, and every confirmed input of every player.
 *
 * Inputs are encoded as they arrive (the recorder keeps no reference to the caller's bytes): an
 * input equal to the player's previous one costs nothing until the run ends (then one varint
 * for the whole run), and a changed input is stored as the wire protocol's input delta against
 * the previous input (XOR runs, or the raw bytes when that is no larger). So a session can call {@link ReplayRecorder.recordInput} from its
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
    if (p.hasInput && sameInput(p.prev, input)) {
      p.pendingRepeat++;
      p.nextTick = tick + 1;
      return true;
    }
    this.flushRepeat(p);
    writeTag(w, ITEM_INPUT, 0);
    writeInputDelta(w, p.prev, input);
    p.prev = input.slice();
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
        prev: NO_INPUT,
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

function sameInput(prev: Uint8Array, input: Uint8Array): boolean {
  if (input.length !== prev.length) return false;
  for (let i = 0; i < prev.length; i++) if (prev[i] !== input[i]) return false;
  return true;
}
