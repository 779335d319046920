import { ByteReader, ByteWriter, DEFAULT_LIMITS, RbnError } from '@rbn/protocol';
import type { Game } from '@rbn/core';
import type { Tick } from '@rbn/protocol';
import { decodeReplay } from './decode';
import type { Replay, ReplayLimits } from './format';
import { playReplay } from './play';

/*
 * The incident file, version 1 (integers are unsigned LEB128 varints unless said otherwise):
 *
 *   magic `RBNI` · version · tick · localHash (u32 LE) · remoteHash (u32 LE) · peerId (string) ·
 *   replay (length + a replay blob, see format.ts) · localState (length + bytes) ·
 *   remoteState (length + bytes).
 *
 * The replay runs from a state both peers agreed on (the previous hashed tick, when still in the
 * engine's history) to `tick`, the tick whose hashes differed; its final hash is the local one.
 */

/** The first four bytes of every incident file: ASCII `RBNI`. */
const INCIDENT_MAGIC = [0x52, 0x42, 0x4e, 0x49] as const;

/** The incident format version {@link encodeIncident} writes and {@link decodeIncident} reads. */
export const INCIDENT_FORMAT_VERSION = 1;

/** A desync, saved: the replay that led to it and both peers' states at it. */
export type Incident = {
  /** The format version of the file. */
  readonly version: number;
  /** The tick whose confirmed-state hashes differed. */
  readonly tick: Tick;
  /** The local hash of S(tick). */
  readonly localHash: number;
  /** The remote peer's hash of S(tick). */
  readonly remoteHash: number;
  /** The remote peer the states were compared with. */
  readonly peerId: string;
  /** A replay blob of the confirmed inputs from an agreed state to `tick` (see `decodeReplay`). */
  readonly replay: Uint8Array;
  /** The local S(tick), as the game serialized it. */
  readonly localState: Uint8Array;
  /** The remote S(tick), as the remote game serialized it. */
  readonly remoteState: Uint8Array;
};

/**
 * Encodes an incident as one file.
 * @param incident - The incident (its `version` is ignored: the current one is written).
 * @returns The bytes (magic `RBNI`, then the fields).
 */
export function encodeIncident(incident: Omit<Incident, 'version'>): Uint8Array {
  const w = new ByteWriter(
    64 + incident.replay.length + incident.localState.length + incident.remoteState.length,
  );
  for (const b of INCIDENT_MAGIC) w.u8(b);
  w.varint(INCIDENT_FORMAT_VERSION);
  w.varint(incident.tick);
  w.u32(incident.localHash >>> 0);
  w.u32(incident.remoteHash >>> 0);
  w.string(incident.peerId, DEFAULT_LIMITS.maxStringBytes, 'incident.peerId');
  for (const part of [incident.replay, incident.localState, incident.remoteState]) {
    w.varint(part.length);
    w.bytes(part);
  }
  return w.finish();
}

/** Bounds {@link decodeIncident} enforces on an untrusted file. */
export type IncidentLimits = {
  /** Largest state (each of the two, and the replay's initial state). @default 16 MiB */
  maxStateBytes: number;
  /** Largest embedded replay blob. @default 64 MiB */
  maxReplayBytes: number;
};

const DEFAULT_INCIDENT_LIMITS: Readonly<IncidentLimits> = Object.freeze({
  maxStateBytes: DEFAULT_LIMITS.maxStateBytes,
  maxReplayBytes: 64 * 1024 * 1024,
});

function readPart(r: ByteReader, max: number, what: string): Uint8Array {
  const at = r.pos;
  const n = r.varint(0xffffffff, `${what} length`);
  if (n > max) r.fail(`${what} of ${n} bytes is over the limit (${max})`, at);
  return r.bytes(n, what).slice();
}

/**
 * Decodes an incident file made by {@link encodeIncident}. Every read is bounds-checked.
 * @param bytes - The file.
 * @param limits - Bounds to enforce.
 * @returns The incident.
 * @throws DecodeError (from `@rbn/protocol`) for malformed or over-limit bytes.
 */
export function decodeIncident(bytes: Uint8Array, limits?: Partial<IncidentLimits>): Incident {
  const lim = { ...DEFAULT_INCIDENT_LIMITS, ...limits };
  const r = new ByteReader(bytes, 'incident');
  for (const b of INCIDENT_MAGIC) {
    if (r.u8('magic') !== b) r.fail('not an incident file (magic bytes are not RBNI)', 0);
  }
  const versionAt = r.pos;
  const version = r.varint(0xffff, 'format version');
  if (version !== INCIDENT_FORMAT_VERSION) {
    r.fail(`unsupported incident format version ${version}`, versionAt);
  }
  const tick = r.varint(0x7fffffff, 'tick');
  const localHash = r.u32('local hash');
  const remoteHash = r.u32('remote hash');
  const peerId = r.string(DEFAULT_LIMITS.maxStringBytes, 'peer id');
  const replay = readPart(r, lim.maxReplayBytes, 'replay');
  const localState = readPart(r, lim.maxStateBytes, 'local state');
  const remoteState = readPart(r, lim.maxStateBytes, 'remote state');
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the incident`);
  return { version, tick, localHash, remoteHash, peerId, replay, localState, remoteState };
}

/** The outcome of {@link bisectIncident}. */
export type BisectResult = {
  /**
   * The first tick T whose state S(T) hashes differently in the two runs, or `null` when every
   * state of the replay hashes the same.
   */
  readonly firstDivergentTick: Tick | null;
  /** The two runs' hashes of S(firstDivergentTick) (of the final state when none differs). */
  readonly hashA: number;
  /** See {@link hashA}. */
  readonly hashB: number;
  /** The replay's start and final tick (the range compared). */
  readonly startTick: Tick;
  /** See {@link startTick}. */
  readonly finalTick: Tick;
  /** Whether run A reproduced the incident's local hash of S(tick). */
  readonly reproducesLocal: boolean;
};

/** Plays a replay and returns the hash of every state S(startTick)..S(finalTick). */
function hashesOf(replay: Replay, game: Game<Uint8Array>): number[] {
  game.deserialize(replay.state);
  const hashes = [game.hash() >>> 0];
  playReplay(replay, game, { onTick: () => hashes.push(game.hash() >>> 0) });
  return hashes;
}

/**
 * Replays an incident twice (two runs of one game build, or two builds, or the same build in two
 * engines when run in each) and names the first tick whose state hash differs between the runs.
 * Two runs of one build find non-determinism within one process (an unseeded random, iteration
 * order, state kept outside `serialize`); two builds find where a change or a platform diverges.
 * @param incident - An incident file, or a decoded {@link Incident}.
 * @param makeGameA - Makes the game of run A.
 * @param makeGameB - Makes the game of run B. @default makeGameA
 * @param limits - Bounds for decoding the file and its replay.
 * @returns The first divergent tick (or `null`) and the hashes there.
 * @throws DecodeError for a malformed file; what `playReplay` throws.
 * @example
 * ```ts
 * const result = bisectIncident(file, () => new MyGame());
 * if (result.firstDivergentTick !== null) console.log('diverges at', result.firstDivergentTick);
 * ```
 */
export function bisectIncident(
  incident: Uint8Array | Incident,
  makeGameA: () => Game<Uint8Array>,
  makeGameB: () => Game<Uint8Array> = makeGameA,
  limits?: Partial<IncidentLimits & ReplayLimits>,
): BisectResult {
  const inc = incident instanceof Uint8Array ? decodeIncident(incident, limits) : incident;
  const replay = decodeReplay(inc.replay, limits);
  const a = hashesOf(replay, makeGameA());
  const b = hashesOf(replay, makeGameB());
  if (a.length !== b.length) throw new RbnError('INTERNAL_ERROR', 'the runs differ in length');
  const start = replay.startTick;
  const final = replay.finalTick;
  const reproducesLocal = a.at(-1) === inc.localHash >>> 0;
  let i = 0;
  while (i < a.length - 1 && a[i] === b[i]) i++;
  return {
    firstDivergentTick: a[i] === b[i] ? null : start + i,
    hashA: a[i]!,
    hashB: b[i]!,
    startTick: start,
    finalTick: final,
    reproducesLocal,
  };
}
