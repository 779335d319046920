import { RollbackEngine } from '@rbn/core';
import type { LocalTransport } from '@rbn/transport-local';
import { ArenaGame } from '../game/arena';
import type { DemoPeer, PeerCounters, PeerStats, PeerTick } from './peer';
import { RecordingGame } from './recording-game';

const MSG_INPUTS = 1;
const MSG_HASH = 2;
const MSG_SYNC_REQUEST = 3;
const MSG_SYNC = 4;
const MAX_INPUTS_PER_MESSAGE = 128;
const TICK_MS = 1000 / 60;

/** Options of an {@link EnginePeer}. */
export interface EnginePeerOptions {
  /** Shown above the view. */
  label: string;
  /** The local transport of this peer (already linked to the others). */
  transport: LocalTransport;
  /** Every player id of the match, this one included; the first one is the authority. */
  playerIds: readonly string[];
  /** Seed of the arena (equal on every peer). */
  seed: number;
}

/**
 * A demo peer driven by a bare `RollbackEngine` from `@rbn/core` and a tiny input exchange
 * (inputs not yet acknowledged, hashes, state transfer) over a `LocalTransport`: the local
 * mode's fallback when `@rbn/session` is not available.
 */
export class EnginePeer implements DemoPeer {
  readonly label: string;
  readonly playerId: string;
  readonly game: ArenaGame;
  readonly counters: PeerCounters = { rollbacks: 0, stalls: 0, desyncs: 0, recoveries: 0 };
  private readonly recording: RecordingGame;
  private readonly engine: RollbackEngine;
  private readonly transport: LocalTransport;
  private readonly remotes: string[];
  private readonly authority: string;
  /** Highest tick of our inputs each remote has acknowledged. */
  private readonly acked = new Map<string, number>();
  /** Confirmed hashes announced by remotes, by tick. */
  private readonly remoteHashes = new Map<number, number>();
  private readonly localHashes = new Map<number, number>();
  private readonly inputScratch = new Uint8Array(1);
  private readonly sendScratch = new Uint8Array(10 + MAX_INPUTS_PER_MESSAGE);
  private syncRequested = false;

  /**
   * @param options - See {@link EnginePeerOptions}.
   */
  constructor(options: EnginePeerOptions) {
    this.label = options.label;
    this.transport = options.transport;
    this.playerId = options.transport.localPeerId;
    this.game = new ArenaGame(options.seed);
    this.recording = new RecordingGame(this.game);
    this.engine = new RollbackEngine(this.recording, { hashInterval: 30 });
    this.remotes = options.playerIds.filter((id) => id !== this.playerId);
    this.authority = options.playerIds[0] ?? this.playerId;
    for (const id of options.playerIds) {
      this.engine.addPlayer(id, 0, { local: id === this.playerId });
      if (id !== this.playerId) this.acked.set(id, -1);
    }
    this.engine.onConfirmedHash = (tick, hash) => this.onConfirmedHash(tick, hash);
    this.transport.onMessage = (from, bytes) => this.onMessage(from, bytes);
  }

  /** Hashes by game tick. */
  get hashes() {
    return this.recording.hashes;
  }

  state(): string {
    return this.transport.connectedPeers.size === this.remotes.length ? 'Playing' : 'Connecting';
  }

  currentTick(): number {
    return this.engine.currentTick;
  }

  confirmedTick(): number {
    return this.engine.confirmedTick;
  }

  notice(): string | undefined {
    return undefined;
  }

  isSpectator(): boolean {
    return false;
  }

  frameDelayMs(): number {
    return TICK_MS;
  }

  tick(buttons: number): PeerTick {
    this.inputScratch[0] = buttons;
    const result = this.engine.tick(this.inputScratch);
    if (result.rolledBack) this.counters.rollbacks++;
    const stalled = result.status === 'stalled';
    if (stalled) this.counters.stalls++;
    this.sendInputs();
    return { rollbackTicks: result.rollbackTicks, stalled };
  }

  stats(): PeerStats {
    let bytesSent = 0;
    let bytesReceived = 0;
    let rtt: number | undefined;
    let ahead = 0;
    for (const id of this.remotes) {
      const link = this.transport.getLinkStats(id);
      bytesSent += link?.bytesSent ?? 0;
      bytesReceived += link?.bytesReceived ?? 0;
      const metrics = this.transport.getConnectionMetrics(id);
      rtt ??= metrics?.rtt;
      const remoteNow =
        this.engine.getReceivedTick(id) + Math.round((metrics?.rtt ?? 0) / 2 / TICK_MS);
      ahead = Math.max(ahead, this.engine.currentTick - remoteNow);
    }
    return { rttMs: rtt, framesAhead: ahead, bytesSent, bytesReceived };
  }

  induceDesync(): void {
    this.recording.corruptNextTick();
  }

  destroy(): void {
    this.transport.onMessage = null;
    this.transport.disconnectAll();
  }

  private sendInputs(): void {
    const last = this.engine.lastLocalInputTick;
    for (const id of this.remotes) {
      const acked = this.acked.get(id) ?? -1;
      const first = Math.max(acked + 1, last - MAX_INPUTS_PER_MESSAGE + 1, 0);
      const count = last - first + 1;
      const out = this.sendScratch;
      const view = new DataView(out.buffer);
      out[0] = MSG_INPUTS;
      view.setUint32(1, this.engine.getReceivedTick(id) + 1, true);
      view.setUint32(5, Math.max(first, 0), true);
      out[9] = Math.max(count, 0);
      for (let i = 0; i < count; i++) {
        out[10 + i] = this.engine.getInput(this.playerId, first + i)?.[0] ?? 0;
      }
      this.transport.send(id, out.subarray(0, 10 + Math.max(count, 0)), false);
    }
  }

  private onMessage(from: string, bytes: Uint8Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (bytes[0] ?? 0) {
      case MSG_INPUTS: {
        if (bytes.length < 10) return;
        const ack = view.getUint32(1, true) - 1;
        if (ack > (this.acked.get(from) ?? -1)) this.acked.set(from, ack);
        const first = view.getUint32(5, true);
        const count = Math.min(bytes[9] ?? 0, bytes.length - 10);
        for (let i = 0; i < count; i++) {
          this.engine.addRemoteInput(from, first + i, bytes.subarray(10 + i, 11 + i));
        }
        return;
      }
      case MSG_HASH: {
        if (bytes.length < 9) return;
        this.compareHash(view.getUint32(1, true), view.getUint32(5, true), from);
        return;
      }
      case MSG_SYNC_REQUEST: {
        const snapshot = this.engine.getConfirmedState();
        const out = new Uint8Array(5 + snapshot.state.length);
        out[0] = MSG_SYNC;
        new DataView(out.buffer).setUint32(1, snapshot.tick, true);
        out.set(snapshot.state, 5);
        this.transport.send(from, out, true);
        return;
      }
      case MSG_SYNC: {
        if (bytes.length < 6 || !this.syncRequested) return;
        this.syncRequested = false;
        this.engine.loadState(view.getUint32(1, true), bytes.slice(5));
        this.counters.recoveries++;
        this.localHashes.clear();
        this.remoteHashes.clear();
        return;
      }
      default:
        return;
    }
  }

  private onConfirmedHash(tick: number, hash: number): void {
    this.localHashes.set(tick, hash);
    if (this.localHashes.size > 64) {
      const oldest = this.localHashes.keys().next().value;
      if (oldest !== undefined) this.localHashes.delete(oldest);
    }
    const out = new Uint8Array(9);
    out[0] = MSG_HASH;
    const view = new DataView(out.buffer);
    view.setUint32(1, tick, true);
    view.setUint32(5, hash, true);
    this.transport.broadcast(out, true);
    const remote = this.remoteHashes.get(tick);
    if (remote !== undefined) this.compareHash(tick, remote, this.authority);
  }

  private compareHash(tick: number, remoteHash: number, from: string): void {
    if (from !== this.authority || this.playerId === this.authority) return;
    const local = this.localHashes.get(tick);
    if (local === undefined) {
      this.remoteHashes.set(tick, remoteHash);
      if (this.remoteHashes.size > 64) {
        const oldest = this.remoteHashes.keys().next().value;
        if (oldest !== undefined) this.remoteHashes.delete(oldest);
      }
      return;
    }
    this.remoteHashes.delete(tick);
    if (local !== remoteHash && !this.syncRequested) {
      this.counters.desyncs++;
      this.syncRequested = true;
      this.transport.send(this.authority, Uint8Array.of(MSG_SYNC_REQUEST), true);
    }
  }
}
