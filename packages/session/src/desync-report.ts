import type { Game, RollbackEngine } from '@rbn/core';
import { DEFAULT_LIMITS, MessageType } from '@rbn/protocol';
import type { DesyncStateMessage, Tick } from '@rbn/protocol';
import { diffStates } from './desync-diff';
import type { DesyncDiff } from './desync-diff';
import type { Clock } from './internal/clock';
import type { Emitter } from './internal/emitter';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import { ReplayRecorder } from './replay';
import { encodeIncident } from './replay/incident';
import type { Roster } from './roster';
import { PlayerRole } from './types';
import type { SessionConfig } from './types';

/** Settings of desync reports (`CreateSessionOptions.desyncReports`). Local: peers may differ. */
export type DesyncReportOptions = {
  /** Exchange states and emit `desyncReport` when a desync is found. @default true */
  enabled: boolean;
  /**
   * The largest state sent or accepted for a report, in bytes (at most the protocol's
   * `maxStateBytes`); a larger state gives no report. @default 1 MiB
   */
  maxStateBytes: number;
};

/** The report settings used for every field left out. */
export const DEFAULT_DESYNC_REPORT_OPTIONS: Readonly<DesyncReportOptions> = Object.freeze({
  enabled: true,
  maxStateBytes: 1024 * 1024,
});

/** What the `desyncReport` event carries. */
export type DesyncReport = {
  /** The tick whose confirmed states differ: both states are S(tick). */
  readonly tick: Tick;
  /** The peer whose state differs from ours. */
  readonly peerId: string;
  /** Our confirmed S(tick), as our game serialized it. */
  readonly localState: Uint8Array;
  /** The peer's confirmed S(tick), as its game serialized it. */
  readonly remoteState: Uint8Array;
  /** Where they differ: byte ranges, and paths when the game implements `describe`. */
  readonly diff: DesyncDiff;
  /**
   * The incident file (see `decodeIncident`, `bisectIncident`): the replay of the confirmed
   * inputs from the previous hashed tick (when still in history) to `tick`, and both states.
   */
  readonly incident: Uint8Array;
};

/** Bytes per `DesyncState` chunk. */
export const DESYNC_CHUNK_BYTES = 16 * 1024;
/** A state exchange that has not completed after this long is given up. */
const EXCHANGE_TIMEOUT_MS = 10_000;
/** Most (peer, tick) requests answered that are remembered (answered once each). */
const MAX_ANSWERED = 64;

/** Our confirmed state of a desynced tick, kept until the exchange is over. */
type Kept = { tick: Tick; state: Uint8Array; hash: number; replay: Uint8Array };

/** A state we asked a peer for, arriving in chunks. */
type Pending = {
  tick: Tick;
  at: number;
  remoteHash: number;
  buffer: Uint8Array | null;
  received: number;
};

/** What {@link DesyncReports} works with (the session's own parts, no more). */
export type DesyncReportDeps = {
  readonly game: Game<Uint8Array>;
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly clock: Clock;
  readonly options: DesyncReportOptions;
};

/**
 * Resolves and checks the report settings.
 * @throws RangeError naming the bad field.
 */
export function resolveDesyncReportOptions(
  options: Partial<DesyncReportOptions> | undefined,
): DesyncReportOptions {
  const resolved = { ...DEFAULT_DESYNC_REPORT_OPTIONS, ...options };
  const max = resolved.maxStateBytes;
  if (!Number.isInteger(max) || max < 0 || max > DEFAULT_LIMITS.maxStateBytes) {
    throw new RangeError(
      `desyncReports.maxStateBytes must be an integer in [0, ${DEFAULT_LIMITS.maxStateBytes}], got ${String(max)}`,
    );
  }
  if (typeof resolved.enabled !== 'boolean') {
    throw new RangeError('desyncReports.enabled must be a boolean');
  }
  return resolved;
}

/**
 * Desync reports: when a desync is found, keeps our confirmed state of that tick, asks the peer
 * for its own (it answers in {@link DESYNC_CHUNK_BYTES} chunks on the reliable channel), and
 * once the peer's state is in, emits `desyncReport` with both states, their diff and an
 * incident file. Only a state we asked that peer for, of that tick, within the size cap, is
 * accepted; a peer is answered once per tick, only for a hashed, confirmed tick.
 */
export class DesyncReports {
  #kept: Kept | null = null;
  readonly #pending = new Map<string, Pending>();
  readonly #answered = new Set<string>();

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: DesyncReportDeps) {}

  /** Whether an exchange with the peer is under way (for tests and diagnostics). */
  waitingFor(peerId: string): boolean {
    return this.#pending.has(peerId);
  }

  /**
   * A desync was found: our hash of `tick` differs from `peerId`'s. Keeps our state of it and
   * asks the peer for its own.
   */
  found(
    engine: RollbackEngine,
    cfg: SessionConfig,
    tick: Tick,
    peerId: string,
    remoteHash: number,
  ): void {
    const { options, links, clock } = this.deps;
    if (!options.enabled || !links.get(peerId)) return;
    if (this.#pending.get(peerId)?.tick === tick) return;
    const kept = this.#keep(engine, cfg, tick);
    if (!kept) return;
    this.#pending.set(peerId, { tick, at: clock.now(), remoteHash, buffer: null, received: 0 });
    links.sendTo(peerId, { type: MessageType.DesyncStateRequest, tick });
  }

  /** Our state of `tick` (kept, or taken from the engine's history now), within the cap. */
  #keep(engine: RollbackEngine, cfg: SessionConfig, tick: Tick): Kept | null {
    if (this.#kept?.tick === tick) return this.#kept;
    const snapshot = engine.getSnapshot(tick);
    if (!snapshot) return null;
    if (snapshot.state.length > this.deps.options.maxStateBytes) {
      const text = `no desync report for tick ${tick}: the state (${snapshot.state.length} bytes) is over desyncReports.maxStateBytes (${this.deps.options.maxStateBytes})`;
      this.deps.report.session('DESYNC_REPORT_SKIPPED', text);
      return null;
    }
    const hash = snapshot.hash >>> 0;
    const replay = recordRecent(engine, this.deps.roster, tick - cfg.hashInterval, tick, hash);
    this.#kept = { tick, state: snapshot.state, hash, replay };
    this.#answered.clear();
    return this.#kept;
  }

  /** A peer asks for our state of `tick`: answered once, for a player, a hashed confirmed tick. */
  onRequest(peerId: string, tick: Tick, engine: RollbackEngine | null, cfg: SessionConfig): void {
    const { options, roster, links, report } = this.deps;
    if (!options.enabled || !engine || !links.get(peerId)) return;
    if (roster.byPeer(peerId)?.role !== PlayerRole.Player) {
      report.peer(peerId, MessageType.DesyncStateRequest, 'a state request from a non-player');
      return;
    }
    if (tick <= 0 || tick % cfg.hashInterval !== 0 || tick > engine.confirmedTick + 1) {
      const text = `a state request for tick ${tick}, which is not a confirmed hashed tick here`;
      report.peer(peerId, MessageType.DesyncStateRequest, text);
      return;
    }
    const key = `${tick}:${peerId}`;
    if (this.#answered.has(key)) return;
    const kept = this.#keep(engine, cfg, tick);
    if (!kept) return;
    if (this.#answered.size >= MAX_ANSWERED) this.#answered.clear();
    this.#answered.add(key);
    const { state } = kept;
    let offset = 0;
    do {
      const chunk = state.subarray(offset, offset + DESYNC_CHUNK_BYTES);
      const message: DesyncStateMessage = {
        type: MessageType.DesyncState,
        tick,
        totalBytes: state.length,
        offset,
        chunk,
      };
      links.sendTo(peerId, message);
      offset += chunk.length;
    } while (offset < state.length);
  }

  /** A chunk of a peer's state: taken only when we asked that peer for that tick, in order. */
  onState(peerId: string, message: DesyncStateMessage): void {
    const { report, options } = this.deps;
    const pending = this.#pending.get(peerId);
    if (!pending || pending.tick !== message.tick) {
      report.peer(peerId, message.type, `a state of tick ${message.tick} nobody asked for`);
      return;
    }
    const fail = (text: string): void => {
      this.#pending.delete(peerId);
      report.peer(peerId, message.type, text);
    };
    if (message.totalBytes > options.maxStateBytes) {
      fail(`a state of ${message.totalBytes} bytes, over desyncReports.maxStateBytes`);
      return;
    }
    if (pending.buffer === null) pending.buffer = new Uint8Array(message.totalBytes);
    if (message.totalBytes !== pending.buffer.length || message.offset !== pending.received) {
      fail('a state chunk out of order or of another size');
      return;
    }
    pending.buffer.set(message.chunk, message.offset);
    pending.received += message.chunk.length;
    if (pending.received < pending.buffer.length) return;
    this.#pending.delete(peerId);
    this.#complete(peerId, pending.tick, pending.remoteHash, pending.buffer);
  }

  #complete(peerId: string, tick: Tick, remoteHash: number, remoteState: Uint8Array): void {
    const kept = this.#kept;
    if (kept === null || kept.tick !== tick) return;
    const { game } = this.deps;
    const describe = game.describe ? (s: Uint8Array) => game.describe!(s) : undefined;
    const diff = diffStates(kept.state, remoteState, describe);
    const incident = encodeIncident({
      tick,
      localHash: kept.hash,
      remoteHash,
      peerId,
      replay: kept.replay,
      localState: kept.state,
      remoteState,
    });
    const report: DesyncReport = {
      tick,
      peerId,
      localState: kept.state,
      remoteState,
      diff,
      incident,
    };
    this.deps.emitter.emit('desyncReport', report);
  }

  /** Gives up exchanges that did not complete in time. */
  frame(now: number): void {
    if (this.#pending.size === 0) return; // the usual frame: no iterator to make
    for (const [peerId, p] of this.#pending) {
      if (now - p.at > EXCHANGE_TIMEOUT_MS) this.#pending.delete(peerId);
    }
  }

  /** Forgets everything (the room ended). */
  reset(): void {
    this.#kept = null;
    this.#pending.clear();
    this.#answered.clear();
  }
}

/**
 * A replay blob of the confirmed inputs from S(from) (or S(to) when S(from) or an input is no
 * longer in the engine's history) to S(to).
 */
function recordRecent(
  engine: RollbackEngine,
  roster: Roster,
  from: Tick,
  to: Tick,
  finalHash: number,
): Uint8Array {
  const start = Math.max(0, from);
  const players = [...roster.all()].filter(
    (m) => m.role === PlayerRole.Player && m.joinTick >= 0 && m.joinTick < to,
  );
  const snapshot = start < to ? engine.getSnapshot(start) : undefined;
  if (snapshot) {
    const recorder = new ReplayRecorder({ startTick: start, state: snapshot.state });
    let complete = true;
    for (const m of players) {
      if (m.leaveTick >= 0 && m.leaveTick <= start) continue;
      recorder.recordJoin(m.playerId, Math.max(m.joinTick, start));
      for (let t = Math.max(m.joinTick, start); t < to; t++) {
        if (m.leaveTick >= 0 && t >= m.leaveTick) break;
        const input = engine.getInput(m.playerId, t);
        if (!input) complete = false;
        else recorder.recordInput(m.playerId, t, input);
      }
      if (m.leaveTick >= 0 && m.leaveTick < to) recorder.recordLeave(m.playerId, m.leaveTick);
    }
    if (complete) return recorder.finish({ finalTick: to, finalHash });
  }
  const last = engine.getSnapshot(to)!;
  const recorder = new ReplayRecorder({ startTick: to, state: last.state });
  return recorder.finish({ finalTick: to, finalHash });
}
