import type { Game, RollbackEngine } from '@rbn/core';
import { MessageType, RbnError } from '@rbn/protocol';
import type {
  DesyncStateMessage,
  DesyncStateRequestMessage,
  HashMessage,
  InputDigestMessage,
  SyncMessage,
  SyncRequestMessage,
  Tick,
} from '@rbn/protocol';
import { DesyncReports } from './desync-report';
import { DesyncTracker } from './desync-tracker';
import type { DesyncReportOptions } from './desync-report';
import type { Clock } from './internal/clock';
import { InputDigests } from './equivocation';
import type { Emitter } from './internal/emitter';
import type { Reporter } from './internal/reporter';
import { tickReach } from './input-exchange';
import type { LinkTable } from './links';
import type { Recording } from './recording';
import { HOST_SLOT } from './roster';
import type { Member, Roster } from './roster';
import { DesyncAuthority, PlayerRole, Topology } from './types';
import type { SessionConfig } from './types';

/** The messages {@link DesyncRecovery.receive} takes. */
export type DesyncMessage =
  | HashMessage
  | InputDigestMessage
  | SyncMessage
  | SyncRequestMessage
  | DesyncStateRequestMessage
  | DesyncStateMessage;

const SYNC_REQUEST_TIMEOUT_MS = 3000;
const SYNC_RESPONSE_MIN_INTERVAL_MS = 250;

/**
 * The most `Hash` messages a player sends in a second: one per `hashInterval` ticks, twice over
 * for catch-up ticks, plus slack. More are ignored (and reported once a second).
 */
export function hashesPerSecond(cfg: SessionConfig): number {
  return 2 * Math.ceil(cfg.tickRate / cfg.hashInterval) + 8;
}

/** Ticks a confirmed hash waits before it is sent (see {@link DesyncTracker.due}). */
export const HASH_DELAY_TICKS = 30;

/** One step of a desync recovery. */
export type RecoveryAction =
  /** Send our newest confirmed state to the player in `slot`. */
  | { readonly kind: 'push'; readonly slot: number }
  /** Ask the player in `slot` for its state, and pass it on to `forwardSlots` once loaded. */
  | { readonly kind: 'request'; readonly slot: number; readonly forwardSlots: number[] };

/** What {@link decideRecovery} decides from. */
export type RecoveryInput = {
  readonly topology: Topology;
  readonly authority: DesyncAuthority;
  readonly isHost: boolean;
  /** The host's slot (0 unless the host migrated). @default HOST_SLOT */
  readonly hostSlot?: number;
  readonly localSlot: number;
  /** Our hash of the tick. */
  readonly localHash: number;
  /** Other players' hashes of the tick, by slot. */
  readonly remote: ReadonlyMap<number, number>;
  /** Slots of every player whose inputs count at the tick (local included). */
  readonly expected: readonly number[];
};

/** What to do about one tick's hashes. */
export type RecoveryDecision = {
  /** The tick is settled: later hashes of it change nothing. */
  readonly decided: boolean;
  readonly actions: readonly RecoveryAction[];
};

const WAIT: RecoveryDecision = { decided: false, actions: [] };

/**
 * The recovery rule of a room's topology × authority, as a pure decision.
 *
 * Host authority, star: the host pushes its state to every player whose hash differs.
 * Host authority, mesh: a player whose hash differs from the host's asks the host for its state.
 * Peer authority: once every player's hash is in, the majority hash wins (ties: the group with
 * the lowest slot); in star the host pushes to the minority when it is in the majority, else
 * asks a majority player for the state and forwards it; in mesh each minority player asks.
 * @param input - The tick's hashes and the room.
 * @returns Whether the tick is settled and what to do.
 */
export function decideRecovery(input: RecoveryInput): RecoveryDecision {
  const star = input.topology === Topology.Star;
  const { localHash, remote } = input;
  if (input.authority === DesyncAuthority.Host) {
    if (star) {
      if (!input.isHost) return WAIT;
      const actions: RecoveryAction[] = [];
      for (const [slot, hash] of remote)
        if (hash !== localHash) actions.push({ kind: 'push', slot });
      return { decided: false, actions };
    }
    if (input.isHost) return WAIT;
    const hostSlot = input.hostSlot ?? HOST_SLOT;
    const hostHash = remote.get(hostSlot);
    if (hostHash === undefined) return WAIT;
    return {
      decided: true,
      actions:
        hostHash === localHash ? [] : [{ kind: 'request', slot: hostSlot, forwardSlots: [] }],
    };
  }
  if (star && !input.isHost) return WAIT;
  const all = new Map<number, number>(remote);
  all.set(input.localSlot, localHash);
  for (const slot of input.expected) if (!all.has(slot)) return WAIT;
  const reference = majority(input.expected, all);
  if (!reference) return { decided: true, actions: [] };
  const source = Math.min(...reference.slots);
  if (star) {
    const minority = input.expected.filter(
      (s) => all.get(s) !== reference.hash && s !== input.localSlot,
    );
    if (localHash === reference.hash) {
      return { decided: true, actions: minority.map((slot) => ({ kind: 'push', slot })) };
    }
    return { decided: true, actions: [{ kind: 'request', slot: source, forwardSlots: minority }] };
  }
  if (localHash === reference.hash) return { decided: true, actions: [] };
  return { decided: true, actions: [{ kind: 'request', slot: source, forwardSlots: [] }] };
}

/** The biggest group of equal hashes (ties: the group holding the lowest slot). */
function majority(
  expected: readonly number[],
  all: ReadonlyMap<number, number>,
): { hash: number; slots: number[] } | null {
  const groups = new Map<number, number[]>();
  for (const slot of expected) {
    const hash = all.get(slot)!;
    const g = groups.get(hash);
    if (g) g.push(slot);
    else groups.set(hash, [slot]);
  }
  let best: { hash: number; slots: number[] } | null = null;
  for (const [hash, slots] of groups) {
    if (
      !best ||
      slots.length > best.slots.length ||
      (slots.length === best.slots.length && Math.min(...slots) < Math.min(...best.slots))
    ) {
      best = { hash, slots };
    }
  }
  return best;
}

/**
 * Tries a state on the game without keeping it: loads it, hashes it, and puts the game's own
 * state back (whether or not the game's `deserialize` accepted it).
 * @returns The state's hash, or the error the game threw.
 */
export function trialHash(game: Game<Uint8Array>, state: Uint8Array): number | Error {
  const own = game.serialize().slice();
  try {
    game.deserialize(state);
    return game.hash() >>> 0;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    game.deserialize(own);
  }
}

/** What {@link DesyncRecovery} works with (the session's own parts, no more). */
export type DesyncDeps = {
  readonly game: Game<Uint8Array>;
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly clock: Clock;
  readonly recording: Recording;
  /** Desync report settings (state exchange and `desyncReport`). */
  readonly reportOptions: DesyncReportOptions;
  /** Host: drops a member at a tick it chooses and tells everyone (an equivocator). */
  readonly drop: (member: Member) => void;
};

/**
 * Desync detection and recovery: sends confirmed hashes, compares them with the players',
 * applies {@link decideRecovery} and carries out its actions (push or request a state, load
 * it, pass it on).
 */
export class DesyncRecovery {
  readonly #hashes = new DesyncTracker();
  /** Hashes taken from each peer in its current second (see {@link hashesPerSecond}). */
  readonly #hashBudget = new Map<string, { at: number; count: number }>();
  /** When we last loaded a state from each peer. */
  readonly #loadedFrom = new Map<string, number>();
  readonly #isPlayerPeer = (peerId: string): boolean =>
    this.deps.roster.byPeer(peerId)?.role === PlayerRole.Player;

  /** Desync reports: the state exchange after a desync is found, and `desyncReport`. */
  readonly reports: DesyncReports;
  /** Input equivocation in mesh: digests of confirmed inputs, compared by the host. */
  readonly digests: InputDigests;

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: DesyncDeps) {
    this.reports = new DesyncReports({ ...deps, options: deps.reportOptions });
    this.digests = new InputDigests(deps);
  }

  /** The engine's hook: a hashed tick was confirmed. */
  readonly onConfirmedHash = (tick: Tick, hash: number): void => {
    this.#hashes.confirmed(tick, hash);
  };

  /** How many ticks' remote hashes are held (bounded). */
  get remoteTickCount(): number {
    return this.#hashes.remoteTickCount;
  }

  /** How many ticks' local hashes are held (bounded). */
  get localTickCount(): number {
    return this.#hashes.localTickCount;
  }

  /** A state was loaded at the start: confirmed hashes before it are void. */
  dropPending(): void {
    this.#hashes.dropPending();
  }

  /** Forgets everything (the room ended). */
  reset(): void {
    this.#hashes.reset();
    this.#hashBudget.clear();
    this.#loadedFrom.clear();
    this.reports.reset();
    this.digests.reset();
  }

  /**
   * The frame's work: sends the hashes of confirmed ticks once they are `HASH_DELAY_TICKS`
   * behind the confirmed tick, and gives up on a sync request nobody answered. (The delay
   * dates from when a mesh peer that held more of a departed player's inputs than the host could
   * confirm a few ticks past the departure tick before the announcement arrived; the host's
   * settled tick now waits for it to hear, see `settledFor`.)
   */
  frame(engine: RollbackEngine | null, cfg: SessionConfig, now: number): void {
    const request = this.#hashes.syncRequest;
    if (request && !request.sent && now >= request.at) this.#sendRequest(now);
    else if (request && now - request.at > SYNC_REQUEST_TIMEOUT_MS) this.#hashes.syncRequest = null;
    this.reports.frame(now);
    this.digests.frame(engine, cfg);
    if (!engine || !this.#hashes.hasPending) return;
    const delay = Math.min(
      HASH_DELAY_TICKS,
      Math.max(0, cfg.snapshotHistorySize - cfg.maxSpeculationTicks - 10),
    );
    for (let due = this.#hashes.due(engine, delay); due; due = this.#hashes.due(engine, delay)) {
      this.#onLocalHash(engine, cfg, due.tick, due.hash >>> 0);
    }
  }

  #onLocalHash(engine: RollbackEngine, cfg: SessionConfig, tick: Tick, hash: number): void {
    const { roster, links, emitter } = this.deps;
    emitter.emit('confirmedHash', tick, hash);
    if (roster.localPlays) {
      const message: HashMessage = { type: MessageType.Hash, tick, hash };
      links.broadcastTo(message, this.#isPlayerPeer);
    }
    this.#hashes.setLocal(tick, hash);
    const remote = this.#hashes.remote(tick);
    if (remote) for (const [slot, h] of remote) this.#compare(engine, cfg, tick, slot, h);
    this.#decide(engine, cfg, tick);
    this.#hashes.prune(tick, cfg.hashInterval);
  }

  /** A message of desync detection, recovery or reports, from `peerId`. */
  receive(
    peerId: string,
    message: DesyncMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    switch (message.type) {
      case MessageType.Hash:
      case MessageType.InputDigest:
        return this.onHash(peerId, message, engine, cfg);
      case MessageType.Sync:
        return this.onSync(peerId, message, engine, cfg);
      case MessageType.SyncRequest:
        return this.onSyncRequest(peerId, message.tick, engine, now);
      case MessageType.DesyncStateRequest:
        return this.reports.onRequest(peerId, message.tick, engine, cfg);
      case MessageType.DesyncState:
        return this.reports.onState(peerId, message);
    }
  }

  /**
   * A player's hash of a confirmed tick, or (host, mesh) its digest of a player's confirmed
   * inputs (see {@link InputDigests}).
   */
  onHash(
    peerId: string,
    message: HashMessage | InputDigestMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    if (message.type === MessageType.InputDigest) {
      this.digests.onDigest(peerId, message, engine, cfg);
      return;
    }
    const { roster, report } = this.deps;
    const member = roster.byPeer(peerId);
    if (member?.role !== PlayerRole.Player) {
      // A member that just left may still have a hash on the way: not a violation.
      if (!roster.hasDeparted(peerId)) {
        report.peer(peerId, message.type, 'a hash from a peer that is not a player here');
      }
      return;
    }
    const now = this.deps.clock.now();
    if (!this.#withinHashBudget(peerId, cfg, now)) {
      const text = `more than ${hashesPerSecond(cfg)} hashes a second`;
      report.peerThrottled(peerId, message.type, text, now);
      return;
    }
    const tick = message.tick;
    if (
      tick <= 0 ||
      tick % cfg.hashInterval !== 0 ||
      (engine !== null && tick > engine.currentTick + tickReach(cfg))
    ) {
      const text = `a hash for tick ${tick}, which is never hashed now`;
      report.peerThrottled(peerId, message.type, text, now);
      return;
    }
    if (tick < this.#hashes.floor || roster.inAwayWindow(member.slot, tick)) return;
    if (!this.#hashes.setRemote(tick, member.slot, message.hash >>> 0)) return;
    if (this.#hashes.local(tick) !== undefined && engine) {
      this.#compare(engine, cfg, tick, member.slot, message.hash >>> 0);
      this.#decide(engine, cfg, tick);
    }
  }

  #withinHashBudget(peerId: string, cfg: SessionConfig, now: number): boolean {
    let window = this.#hashBudget.get(peerId);
    if (!window || now - window.at >= 1000) {
      if (this.#hashBudget.size >= 1024) this.#hashBudget.clear(); // bounded whatever the peer ids
      window = { at: now, count: 0 };
      this.#hashBudget.set(peerId, window);
    }
    return ++window.count <= hashesPerSecond(cfg);
  }

  #compare(
    engine: RollbackEngine,
    cfg: SessionConfig,
    tick: Tick,
    slot: number,
    remoteHash: number,
  ): void {
    const local = this.#hashes.local(tick);
    if (local === undefined || local === remoteHash || tick < this.#hashes.floor) return;
    // Inside an away window the host decided that player's inputs: a hash the away player made
    // with its own inputs before it heard (or ours, if we were the one away) proves nothing.
    const { roster } = this.deps;
    if (roster.inAwayWindow(slot, tick) || roster.inAwayWindow(roster.localSlot, tick)) return;
    const link = this.deps.links.get(this.deps.roster.at(slot)?.peerId ?? '');
    if (link && tick < this.#hashes.lastSyncSent(link.peerId)) return;
    if (!this.#hashes.firstDesync(tick, slot)) return;
    this.deps.emitter.emit('desync', tick, local, remoteHash);
    if (link) this.reports.found(engine, cfg, tick, link.peerId, remoteHash);
  }

  /** Applies the recovery rule of the room's topology × authority to a tick's hashes. */
  #decide(engine: RollbackEngine, cfg: SessionConfig, tick: Tick): void {
    const { roster } = this.deps;
    if (tick < this.#hashes.floor || this.#hashes.isDecided(tick) || !roster.localPlays) return;
    const localHash = this.#hashes.local(tick);
    if (localHash === undefined) return;
    const decision = decideRecovery({
      topology: cfg.topology,
      authority: cfg.desyncAuthority,
      isHost: roster.isHost,
      hostSlot: roster.hostSlot,
      localSlot: roster.localSlot,
      localHash,
      remote: this.#hashes.remote(tick) ?? new Map<number, number>(),
      expected: roster.slotsActiveAt(tick),
    });
    if (decision.decided) this.#hashes.markDecided(tick);
    for (const action of decision.actions) {
      const peer = roster.at(action.slot)?.peerId;
      if (peer === undefined) continue;
      if (action.kind === 'push') {
        // A hash that predates our last sync to that peer needs no new one.
        if (tick >= this.#hashes.lastSyncSent(peer)) this.#sendSync(engine, peer);
        continue;
      }
      const forwardTo: string[] = [];
      for (const s of action.forwardSlots) {
        const p = roster.at(s)?.peerId;
        if (p !== undefined) forwardTo.push(p);
      }
      // The asked peer holds the agreed hash (the host's, or the majority's).
      const agreed = this.#hashes.remote(tick)?.get(action.slot);
      if (agreed !== undefined) this.request(peer, tick, forwardTo, agreed);
    }
  }

  /**
   * Sends our newest confirmed state to a peer (it will load it), and remembers its tick: that
   * peer's hashes of earlier ticks predate the sync and raise no desync.
   */
  #sendSync(engine: RollbackEngine, peerId: string): void {
    const snapshot = engine.getConfirmedState();
    const message: SyncMessage = {
      type: MessageType.Sync,
      tick: snapshot.tick,
      hash: snapshot.hash >>> 0,
      state: snapshot.state,
      players: this.deps.roster.wirePlayers(),
    };
    this.deps.links.sendTo(peerId, message);
    this.deps.links.get(peerId)?.noteSyncSent(this.deps.clock.now());
    this.#hashes.noteSyncSent(peerId, snapshot.tick);
  }

  /**
   * `session.requestSync()`: asks the host for its newest confirmed state now.
   * @throws RbnError `'INVALID_STATE'` for the host or when the game is not running.
   */
  requestFromHost(engine: RollbackEngine | null): void {
    const { roster } = this.deps;
    if (roster.isHost) {
      throw new RbnError('INVALID_STATE', 'requestSync: the host holds the authoritative state');
    }
    const hostPeerId = roster.hostPeerId;
    if (!engine || hostPeerId === null) {
      throw new RbnError('INVALID_STATE', 'requestSync: the game is not running');
    }
    this.request(hostPeerId, engine.confirmedTick, []);
  }

  /**
   * Asks a peer for its state (one request at a time), to pass on to `forwardTo` once loaded.
   * With `agreedHash` (desync recovery) only the state of `tick` with that hash may load; without
   * it (`requestSync`) the peer's newest confirmed state, checked against the hashes we hold.
   */
  request(peerId: string, tick: Tick, forwardTo: string[], agreedHash?: number): void {
    // A request waiting for the peer's answer interval gives way to a newer one.
    if (this.#hashes.syncRequest?.sent) return;
    const asked = Math.max(tick, 0);
    const hash = agreedHash === undefined ? null : agreedHash >>> 0;
    const now = this.deps.clock.now();
    // A request inside the peer's answer interval would go unanswered: it waits until then.
    const last = hash === null ? undefined : this.#loadedFrom.get(peerId);
    const at = last === undefined ? now : Math.max(now, last + SYNC_RESPONSE_MIN_INTERVAL_MS + 50);
    this.#hashes.syncRequest = { peerId, at, sent: false, tick: asked, hash, forwardTo };
    if (at <= now) this.#sendRequest(now);
  }

  #sendRequest(now: number): void {
    const request = this.#hashes.syncRequest;
    if (!request) return;
    request.sent = true;
    request.at = now;
    this.deps.links.sendTo(request.peerId, { type: MessageType.SyncRequest, tick: request.tick });
  }

  /**
   * A peer asks for our state (answered at most every 250 ms per peer): the state of the asked
   * tick as it was when we hashed it, if we still keep it (a recovery asks for a hashed tick),
   * else our newest confirmed state.
   */
  onSyncRequest(peerId: string, tick: Tick, engine: RollbackEngine | null, now: number): void {
    const link = this.deps.links.get(peerId);
    if (!this.deps.roster.byPeer(peerId) || !link || !engine) return;
    if (link.syncSentWithin(now, SYNC_RESPONSE_MIN_INTERVAL_MS)) return;
    const kept = this.#hashes.kept(tick);
    if (!kept) {
      this.#sendSync(engine, peerId);
      return;
    }
    const message: SyncMessage = {
      type: MessageType.Sync,
      tick,
      hash: kept.hash,
      state: kept.state,
      players: this.deps.roster.wirePlayers(),
    };
    this.deps.links.sendTo(peerId, message);
    link.noteSyncSent(now);
    this.#hashes.noteSyncSent(peerId, tick);
  }

  /**
   * Why a `Sync` may not replace our state, or `null` when it may. A recovery answer must be
   * the state of the tick we asked for, with the hash the room agreed on for it (the host's or
   * the majority's). Any other (`requestSync`, the star host's push) must match every hash the
   * other players sent for its tick. Either must lie in the window (not before the tick we asked
   * for, or our confirmed tick, by more than the reach; not past our tick by more than the
   * reach), load (the game's `deserialize` accepts it) and hash to the hash it came with. The
   * trial leaves our state as it was.
   */
  #refusal(
    engine: RollbackEngine,
    cfg: SessionConfig,
    message: SyncMessage,
    askedTick: Tick | null,
  ): string | null {
    const agreed = askedTick === null ? null : (this.#hashes.syncRequest?.hash ?? null);
    // A recovery: the asked tick's state, with the hash the room agreed on for it.
    if (agreed !== null && (message.tick !== askedTick || message.hash >>> 0 !== agreed)) {
      return `a state for tick ${message.tick} with hash ${message.hash >>> 0}, but we asked for tick ${askedTick} (agreed hash ${agreed})`;
    }
    const reach = tickReach(cfg);
    const low = Math.max(this.#hashes.floor, (askedTick ?? engine.confirmedTick) - reach, 0);
    const high = engine.currentTick + reach;
    if (message.tick < low || message.tick > high) {
      return `a state for tick ${message.tick}, outside the window ${low}..${high}`;
    }
    const claimed = message.hash >>> 0;
    const sender = this.deps.roster.byPeer(this.#hashes.syncRequest?.peerId ?? '')?.slot;
    // Without an agreed hash, the state must match every hash other players sent for its tick.
    const others = agreed === null ? this.#hashes.remote(message.tick) : undefined;
    if (others) {
      for (const [slot, hash] of others) {
        if (slot !== sender && hash !== claimed) {
          return `a state for tick ${message.tick} with hash ${claimed}, but slot ${slot} hashed that tick ${hash}`;
        }
      }
    }
    const tried = trialHash(this.deps.game, message.state);
    if (typeof tried !== 'number') return `a state the game cannot load (${tried.message})`;
    if (tried !== claimed) {
      return `a state that hashes to ${tried} here but claims ${claimed} (not loaded)`;
    }
    return null;
  }

  /** A peer's state arrived: load it when we asked for it (or it is the star host's push). */
  onSync(
    peerId: string,
    message: SyncMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    if (!engine) return;
    const { roster, report } = this.deps;
    const request = this.#hashes.syncRequest;
    const requested = request !== null && request.sent && request.peerId === peerId;
    const fromStarHost =
      !roster.isHost && peerId === roster.hostPeerId && cfg.topology === Topology.Star;
    if (!requested && !fromStarHost) {
      report.peer(peerId, message.type, 'an unrequested state arrived');
      return;
    }
    const refusal = this.#refusal(engine, cfg, message, requested ? request.tick : null);
    if (refusal !== null) {
      report.peer(peerId, message.type, refusal);
      return;
    }
    const forwardTo = requested ? request.forwardTo : [];
    this.#hashes.syncRequest = null;
    // A recovery state older than our rollback history is too old to catch up from: the next
    // desynced hash asks again, for a newer tick.
    if (requested && request.hash !== null && !canLoadPast(engine, message.tick)) return;
    this.deps.recording.end(engine);
    if (requested && request.hash !== null) engine.loadPastState(message.tick, message.state);
    else engine.loadState(message.tick, message.state);
    this.#hashes.loaded(message.tick);
    if (this.#loadedFrom.size >= 1024) this.#loadedFrom.clear(); // bounded whatever the peer ids
    this.#loadedFrom.set(peerId, this.deps.clock.now());
    for (const peer of forwardTo) this.#sendSync(engine, peer);
    this.deps.emitter.emit('stateSynced', message.tick, peerId);
  }
}

/** Whether the engine can load a state of `tick` and resimulate to its current tick at once. */
function canLoadPast(engine: RollbackEngine, tick: Tick): boolean {
  return tick <= engine.currentTick && tick >= engine.oldestRestorableTick;
}
