import { DEFAULT_LIMITS } from '@rbn/protocol';
import type { ByteWriter, PlayerId, Tick } from '@rbn/protocol';

/*
 * The replay blob, version 2 (all integers are unsigned LEB128 varints unless said otherwise):
 *
 *   magic `RBNR` · version · startTick · finalTick · finalHash (u32 LE) · maxInputBytes ·
 *   state (length + bytes) · player ids (count + strings) · events (count + [tag, tick]) ·
 *   one input stream per player, in player order.
 *
 * An event tag is `playerIndex * 2 + kind` (0 join, 1 leave). An input stream is a list of items,
 * each a varint tag `value * 4 + kind`:
 *   - ITEM_END (value 0) ends the stream;
 *   - ITEM_REPEAT: `value + 1` more ticks with the previous input;
 *   - ITEM_INPUT (value 0): one tick with a new input, written as the protocol's input delta
 *     (`writeInputDelta` of `@rbn/protocol`, the same code the wire uses) against the previous
 *     input of the stream, or against an empty input for the first one;
 *   - ITEM_SKIP: `value + 1` ticks without a recorded input.
 *
 * Version 1 stored inputs as a length and a different XOR delta of its own; it is not read.
 */

/** The first four bytes of every replay blob: ASCII `RBNR`. */
export const MAGIC = [0x52, 0x42, 0x4e, 0x52] as const;

/**
 * The replay format version {@link ReplayRecorder} writes and {@link decodeReplay} reads. Version 2
 * stores inputs as the wire protocol's input deltas; blobs of version 1 are rejected.
 */
export const REPLAY_FORMAT_VERSION = 2;

/** The largest tick a replay can hold (the engine's largest tick). */
export const MAX_TICK = 0x7ffffffe;
/** The largest input the engine accepts. */
export const MAX_INPUT_BYTES = 0xffff;

// Per-player input stream items: a varint tag = value * 4 + kind.
/** End of this player's inputs. */
export const ITEM_END = 0;
/** `value + 1` more ticks with the same input as the previous tick. */
export const ITEM_REPEAT = 1;
/** One tick with a new input, an input delta against the previous input (value 0). */
export const ITEM_INPUT = 2;
/** `value + 1` ticks without a recorded input (outside the recording or lifetime). */
export const ITEM_SKIP = 3;

/** Longest player id, in UTF-8 bytes (the protocol's string limit). */
export const MAX_ID_BYTES = DEFAULT_LIMITS.maxStringBytes;

/** Event kind of a join. */
export const EVENT_JOIN = 0;
/** Event kind of a leave. */
export const EVENT_LEAVE = 1;

/** Writes one input-stream item tag. */
export function writeTag(w: ByteWriter, kind: number, value: number): void {
  w.varint(value * 4 + kind);
}

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
