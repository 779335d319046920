import type { RollbackEngine } from '@rbn/core';
import type { Tick } from '@rbn/protocol';
import { SLOT_COUNT } from './internal/link';

/** Confirmed hashes remembered per peer, in hash intervals. */
export const HASH_HISTORY = 16;

/**
 * Hash bookkeeping for desync detection: confirmed local hashes waiting to be sent, the local
 * and remote hashes of recent ticks, which ticks are settled, the floor below which hashes
 * predate a loaded state, and the one sync request in flight.
 */
export class DesyncTracker {
  readonly #localHashes = new Map<Tick, number>();
  readonly #remoteHashes = new Map<Tick, Map<number, number>>();
  readonly #decided = new Set<Tick>();
  /** `tick * SLOT_COUNT + slot` of every desync reported (pruned with the hashes). */
  readonly #desyncReported = new Set<number>();
  #floor = 0;
  readonly #pendingTicks: Tick[] = [];
  readonly #pendingFallback: number[] = [];
  readonly #lastSyncSentTick = new Map<string, Tick>();
  /** The states of the last hashed ticks, as they were when their hashes went out. */
  readonly #kept = new Map<Tick, { hash: number; state: Uint8Array }>();
  /**
   * The sync we asked for and are waiting for, if any. `hash` is the agreed hash of `tick` (a
   * recovery: only that tick's state with that hash may load), or `null` (any state in reach).
   */
  syncRequest: {
    peerId: string;
    /** When it was sent, or (not `sent` yet) when it may be: the peer answers 4 times a second. */
    at: number;
    sent: boolean;
    tick: Tick;
    hash: number | null;
    forwardTo: string[];
  } | null = null;

  /** The engine confirmed a hashed tick; it is sent later (see {@link due}). */
  confirmed(tick: Tick, hash: number): void {
    this.#pendingTicks.push(tick);
    this.#pendingFallback.push(hash);
  }

  /** Forgets the confirmed hashes not sent yet (a state was loaded). */
  dropPending(): void {
    this.#pendingTicks.length = 0;
    this.#pendingFallback.length = 0;
  }

  /** Whether confirmed hashes wait to be sent. */
  get hasPending(): boolean {
    return this.#pendingTicks.length > 0;
  }

  /**
   * Takes the next confirmed hash that is `delay` ticks behind the confirmed tick, with the
   * hash of the saved state at that moment (a peer whose rollback corrected the state since
   * sends the corrected hash: no false desync in mesh departures).
   * @returns The tick and its hash, or `null` when none is due.
   */
  due(engine: RollbackEngine, delay: number): { tick: Tick; hash: number } | null {
    if (this.#pendingTicks.length === 0) return null;
    if (engine.confirmedTick < this.#pendingTicks[0]! + delay) return null;
    const tick = this.#pendingTicks.shift()!;
    const fallback = this.#pendingFallback.shift()!;
    const snapshot = engine.getSnapshot(tick);
    if (snapshot) this.#keep(tick, snapshot.hash >>> 0, snapshot.state);
    return { tick, hash: snapshot?.hash ?? fallback };
  }

  /** Keeps the state of a hashed tick as it is hashed (the last {@link HASH_HISTORY}). */
  #keep(tick: Tick, hash: number, state: Uint8Array): void {
    this.#kept.delete(tick);
    this.#kept.set(tick, { hash, state });
    for (const t of this.#kept.keys()) {
      if (this.#kept.size <= HASH_HISTORY) break;
      this.#kept.delete(t);
    }
  }

  /** The state of a hashed tick as it was when its hash went out, if still kept. */
  kept(tick: Tick): { hash: number; state: Uint8Array } | undefined {
    return this.#kept.get(tick);
  }

  /** Ticks below this predate a loaded state; their hashes are ignored. */
  get floor(): Tick {
    return this.#floor;
  }

  /** Records our hash of a tick. */
  setLocal(tick: Tick, hash: number): void {
    this.#localHashes.set(tick, hash);
  }

  /** Our hash of a tick. */
  local(tick: Tick): number | undefined {
    return this.#localHashes.get(tick);
  }

  /** Other players' hashes of a tick, by slot. */
  remote(tick: Tick): ReadonlyMap<number, number> | undefined {
    return this.#remoteHashes.get(tick);
  }

  /**
   * Records a player's hash of a tick (a newer hash replaces an older one: a peer that loaded a
   * state re-hashes the ticks after it).
   * @returns `false` when ignored: memory is bounded against far-future spam.
   */
  setRemote(tick: Tick, slot: number, hash: number): boolean {
    let remote = this.#remoteHashes.get(tick);
    if (remote?.get(slot) === hash) return false; // a copy: nothing new to compare
    if (!remote) {
      if (this.#remoteHashes.size >= HASH_HISTORY * 4) return false;
      remote = new Map();
      this.#remoteHashes.set(tick, remote);
    }
    remote.set(slot, hash);
    return true;
  }

  /** How many ticks' remote hashes are held (bounded). */
  get remoteTickCount(): number {
    return this.#remoteHashes.size;
  }

  /** How many ticks' local hashes are held (bounded). */
  get localTickCount(): number {
    return this.#localHashes.size;
  }

  /**
   * Whether a desync of a player's hash at a tick is news (each is reported once, however many
   * hashes the player sends for that tick).
   */
  firstDesync(tick: Tick, slot: number): boolean {
    const key = tick * SLOT_COUNT + slot;
    if (this.#desyncReported.has(key)) return false;
    this.#desyncReported.add(key);
    return true;
  }

  /** Whether a tick is settled. */
  isDecided(tick: Tick): boolean {
    return this.#decided.has(tick);
  }

  /** Settles a tick. */
  markDecided(tick: Tick): void {
    this.#decided.add(tick);
  }

  /** Forgets hashes more than {@link HASH_HISTORY} intervals older than `newest`. */
  prune(newest: Tick, hashInterval: number): void {
    const oldest = newest - HASH_HISTORY * hashInterval;
    for (const t of this.#localHashes.keys()) if (t < oldest) this.#localHashes.delete(t);
    for (const t of this.#remoteHashes.keys()) if (t < oldest) this.#remoteHashes.delete(t);
    for (const t of this.#decided) if (t < oldest) this.#decided.delete(t);
    for (const k of this.#desyncReported) {
      if (k < oldest * SLOT_COUNT) this.#desyncReported.delete(k);
    }
  }

  /** A state of `tick` was loaded: hashes before it predate it, ours after it are stale. */
  loaded(tick: Tick): void {
    this.#floor = tick;
    this.dropPending();
    for (const t of this.#kept.keys()) if (t >= tick) this.#kept.delete(t);
    for (const t of this.#localHashes.keys()) if (t >= tick) this.#localHashes.delete(t);
    for (const t of this.#decided) if (t >= tick) this.#decided.delete(t);
    for (const k of this.#desyncReported) {
      if (k >= tick * SLOT_COUNT) this.#desyncReported.delete(k);
    }
    for (const t of this.#remoteHashes.keys()) if (t < tick) this.#remoteHashes.delete(t);
  }

  /** We sent our state of `tick` to a peer: its hashes of earlier ticks predate it. */
  noteSyncSent(peerId: string, tick: Tick): void {
    this.#lastSyncSentTick.set(peerId, tick);
  }

  /** The tick of the last state we sent a peer, or -1. */
  lastSyncSent(peerId: string): Tick {
    return this.#lastSyncSentTick.get(peerId) ?? -1;
  }

  /** Forgets everything (the room ended). */
  reset(): void {
    this.#localHashes.clear();
    this.#remoteHashes.clear();
    this.#decided.clear();
    this.#desyncReported.clear();
    this.#lastSyncSentTick.clear();
    this.#kept.clear();
    this.#floor = 0;
    this.syncRequest = null;
    this.dropPending();
  }
}
