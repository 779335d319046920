import { RollbackEngine } from '@rbn/core';
import type { Game, InputPredictor } from '@rbn/core';
import {
  DEFAULT_LIMITS,
  JoinRejectReason,
  LeaveReason,
  MessageType,
  PROTOCOL_VERSION,
  RbnError,
  WireRole,
  tryDecodeMessage,
} from '@rbn/protocol';
import type {
  DropPlayerMessage,
  HashMessage,
  JoinAcceptMessage,
  JoinRejectMessage,
  JoinRequestMessage,
  LagReportMessage,
  Message,
  PlayerId,
  PlayerJoinedMessage,
  PlayerLeftMessage,
  StateSyncMessage,
  SyncMessage,
  Tick,
  TransportAdapter,
} from '@rbn/protocol';
import { ROOM_CONFIG_FIELDS, resolveSessionConfig, validateConfigField } from './config';
import { HASH_DELAY_TICKS, DesyncTracker, decideRecovery } from './desync';
import { engineView } from './engine-view';
import type { EngineView } from './engine-view';
import { CATCH_UP_THRESHOLD, FrameAdvantage, maxSilenceMs } from './frame-advantage';
import { applyInputs, flushInputs, pendingInputs, sendAck, tickReach } from './input-exchange';
import { defaultNow } from './internal/clock';
import type { Clock } from './internal/clock';
import { Emitter } from './internal/emitter';
import type { Link } from './internal/link';
import { MESH_RECOMMENDED_PLAYERS, addLatePlayer, decideAdmission, lateJoinTick } from './join';
import { chooseLeaveTick, departureTick } from './leave';
import { LinkTable } from './links';
import { LagDetector, checkSilence, resetLiveness } from './liveness';
import { ResumeCountdown } from './pause';
import { SlidingWindowRateLimiter } from './rate-limiter';
import { Recording } from './recording';
import { HOST_SLOT, Roster, fromWireRole, toWire, toWireRole } from './roster';
import type { Member, NewMember } from './roster';
import { planLinks } from './topology';
import { PlayerRole, SessionState, Topology } from './types';
import type {
  ErrorContext,
  ErrorSource,
  NetworkStats,
  PlayerInfo,
  SessionConfig,
  SessionEventName,
  SessionEvents,
  TickResult,
} from './types';

export type { Clock } from './internal/clock';

/** What {@link createSession} needs. */
export type CreateSessionOptions = {
  /** The deterministic game the session drives. */
  game: Game<Uint8Array>;
  /** How the session reaches its peers. */
  transport: TransportAdapter;
  /** The local player's id. @default transport.localPeerId */
  localPlayerId?: PlayerId;
  /** Settings; every field left out takes its default (see {@link DEFAULT_SESSION_CONFIG}). */
  config?: Partial<SessionConfig>;
  /** How remote inputs that have not arrived are guessed. @default repeat the last received input */
  inputPredictor?: InputPredictor<Uint8Array>;
  /** The time source for pings, rates, timeouts and countdowns. @default performance.now */
  clock?: Clock;
};

type PendingJoin = {
  roomId: string;
  hostPeerId: string;
  startedAt: number;
  resolve: () => void;
  reject: (error: Error) => void;
};

const SYNC_REQUEST_TIMEOUT_MS = 3000;
const SYNC_RESPONSE_MIN_INTERVAL_MS = 250;

function randomRoomId(): string {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  const bytes = new Uint8Array(8);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let id = '';
  for (const b of bytes) id += b.toString(16).padStart(2, '0');
  return id;
}

/**
 * A multiplayer session: room lifecycle, star or mesh topology, input exchange, desync
 * detection and recovery, lag and pause. Create one with {@link createSession}; drive it by
 * calling {@link Session.tick} once per frame (also in the lobby and while paused): the session
 * has no timers, everything advances from `tick()` and from arriving messages.
 *
 * This class is the orchestrator: it owns the state transitions and the engine, dispatches each
 * message to its concept's code and runs the frame; see `docs/architecture.md` for the files.
 */
export class Session {
  private readonly game: Game<Uint8Array>;
  private readonly transport: TransportAdapter;
  private readonly clock: Clock;
  private readonly predictor: InputPredictor<Uint8Array> | undefined;
  private readonly emitter = new Emitter();
  private cfg: SessionConfig;
  private readonly joinLimiter: SlidingWindowRateLimiter;

  private stateValue = SessionState.Disconnected;
  private roomIdValue: string | null = null;
  private host = false;
  private hostPeerId: string | null = null;
  private role = PlayerRole.Player;
  private readonly localId: PlayerId;
  private localSlot = -1;
  private destroyed = false;
  private started = false;
  private pendingJoin: PendingJoin | null = null;

  private readonly roster: Roster;
  private readonly links: LinkTable;
  private readonly advantage: FrameAdvantage;
  private readonly lag = new LagDetector();
  private readonly desync = new DesyncTracker();
  private readonly recording = new Recording();
  private readonly countdown = new ResumeCountdown();

  private engine: RollbackEngine | null = null;
  private view: EngineView | null = null;
  private readonly result: TickResult = {
    tick: -1,
    advanced: false,
    rolledBack: false,
    rollbackTicks: 0,
    stalled: false,
    confirmedTick: -1,
  };

  private readonly onTransportMessage = (peerId: string, bytes: Uint8Array): void => {
    this.receive(peerId, bytes);
  };
  private readonly onTransportConnect = (_peerId: string): void => {};
  private readonly onTransportDisconnect = (peerId: string): void => {
    this.safely(() => this.handlePeerGone(peerId, 'the transport closed the connection'));
  };
  private readonly onConfirmedHash = (tick: Tick, hash: number): void => {
    this.desync.confirmed(tick, hash);
  };

  /**
   * Use {@link createSession}.
   * @param options - See {@link CreateSessionOptions}.
   */
  constructor(options: CreateSessionOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new RbnError('INVALID_ARGUMENT', 'createSession needs an options object');
    }
    const { game, transport } = options;
    if (!game || typeof game.step !== 'function' || typeof game.serialize !== 'function') {
      throw new RbnError('INVALID_ARGUMENT', 'createSession: options.game must implement Game');
    }
    if (!transport || typeof transport.send !== 'function') {
      throw new RbnError(
        'INVALID_ARGUMENT',
        'createSession: options.transport must implement TransportAdapter',
      );
    }
    this.cfg = resolveSessionConfig(options.config);
    this.game = game;
    this.transport = transport;
    this.clock = options.clock ?? { now: defaultNow() };
    this.predictor = options.inputPredictor;
    this.localId = options.localPlayerId ?? transport.localPeerId;
    if (typeof this.localId !== 'string' || this.localId.length === 0) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        'createSession: localPlayerId must be a non-empty string',
      );
    }
    this.joinLimiter = new SlidingWindowRateLimiter({
      maxRequests: this.cfg.joinRateLimitRequests,
      windowMs: this.cfg.joinRateLimitWindowMs,
      now: () => this.clock.now(),
    });
    this.roster = new Roster(this.localId, transport.localPeerId);
    this.links = new LinkTable(transport, this.clock);
    this.advantage = new FrameAdvantage(this.cfg.tickRate);
    transport.onMessage = this.onTransportMessage;
    transport.onConnect = this.onTransportConnect;
    transport.onDisconnect = this.onTransportDisconnect;
  }

  // -------------------------------------------------------------------------------------------
  // Public state

  /** The session's lifecycle state. */
  get state(): SessionState {
    return this.stateValue;
  }

  /** The members of the room (players and spectators) by player id; departed ones are removed. */
  get players(): ReadonlyMap<PlayerId, PlayerInfo> {
    return this.roster.players;
  }

  /** The local player's id. */
  get localPlayerId(): PlayerId {
    return this.localId;
  }

  /** The local member's role. */
  get localRole(): PlayerRole {
    return this.role;
  }

  /** Whether this session hosts its room. */
  get isHost(): boolean {
    return this.host;
  }

  /** The room's id, or `null` when not in a room. */
  get roomId(): string | null {
    return this.roomIdValue;
  }

  /** The next tick to simulate (-1 before the game started). */
  get currentTick(): Tick {
    return this.engine ? this.engine.currentTick : -1;
  }

  /** The newest tick whose inputs are known for every player (-1 when none). */
  get confirmedTick(): Tick {
    return this.engine ? this.engine.confirmedTick : -1;
  }

  /** The resolved config (room fields as adopted from the host after joining). */
  get config(): Readonly<SessionConfig> {
    return this.cfg;
  }

  /**
   * The local input delay in ticks; may be changed while playing.
   * @throws RbnError `'INVALID_CONFIG'` for a value outside 0–255 (or above what the engine allows).
   */
  get inputDelayTicks(): number {
    return this.cfg.inputDelayTicks;
  }

  set inputDelayTicks(value: number) {
    validateConfigField('inputDelayTicks', value);
    if (this.engine) this.engine.inputDelayTicks = value;
    this.cfg = { ...this.cfg, inputDelayTicks: value };
  }

  /**
   * How many ticks the local game runs ahead of the remote players on average (estimated from
   * their reported ticks and the RTT), or 0 when unknown. Positive: ahead.
   */
  get framesAheadEstimate(): number {
    return this.framesAhead(this.clock.now()) ?? 0;
  }

  /**
   * The tick-duration multiplier for the game loop (≥ 1): above 1 while the local game runs
   * more than one tick ahead of a remote player (a windowed, RTT-corrected {@link TimeSync}
   * estimate fed by every input message and pong), so the peer that is ahead slows slightly and
   * rollbacks stay symmetric. Give it to {@link createFrameScheduler}'s `frameDelayMultiplier`.
   * (A peer that is behind catches up by itself: `tick()` runs an extra tick per frame while it
   * is 4 or more ticks behind.)
   */
  get frameDelayMultiplier(): number {
    return this.advantage.frameDelayMultiplier;
  }

  /** The frame interval the game loop should use, in milliseconds: `1000 / tickRate × frameDelayMultiplier`. */
  get recommendedFrameDelayMs(): number {
    return (1000 / this.cfg.tickRate) * this.advantage.frameDelayMultiplier;
  }

  /** Extra ticks run so far to catch up with the other peers (see {@link Session.recommendedFrameDelayMs}). */
  get catchUpTicks(): number {
    return this.advantage.catchUpTicks;
  }

  /**
   * A read-only view of the rollback engine while playing (statistics, snapshots and their
   * hashes), else `null`. The engine itself is never handed out, so nothing reached through
   * this view can change the game or switch off desync detection; for every confirmed hash,
   * listen to the `confirmedHash` event.
   */
  get rollbackEngine(): EngineView | null {
    return this.view;
  }

  // -------------------------------------------------------------------------------------------
  // Events

  /**
   * Adds an event listener. A listener that throws does not break the session: the exception
   * is reported as an `error` event with `source: 'listener'`.
   * @param event - The event name.
   * @param listener - The listener.
   */
  on<E extends SessionEventName>(event: E, listener: SessionEvents[E]): void {
    this.emitter.on(event, listener);
  }

  /**
   * Removes an event listener.
   * @param event - The event name.
   * @param listener - The listener given to {@link Session.on}.
   */
  off<E extends SessionEventName>(event: E, listener: SessionEvents[E]): void {
    this.emitter.off(event, listener);
  }

  /**
   * Removes every listener, or every listener of one event.
   * @param event - Only this event's listeners, when given.
   */
  removeAllListeners(event?: SessionEventName): void {
    this.emitter.removeAll(event);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Sets whether the local member plays or watches. Only before joining or creating a room.
   * @param role - Player or spectator.
   * @throws RbnError `'INVALID_STATE'` when in a room.
   */
  setLocalRole(role: PlayerRole): void {
    this.assertAlive();
    if (role !== PlayerRole.Player && role !== PlayerRole.Spectator) {
      throw new RbnError('INVALID_ARGUMENT', `setLocalRole: unknown role ${String(role)}`);
    }
    if (this.stateValue !== SessionState.Disconnected) {
      throw new RbnError('INVALID_STATE', 'setLocalRole: set the role before joining a room');
    }
    this.role = role;
  }

  /**
   * Creates a room and makes this session its host (slot 0).
   * @returns The new room's id, to share with joiners (with this transport's peer id).
   * @throws RbnError `'INVALID_STATE'` when already in a room, or for a spectator.
   */
  createRoom(): Promise<string> {
    this.assertAlive();
    if (this.stateValue !== SessionState.Disconnected) {
      return Promise.reject(new RbnError('INVALID_STATE', 'createRoom: already in a room'));
    }
    if (this.role === PlayerRole.Spectator) {
      return Promise.reject(
        new RbnError('INVALID_STATE', 'createRoom: a spectator cannot host a room'),
      );
    }
    this.setState(SessionState.Connecting);
    this.roomIdValue = randomRoomId();
    this.host = true;
    this.hostPeerId = this.transport.localPeerId;
    this.localSlot = HOST_SLOT;
    this.addMember({
      slot: HOST_SLOT,
      playerId: this.localId,
      peerId: this.transport.localPeerId,
      role: PlayerRole.Player,
      joinTick: -1,
      leaveTick: -1,
    });
    this.setState(SessionState.Lobby);
    return Promise.resolve(this.roomIdValue);
  }

  /**
   * Connects to a room's host and joins the room. Resolves once the host accepted (the session
   * is then in `Lobby`, or `Playing` once the game's state arrived for a game in progress).
   * @param roomId - The room's id, from the host's {@link Session.createRoom}.
   * @param hostPeerId - The host's transport peer id.
   * @returns A promise that rejects with an RbnError `'JOIN_REJECTED'` (the host's reason in
   * the message), `'JOIN_TIMEOUT'` or a transport error.
   * @throws RbnError `'INVALID_STATE'` when already in a room.
   */
  joinRoom(roomId: string, hostPeerId: string): Promise<void> {
    this.assertAlive();
    if (this.stateValue !== SessionState.Disconnected) {
      return Promise.reject(new RbnError('INVALID_STATE', 'joinRoom: already in a room'));
    }
    if (typeof roomId !== 'string' || typeof hostPeerId !== 'string' || hostPeerId.length === 0) {
      return Promise.reject(
        new RbnError('INVALID_ARGUMENT', 'joinRoom: roomId and hostPeerId must be strings'),
      );
    }
    if (hostPeerId === this.transport.localPeerId) {
      return Promise.reject(new RbnError('INVALID_ARGUMENT', 'joinRoom: cannot join yourself'));
    }
    this.setState(SessionState.Connecting);
    this.hostPeerId = hostPeerId;
    return new Promise<void>((resolve, reject) => {
      this.pendingJoin = {
        roomId,
        hostPeerId,
        startedAt: this.clock.now(),
        resolve,
        reject,
      };
      this.transport.connect(hostPeerId).then(
        () => {
          if (this.pendingJoin?.hostPeerId !== hostPeerId) return;
          this.safely(() => {
            this.links.ensure(hostPeerId);
            this.links.sendTo(hostPeerId, {
              type: MessageType.JoinRequest,
              protocolVersion: PROTOCOL_VERSION,
              roomId,
              playerId: this.localId,
              role: toWireRole(this.role),
            });
          });
        },
        (error: unknown) => {
          const err = error instanceof Error ? error : new Error(String(error));
          this.failJoin(
            new RbnError(
              'CONNECT_FAILED',
              `joinRoom: cannot connect to host '${hostPeerId}': ${err.message}`,
              {
                cause: err,
              },
            ),
          );
        },
      );
    });
  }

  /**
   * Leaves the room. A player leaving a game in progress leaves at a tick the host chooses and
   * announces; a host leaving ends the room for everyone (no host migration).
   * @throws RbnError `'INVALID_STATE'` when not in a room.
   */
  leaveRoom(): void {
    this.assertAlive();
    if (this.stateValue === SessionState.Disconnected) {
      throw new RbnError('INVALID_STATE', 'leaveRoom: not in a room');
    }
    if (this.pendingJoin) {
      this.failJoin(new RbnError('JOIN_CANCELLED', 'joinRoom: cancelled by leaveRoom'));
      return;
    }
    const tick = this.engine ? this.engine.currentTick : 0;
    const message: PlayerLeftMessage = {
      type: MessageType.PlayerLeft,
      slot: this.localSlot,
      tick,
      reason: LeaveReason.Left,
    };
    if (this.host) {
      this.links.broadcast(message);
    } else if (this.hostPeerId !== null) {
      this.links.sendTo(this.hostPeerId, message);
    }
    // The connections stay open so the announcement arrives; the host (or, when the host
    // leaves, every member) closes them.
    this.resetRoom();
  }

  /**
   * Starts the game (host only, from the lobby): every member starts from the host's state at
   * tick 0, sent with a `StateSync` message.
   * @throws RbnError `'NOT_HOST'` for a non-host, `'INVALID_STATE'` outside the lobby.
   */
  start(): void {
    this.assertAlive();
    if (!this.host) throw new RbnError('NOT_HOST', 'start: only the host can start the game');
    if (this.stateValue !== SessionState.Lobby) {
      throw new RbnError(
        'INVALID_STATE',
        `start: the game can only start from the lobby (state is ${SessionState[this.stateValue]})`,
      );
    }
    const startTick = 0;
    for (const member of this.roster.all()) {
      if (member.role === PlayerRole.Player) this.roster.setTicks(member, { joinTick: startTick });
    }
    this.createEngine(startTick);
    this.links.broadcast({
      type: MessageType.StateSync,
      tick: startTick,
      hash: this.game.hash() >>> 0,
      state: this.game.serialize(),
      players: this.roster.wirePlayers(),
    });
    this.enterPlaying();
  }

  /**
   * Pauses the game for everyone (host only, while playing).
   * @throws RbnError `'NOT_HOST'` for a non-host, `'INVALID_STATE'` unless playing.
   */
  pause(): void {
    this.assertAlive();
    if (!this.host) throw new RbnError('NOT_HOST', 'pause: only the host can pause the game');
    if (this.stateValue !== SessionState.Playing) {
      throw new RbnError('INVALID_STATE', 'pause: the game is not playing');
    }
    const tick = this.engine ? this.engine.currentTick : 0;
    this.links.broadcast({ type: MessageType.Pause, tick });
    this.setState(SessionState.Paused);
  }

  /**
   * Resumes a paused game (host only) after a countdown of `resumeCountdownSeconds`, announced
   * to everyone with `resumeCountdown` events (driven by `tick()`). With a countdown of 0 the
   * game resumes at once.
   * @throws RbnError `'NOT_HOST'` for a non-host, `'INVALID_STATE'` unless paused.
   */
  resume(): void {
    this.assertAlive();
    if (!this.host) throw new RbnError('NOT_HOST', 'resume: only the host can resume the game');
    if (this.stateValue !== SessionState.Paused) {
      throw new RbnError('INVALID_STATE', 'resume: the game is not paused');
    }
    if (this.countdown.running) return;
    const seconds = this.cfg.resumeCountdownSeconds;
    if (seconds <= 0) {
      this.finishResume();
      return;
    }
    this.countdown.start(this.clock.now(), seconds);
    this.links.broadcast({ type: MessageType.ResumeCountdown, seconds });
    this.emitter.emit('resumeCountdown', seconds);
  }

  /**
   * Drops a player from the room (host only). While playing, the player's inputs stop counting
   * from a tick the host chooses and announces to everyone.
   * @param playerId - The player to drop.
   * @param metadata - Optional application bytes sent with the drop (at most 4096).
   * @throws RbnError `'NOT_HOST'` for a non-host, `'UNKNOWN_PLAYER'`, `'INVALID_ARGUMENT'` for the host itself.
   */
  dropPlayer(playerId: PlayerId, metadata?: Uint8Array): void {
    this.assertAlive();
    if (!this.host) throw new RbnError('NOT_HOST', 'dropPlayer: only the host can drop players');
    const member = this.roster.findPresent(playerId);
    if (!member)
      throw new RbnError('UNKNOWN_PLAYER', `dropPlayer: no player '${playerId}' in the room`);
    if (member.isLocal)
      throw new RbnError('INVALID_ARGUMENT', 'dropPlayer: the host cannot drop itself');
    if (metadata !== undefined && metadata.length > DEFAULT_LIMITS.maxMetadataBytes) {
      throw new RbnError(
        'INVALID_ARGUMENT',
        `dropPlayer: metadata is ${metadata.length} bytes, more than ${DEFAULT_LIMITS.maxMetadataBytes}`,
      );
    }
    const tick = chooseLeaveTick(this.engine, member);
    this.links.broadcast({
      type: MessageType.DropPlayer,
      slot: member.slot,
      tick: Math.max(0, tick),
      metadata: metadata ?? null,
    });
    this.removeMemberAt(member, tick);
    this.emitter.emit('playerDropped', member.playerId, ...(metadata ? [metadata] : []));
  }

  /**
   * Asks for the authoritative state now (a non-host only, while playing): the host answers
   * with its newest confirmed state, which this session loads.
   * @throws RbnError `'INVALID_STATE'` for the host or when not playing.
   */
  requestSync(): void {
    this.assertAlive();
    if (this.host)
      throw new RbnError('INVALID_STATE', 'requestSync: the host holds the authoritative state');
    if (!this.engine || this.hostPeerId === null) {
      throw new RbnError('INVALID_STATE', 'requestSync: the game is not running');
    }
    this.requestSyncFrom(this.hostPeerId, this.engine.confirmedTick, []);
  }

  /**
   * Starts recording a replay: the newest confirmed state, then every confirmed input of every
   * player and every join and leave, until {@link Session.stopRecording}. May be called before
   * the game starts (the recording then starts at the start state). Loading a state from a peer
   * (desync recovery) ends the recording at that point.
   * @throws RbnError `'INVALID_STATE'` when already recording.
   */
  startRecording(): void {
    this.assertAlive();
    this.recording.start();
  }

  /**
   * Ends the recording and returns the replay blob, for {@link playReplay}.
   * @returns The replay: from the state where the recording started to the newest recorded
   * confirmed tick, with the hash of that final state.
   * @throws RbnError `'INVALID_STATE'` when not recording, or nothing was confirmed yet.
   */
  stopRecording(): Uint8Array {
    this.assertAlive();
    return this.recording.stop(this.engine, this.roster);
  }

  /**
   * Measurements of the link to one peer.
   * @param peerId - The remote peer's id.
   * @returns The link's statistics, or `null` when the session has no link to that peer.
   */
  getNetworkStats(peerId: string): NetworkStats | null {
    const link = this.links.get(peerId);
    if (!link) return null;
    return link.stats(
      this.currentTick,
      this.clock.now(),
      this.cfg.tickRate / 1000,
      pendingInputs(link, this.roster, this.engine),
      maxSilenceMs(this.cfg),
    );
  }

  /**
   * Leaves the room if in one, detaches from the transport and removes every listener. The
   * session cannot be used afterwards.
   */
  destroy(): void {
    if (this.destroyed) return;
    if (this.stateValue !== SessionState.Disconnected) {
      try {
        this.leaveRoom();
      } catch {
        // Leaving is best effort while destroying.
      }
    }
    this.destroyed = true;
    if (this.transport.onMessage === this.onTransportMessage) this.transport.onMessage = null;
    if (this.transport.onConnect === this.onTransportConnect) this.transport.onConnect = null;
    if (this.transport.onDisconnect === this.onTransportDisconnect)
      this.transport.onDisconnect = null;
    this.emitter.removeAll();
  }

  // -------------------------------------------------------------------------------------------
  // The frame

  /**
   * Runs one frame: advances the game one tick with the local input (rolling back first when
   * late inputs disagree with predictions), sends at most one input message per peer, and does
   * the periodic work (pings, lag, desync checks, countdowns, timeouts). Call it once per frame
   * at `tickRate`, in every state (in the lobby and while paused it only does the network work).
   * Messages from peers are never able to make it throw.
   * @param localInput - The local player's input for this frame (ignored for spectators).
   * @returns The frame's result; the session reuses the object, read it before the next call.
   * @throws RbnError `'DESTROYED'` after `destroy()`; a `GameError` when the game's own code throws.
   */
  tick(localInput?: Uint8Array): TickResult {
    this.assertAlive();
    const now = this.clock.now();
    const result = this.result;
    result.advanced = false;
    result.rolledBack = false;
    result.rollbackTicks = 0;
    result.stalled = false;

    if (this.pendingJoin && now - this.pendingJoin.startedAt > this.cfg.joinTimeout) {
      this.failJoin(
        new RbnError(
          'JOIN_TIMEOUT',
          `joinRoom: no answer from the host within ${this.cfg.joinTimeout} ms`,
        ),
      );
    }

    const engine = this.engine;
    if (engine && this.stateValue === SessionState.Playing) {
      this.advance(engine, localInput, now);
    } else {
      result.tick = engine ? engine.currentTick : -1;
    }
    result.confirmedTick = engine ? engine.confirmedTick : -1;
    if (engine && this.recording.active) this.recording.capture(engine, this.roster);
    if (engine && this.desync.hasPending) this.releaseHashes(engine);

    if (this.stateValue !== SessionState.Disconnected) this.networkFrame(now);
    return result;
  }

  /** Advances the engine one tick, and one more while this peer is well behind the others. */
  private advance(engine: RollbackEngine, localInput: Uint8Array | undefined, now: number): void {
    const result = this.result;
    const r = engine.tick(localInput);
    if (r.status !== 'advanced') {
      result.tick = r.tick;
      result.stalled = true;
      return;
    }
    result.tick = r.tick;
    result.advanced = true;
    result.rolledBack = r.rolledBack;
    result.rollbackTicks = r.rollbackTicks;
    // Catch-up: a peer well behind the others (a late joiner, a spectator, a tab that was
    // hidden) runs one extra tick per frame until it caught up.
    const ahead = this.framesAhead(now);
    if (ahead !== null && ahead <= -CATCH_UP_THRESHOLD) {
      const extra = engine.tick(localInput);
      if (extra.status === 'advanced') {
        result.tick = extra.tick;
        result.rolledBack = result.rolledBack || extra.rolledBack;
        result.rollbackTicks += extra.rollbackTicks;
        this.advantage.caughtUp();
      }
    }
  }

  private networkFrame(now: number): void {
    const engine = this.engine;
    for (const link of this.links.list) {
      if (engine) flushInputs(link, this.links, this.roster, engine, this.cfg, now);
      else if (now - link.lastSendAt >= this.cfg.keepaliveInterval) {
        sendAck(link, this.links, this.roster, null);
      }
      const timestamp = link.startPing(now, this.cfg.pingInterval);
      if (timestamp >= 0) {
        this.links.sendTo(link.peerId, {
          type: MessageType.Ping,
          timestamp,
          tick: engine ? engine.currentTick : 0,
        });
      }
      link.rollWindow(now);
    }
    if (this.stateValue === SessionState.Playing || this.stateValue === SessionState.Paused) {
      this.checkLiveness(now);
      if (engine) {
        this.checkLag(engine, now);
        const ahead = this.advantage.reportDue(engine, this.links, this.roster, this.cfg, now);
        if (ahead !== null) this.emitter.emit('timeSync', ahead);
      }
    }
    const step = this.countdown.advance(now);
    if (step.kind === 'resume') this.finishResume();
    else if (step.kind === 'announce') {
      this.links.broadcast({ type: MessageType.ResumeCountdown, seconds: step.seconds });
      this.emitter.emit('resumeCountdown', step.seconds);
    }
    const request = this.desync.syncRequest;
    if (request && now - request.at > SYNC_REQUEST_TIMEOUT_MS) this.desync.syncRequest = null;
  }

  private checkLiveness(now: number): void {
    const verdict = checkSilence(this.links, this.roster, this.cfg, now);
    if (verdict.kind === 'gone') {
      this.handlePeerGone(verdict.peerId, `no traffic for ${Math.round(verdict.silentMs)} ms`);
    } else if (verdict.kind === 'interrupted') {
      verdict.members.forEach((member, i) => {
        const left = Math.max(0, this.cfg.disconnectTimeout - verdict.silent[i]!);
        this.emitter.emit('networkInterrupted', member.playerId, left);
      });
    }
  }

  private checkLag(engine: RollbackEngine, now: number): void {
    const findings = this.lag.check(engine, this.roster, this.cfg, now);
    if (!findings) return;
    for (const { member, ticksBehind } of findings) {
      this.emitter.emit('lagReport', member.playerId, ticksBehind);
      if (!this.host && this.hostPeerId !== null) {
        this.links.sendTo(this.hostPeerId, {
          type: MessageType.LagReport,
          slot: member.slot,
          ticksBehind: Math.min(ticksBehind, 0x7fffffff),
        });
      }
    }
  }

  private framesAhead(now: number): number | null {
    return this.advantage.framesAhead(this.engine, this.links, this.roster, this.cfg, now);
  }

  private finishResume(): void {
    const tick = this.engine ? this.engine.currentTick : 0;
    this.links.broadcast({ type: MessageType.Resume, tick });
    resetLiveness(this.links, this.clock.now());
    this.setState(SessionState.Playing);
  }

  // -------------------------------------------------------------------------------------------
  // Receiving: one line per message type

  private receive(peerId: string, bytes: Uint8Array): void {
    if (this.destroyed) return;
    const now = this.clock.now();
    const link = this.links.get(peerId);
    if (link && link.countReceived(bytes.byteLength, now)) {
      const member = this.roster.byPeer(peerId);
      if (member) this.emitter.emit('networkResumed', member.playerId);
    }
    const decoded = tryDecodeMessage(bytes);
    if (!decoded.ok) {
      this.reportError('protocol', decoded.error, peerId);
      return;
    }
    this.safely(
      () => this.dispatch(peerId, decoded.message, link, now),
      peerId,
      decoded.message.type,
    );
  }

  private dispatch(peerId: string, message: Message, link: Link | undefined, now: number): void {
    switch (message.type) {
      case MessageType.Input:
        return this.handleInput(link, message.senderTick, message.acks, message.runs, now);
      case MessageType.InputAck:
        return this.handleInput(link, message.senderTick, message.acks, null, now);
      case MessageType.Ping:
        return this.handlePing(peerId, message.timestamp);
      case MessageType.Pong:
        return this.handlePong(peerId, link, message.timestamp, message.tick, now);
      case MessageType.Hash:
        return this.handleHash(peerId, message);
      case MessageType.Sync:
        return this.handleSync(peerId, message);
      case MessageType.SyncRequest:
        return this.handleSyncRequest(peerId, now);
      case MessageType.Pause:
        return this.handlePause(peerId);
      case MessageType.Resume:
        return this.handleResume(peerId);
      case MessageType.ResumeCountdown:
        return this.handleResumeCountdown(peerId, message.seconds);
      case MessageType.LagReport:
        return this.handleLagReport(peerId, message);
      case MessageType.DisconnectReport:
        return this.handleDisconnectReport(peerId, message.slot);
      case MessageType.DropPlayer:
        return this.handleDropPlayer(peerId, message);
      case MessageType.JoinRequest:
        return this.handleJoinRequest(peerId, message);
      case MessageType.JoinAccept:
        return this.handleJoinAccept(peerId, message);
      case MessageType.JoinReject:
        return this.handleJoinReject(peerId, message);
      case MessageType.StateSync:
        return this.handleStateSync(peerId, message);
      case MessageType.PlayerJoined:
        return this.handlePlayerJoined(peerId, message);
      case MessageType.PlayerLeft:
        return this.handlePlayerLeft(peerId, message);
      default: {
        const unknown: never = message;
        this.peerError(peerId, undefined, `unexpected message ${String(unknown)}`);
      }
    }
  }

  private handleInput(
    link: Link | undefined,
    senderTick: Tick,
    acks: Parameters<typeof applyInputs>[4],
    runs: Parameters<typeof applyInputs>[5],
    now: number,
  ): void {
    const engine = this.engine;
    if (!link || !engine) return;
    link.noteRemoteTick(senderTick, now);
    // An input message leaves right after the sender's tick (its tick count is exact), while
    // ours is read at any point of a tick (half a tick short on average): correct that bias,
    // or the peer that is ahead would settle half a tick ahead.
    this.advantage.addSample(link, this.roster, senderTick - 0.5, engine);
    const { refused, outOfReach } = applyInputs(link, this.roster, engine, this.cfg, acks, runs);
    if (refused >= 0) {
      const text = `inputs for slot ${refused}, which this peer may not send`;
      this.peerError(link.peerId, MessageType.Input, text);
    }
    if (outOfReach >= 0) {
      const text = `inputs more than ${outOfReach} ticks away from tick ${engine.currentTick}`;
      this.peerError(link.peerId, MessageType.Input, text);
    }
  }

  private handlePing(peerId: string, timestamp: number): void {
    const tick = this.engine ? this.engine.currentTick : 0;
    this.links.sendTo(peerId, { type: MessageType.Pong, timestamp, tick });
  }

  private handlePong(
    peerId: string,
    link: Link | undefined,
    timestamp: number,
    tick: Tick,
    now: number,
  ): void {
    if (!link) return;
    const answered = link.takePing(timestamp);
    if (answered === 'duplicate') return; // the network duplicated a pong
    if (answered === 'unknown') {
      this.peerError(peerId, MessageType.Pong, 'a pong that answers no ping of ours');
      return;
    }
    const sample = ((Math.floor(now) >>> 0) - timestamp) >>> 0;
    if (sample < 60_000) link.addRttSample(sample);
    if (this.engine) {
      link.noteRemoteTick(tick, now);
      this.advantage.addSample(link, this.roster, tick, this.engine);
    }
  }

  private handlePause(peerId: string): void {
    if (!this.fromHost(peerId, MessageType.Pause)) return;
    if (this.stateValue === SessionState.Playing) this.setState(SessionState.Paused);
  }

  private handleResume(peerId: string): void {
    if (!this.fromHost(peerId, MessageType.Resume)) return;
    if (this.stateValue !== SessionState.Paused) return;
    resetLiveness(this.links, this.clock.now());
    this.setState(SessionState.Playing);
  }

  private handleResumeCountdown(peerId: string, seconds: number): void {
    if (!this.fromHost(peerId, MessageType.ResumeCountdown)) return;
    this.emitter.emit('resumeCountdown', seconds);
  }

  private fromHost(peerId: string, type: MessageType): boolean {
    if (!this.host && peerId === this.hostPeerId) return true;
    this.peerError(peerId, type, `${MessageType[type]} may only come from the host`);
    return false;
  }

  private handleLagReport(peerId: string, message: LagReportMessage): void {
    if (!this.host) {
      this.peerError(peerId, message.type, 'only the host receives lag reports');
      return;
    }
    const member = this.roster.at(message.slot);
    if (!member || !this.roster.byPeer(peerId)) return;
    this.emitter.emit('lagReport', member.playerId, message.ticksBehind);
  }

  // -------------------------------------------------------------------------------------------
  // Joining (host side: admission; joiner side: accept, reject, start state)

  private handleJoinRequest(peerId: string, message: JoinRequestMessage): void {
    const role = fromWireRole(message.role);
    const counts = this.roster.counts();
    const withinRateLimit = this.host ? this.joinLimiter.tryAcquire(peerId) : true;
    const admission = decideAdmission({
      request: message,
      role,
      isHost: this.host,
      withinRateLimit,
      retryAfterMs: withinRateLimit ? 0 : this.joinLimiter.retryAfterMs(peerId),
      roomId: this.roomIdValue,
      state: this.stateValue,
      duplicate:
        this.roster.byPeer(peerId) !== undefined ||
        this.roster.findPresent(message.playerId) !== undefined,
      players: counts.players,
      spectators: counts.spectators,
      maxPlayers: this.cfg.maxPlayers,
      maxSpectators: this.cfg.maxSpectators,
      freeSlot: this.roster.freeSlot(),
    });
    if (!admission.admit) {
      this.rejectJoin(peerId, admission.reason, admission.text);
      if (admission.slotsExhausted) {
        const error = new RbnError('SLOTS_EXHAUSTED', admission.text);
        this.reportError('session', error, peerId, message.type);
      }
      return;
    }
    const engine = this.engine;
    const joinTick = engine ? lateJoinTick(engine) : -1;
    if (engine && role === PlayerRole.Player) {
      const refused = addLatePlayer(engine, message.playerId, joinTick);
      if (refused !== null)
        return this.rejectJoin(peerId, JoinRejectReason.DuplicatePlayer, refused);
      this.recording.recordJoin(message.playerId, joinTick);
    }
    const member = this.addMember({
      slot: admission.slot,
      playerId: message.playerId,
      peerId,
      role,
      joinTick,
      leaveTick: -1,
    });
    this.welcome(member);
    if (role === PlayerRole.Player) this.warnLargeMesh(counts.players + 1);
    // Before the state is taken, so the game can prepare for the player.
    this.emitter.emit('playerJoined', member.info);
    if (engine) this.sendStartState(member.peerId, engine);
  }

  private rejectJoin(peerId: string, reason: JoinRejectReason, text: string): void {
    const answer: JoinRejectMessage = { type: MessageType.JoinReject, reason, message: text };
    this.links.sendTo(peerId, answer);
  }

  /** Host: tells an admitted member the room, and everyone else the new member. */
  private welcome(member: Member): void {
    const config: Record<string, number> = {};
    for (const field of ROOM_CONFIG_FIELDS) config[field] = this.cfg[field];
    const accept: JoinAcceptMessage = {
      type: MessageType.JoinAccept,
      roomId: this.roomIdValue!,
      slot: member.slot,
      players: this.roster.wirePlayers(),
      config,
    };
    this.links.sendTo(member.peerId, accept);
    this.links.broadcast({ type: MessageType.PlayerJoined, player: toWire(member) }, member.peerId);
  }

  private warnLargeMesh(players: number): void {
    if (this.cfg.topology !== Topology.Mesh || players <= MESH_RECOMMENDED_PLAYERS) return;
    const links = (players * (players - 1)) / 2;
    const text = `mesh with ${players} players: every player links to every other (${links} links); more than ${MESH_RECOMMENDED_PLAYERS} is not recommended, use Topology.Star`;
    this.reportError('session', new RbnError('MESH_TOO_LARGE', text));
  }

  /** Host: sends a late joiner the newest confirmed state (and the pause, if paused). */
  private sendStartState(peerId: string, engine: RollbackEngine): void {
    const snapshot = engine.getConfirmedState();
    const link = this.links.get(peerId);
    if (link) {
      for (const s of link.sendSlots) link.noteAck(s, snapshot.tick - 1);
    }
    const sync: StateSyncMessage = {
      type: MessageType.StateSync,
      tick: snapshot.tick,
      hash: snapshot.hash >>> 0,
      state: snapshot.state,
      players: this.roster.wirePlayers(snapshot.tick),
    };
    this.links.sendTo(peerId, sync);
    // A paused game stays paused for the joiner too.
    if (this.stateValue === SessionState.Paused) {
      this.links.sendTo(peerId, { type: MessageType.Pause, tick: engine.currentTick });
    }
  }

  private handleJoinAccept(peerId: string, message: JoinAcceptMessage): void {
    const pending = this.pendingJoin;
    if (!pending || peerId !== pending.hostPeerId) {
      this.peerError(peerId, message.type, 'unexpected join answer');
      return;
    }
    const config: Record<string, number> = {};
    for (const field of ROOM_CONFIG_FIELDS) {
      const value = message.config[field];
      if (value !== undefined) config[field] = value;
    }
    try {
      this.cfg = resolveSessionConfig({ ...this.cfg, ...config });
    } catch (error) {
      const text = `joinRoom: the host's room settings are invalid: ${String(error)}`;
      this.failJoin(new RbnError('JOIN_REJECTED', text));
      return;
    }
    this.roomIdValue = message.roomId;
    this.localSlot = message.slot;
    this.advantage.reset(this.cfg.tickRate);
    this.pendingJoin = null;
    for (const wire of message.players) {
      this.roster.add({
        slot: wire.slot,
        playerId: wire.playerId,
        peerId: wire.peerId,
        role: fromWireRole(wire.role),
        joinTick: -1, // in the lobby; the start state sets it
        leaveTick: -1,
      });
    }
    if (!this.roster.at(message.slot)) {
      this.roster.add({
        slot: message.slot,
        playerId: this.localId,
        peerId: this.transport.localPeerId,
        role: this.role,
        joinTick: -1,
        leaveTick: -1,
      });
    }
    this.noteHost();
    this.relink();
    this.setState(SessionState.Lobby);
    for (const member of this.roster.all()) this.emitter.emit('playerJoined', member.info);
    if (this.cfg.topology === Topology.Mesh && this.role === PlayerRole.Player) {
      for (const member of this.roster.all()) {
        if (member.isLocal || member.isHost || member.role !== PlayerRole.Player) continue;
        this.connectTo(member.peerId);
      }
    }
    pending.resolve();
  }

  private handleJoinReject(peerId: string, message: JoinRejectMessage): void {
    const pending = this.pendingJoin;
    if (!pending || peerId !== pending.hostPeerId) {
      this.peerError(peerId, message.type, 'unexpected join answer');
      return;
    }
    const error = new RbnError(
      'JOIN_REJECTED',
      `joinRoom: the host refused (${JoinRejectReason[message.reason]}): ${message.message}`,
    );
    (error as RbnError & { reason?: JoinRejectReason }).reason = message.reason;
    this.failJoin(error);
  }

  private handleStateSync(peerId: string, message: StateSyncMessage): void {
    if (!this.fromHost(peerId, message.type)) return;
    if (this.stateValue !== SessionState.Lobby || this.engine) {
      this.peerError(peerId, message.type, 'a start state arrived while not in the lobby');
      return;
    }
    for (const wire of message.players) {
      const member = this.roster.at(wire.slot);
      if (member && member.playerId === wire.playerId) {
        this.roster.setTicks(member, { joinTick: wire.joinTick, leaveTick: wire.leaveTick });
      } else if (!member) {
        const added = this.roster.add({
          slot: wire.slot,
          playerId: wire.playerId,
          peerId: wire.peerId,
          role: fromWireRole(wire.role),
          joinTick: wire.joinTick,
          leaveTick: wire.leaveTick,
        });
        // Departed, but its inputs still count after the state's tick.
        if (wire.leaveTick >= 0) this.roster.depart(added, false);
      }
    }
    this.relink();
    this.createEngine(message.tick);
    this.engine!.loadState(message.tick, message.state);
    this.desync.dropPending();
    const hash = this.game.hash() >>> 0;
    if (hash !== message.hash >>> 0) {
      const text = `the start state hashes to ${hash} here but ${message.hash} on the host: serialize/deserialize/hash are not deterministic`;
      this.reportError('session', new RbnError('STATE_MISMATCH', text), peerId, message.type);
    }
    this.enterPlaying();
  }

  private handlePlayerJoined(peerId: string, message: PlayerJoinedMessage): void {
    if (!this.fromHost(peerId, message.type)) return;
    const wire = message.player;
    if (this.roster.at(wire.slot)) return;
    const engine = this.engine;
    if (engine && wire.role === WireRole.Player) {
      engine.addPlayer(wire.playerId, wire.joinTick);
      this.recording.recordJoin(wire.playerId, wire.joinTick);
    }
    const member = this.addMember({
      slot: wire.slot,
      playerId: wire.playerId,
      peerId: wire.peerId,
      role: fromWireRole(wire.role),
      joinTick: engine ? wire.joinTick : -1,
      leaveTick: wire.leaveTick,
    });
    this.emitter.emit('playerJoined', member.info);
  }

  // -------------------------------------------------------------------------------------------
  // Leaving (leave, drop, peer gone, room end)

  private handlePlayerLeft(peerId: string, message: PlayerLeftMessage): void {
    if (this.host) {
      // A member may only announce its own departure.
      const sender = this.roster.byPeer(peerId);
      if (!sender || sender.slot !== message.slot) {
        this.peerError(peerId, message.type, 'a member may only announce its own departure');
        return;
      }
      this.departMember(sender, LeaveReason.Left);
      return;
    }
    if (!this.fromHost(peerId, message.type)) return;
    const member = this.roster.at(message.slot);
    if (!member) return;
    if (member.isHost || member.isLocal) {
      this.endRoom(true, member.isHost ? 'the host left the room' : 'the host removed this player');
      return;
    }
    this.removeMemberAt(member, message.tick);
  }

  private handleDropPlayer(peerId: string, message: DropPlayerMessage): void {
    if (!this.fromHost(peerId, message.type)) return;
    const member = this.roster.at(message.slot);
    if (!member) return;
    if (member.isLocal) {
      this.endRoom(true, 'the host dropped this player');
      return;
    }
    this.removeMemberAt(member, message.tick);
    const metadata = message.metadata ? [message.metadata] : [];
    this.emitter.emit('playerDropped', member.playerId, ...metadata);
  }

  /** A member is gone (transport closed, or silent past `disconnectTimeout`). */
  private handlePeerGone(peerId: string, why: string): void {
    if (this.stateValue === SessionState.Disconnected) return;
    if (this.pendingJoin && peerId === this.pendingJoin.hostPeerId) {
      this.failJoin(new RbnError('JOIN_FAILED', `joinRoom: lost the host: ${why}`));
      return;
    }
    const member = this.roster.byPeer(peerId);
    if (!member || member.isLocal) return;
    if (member.isHost) {
      this.endRoom(true, `lost the host: ${why}`);
      return;
    }
    if (this.host) {
      this.departMember(member, LeaveReason.Disconnected);
    } else if (this.cfg.topology === Topology.Mesh && this.hostPeerId !== null) {
      // In mesh a player we lost may still reach the host, but we cannot get its inputs any
      // more: ask the host to remove it (at a tick the host chooses for everyone).
      this.links.get(peerId)?.markInterrupted();
      const tick = this.engine ? Math.max(0, this.engine.getReceivedTick(member.playerId) + 1) : 0;
      const report = { type: MessageType.DisconnectReport, slot: member.slot, tick } as const;
      this.links.sendTo(this.hostPeerId, report);
    }
  }

  /** Host: a mesh player lost its link to another player; that player leaves the room. */
  private handleDisconnectReport(peerId: string, slot: number): void {
    const type = MessageType.DisconnectReport;
    if (!this.host)
      return this.peerError(peerId, type, 'only the host receives disconnect reports');
    if (this.cfg.topology !== Topology.Mesh) {
      // In star players have no links to each other, so there is nothing they could lose.
      return this.peerError(peerId, type, 'disconnect reports are for mesh rooms');
    }
    const reporter = this.roster.byPeer(peerId);
    const member = this.roster.at(slot);
    if (!reporter || !member || member.isLocal || member === reporter) return;
    if (member.status !== 'present') return; // already gone
    this.departMember(member, LeaveReason.Disconnected);
  }

  /** Host: a member leaves (on its own or disconnected) at a tick everyone agrees on. */
  private departMember(member: Member, reason: LeaveReason): void {
    const tick = this.engine ? chooseLeaveTick(this.engine, member) : -1;
    const message: PlayerLeftMessage = {
      type: MessageType.PlayerLeft,
      slot: member.slot,
      tick: Math.max(0, tick),
      reason,
    };
    this.links.broadcast(message, member.peerId);
    this.removeMemberAt(member, tick);
    this.transport.disconnect(member.peerId);
  }

  /** Removes a member from the room; while playing its inputs stop counting from `tick`. */
  private removeMemberAt(member: Member, tick: Tick): void {
    const engine = this.engine;
    this.advantage.removePeer(member.peerId);
    const { leaveTick, removeFromEngine } = departureTick(engine, member, tick);
    if (removeFromEngine) {
      engine!.removePlayer(member.playerId, leaveTick);
      this.recording.recordLeave(member.playerId, leaveTick);
    }
    this.roster.setTicks(member, { leaveTick });
    const info = this.roster.at(member.slot)!.info;
    this.roster.depart(member, !engine);
    this.relink();
    this.emitter.emit('playerLeft', info);
  }

  private endRoom(notify: boolean, why?: string): void {
    const peers = this.links.list.map((link) => link.peerId);
    this.resetRoom();
    for (const peerId of peers) {
      try {
        this.transport.disconnect(peerId);
      } catch {
        // A failing transport must not keep us in the room.
      }
    }
    if (notify && why) {
      this.reportError('session', new RbnError('ROOM_CLOSED', why), undefined, undefined, false);
    }
  }

  private resetRoom(): void {
    if (this.engine && this.recording.active) {
      this.recording.capture(this.engine, this.roster);
      this.recording.end(this.engine);
    }
    const join = this.pendingJoin;
    this.pendingJoin = null;
    this.roster.clear();
    this.links.clear();
    this.engine = null;
    this.view = null;
    this.host = false;
    this.hostPeerId = null;
    this.roomIdValue = null;
    this.localSlot = -1;
    this.started = false;
    this.countdown.cancel();
    this.desync.reset();
    this.advantage.reset(this.cfg.tickRate);
    this.setState(SessionState.Disconnected);
    if (join) join.reject(new RbnError('JOIN_CANCELLED', 'joinRoom: the session left the room'));
  }

  private failJoin(error: Error): void {
    const pending = this.pendingJoin;
    if (!pending) return;
    this.pendingJoin = null;
    const host = pending.hostPeerId;
    this.resetRoom();
    try {
      this.transport.disconnect(host);
    } catch {
      // ignore
    }
    pending.reject(error);
  }

  private connectTo(peerId: string): void {
    this.transport.connect(peerId).then(
      () => {
        if (this.roster.byPeer(peerId)) this.links.get(peerId)?.addRttSample(0);
      },
      (error: unknown) => {
        const err = error instanceof Error ? error : new Error(String(error));
        this.reportError('transport', err, peerId);
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Members, links and the engine

  private addMember(fields: NewMember): Member {
    const member = this.roster.add(fields);
    this.noteHost();
    this.relink();
    return member;
  }

  /** A non-host learns the host's peer id from the member in the host's slot. */
  private noteHost(): void {
    const host = this.roster.at(HOST_SLOT);
    if (host && !host.isLocal) this.hostPeerId = host.peerId;
  }

  /** Applies the link plan of the room as it is now (see {@link planLinks}). */
  private relink(): void {
    const activeSlots: number[] = [];
    const departedSlots: number[] = [];
    for (const m of this.roster.all()) {
      if (m.role !== PlayerRole.Player) continue;
      if (m.status === 'present') activeSlots.push(m.slot);
      else if (m.joinTick >= 0) departedSlots.push(m.slot);
    }
    const peers = [...this.roster.remoteMembers.values()].map((m) => ({
      peerId: m.peerId,
      slot: m.slot,
      plays: m.role === PlayerRole.Player,
      isHost: m.isHost,
    }));
    const plan = planLinks({
      topology: this.cfg.topology,
      isHost: this.host,
      localSlot: this.localSlot,
      localPlays: this.localPlays(),
      peers,
      activeSlots,
      departedSlots,
      joiningHost: this.pendingJoin ? this.pendingJoin.hostPeerId : null,
    });
    this.links.apply(plan);
  }

  private localPlays(): boolean {
    return this.roster.at(this.localSlot)?.role === PlayerRole.Player;
  }

  private createEngine(startTick: Tick): void {
    const engine = new RollbackEngine(this.game, {
      snapshotHistorySize: this.cfg.snapshotHistorySize,
      // A spectator receives confirmed inputs only and runs in lockstep with them: it never
      // predicts, so what it shows never rolls back.
      maxSpeculationTicks: this.role === PlayerRole.Spectator ? 0 : this.cfg.maxSpeculationTicks,
      snapshotInterval: this.cfg.snapshotInterval,
      hashInterval: this.cfg.hashInterval,
      inputDelayTicks: this.cfg.inputDelayTicks,
      startTick,
      ...(this.predictor ? { inputPredictor: this.predictor } : {}),
    });
    for (const m of this.roster.all()) {
      if (m.role !== PlayerRole.Player || m.joinTick < 0) continue;
      if (m.leaveTick >= 0 && m.leaveTick <= startTick) continue;
      engine.addPlayer(m.playerId, m.joinTick, { local: m.isLocal });
      if (m.leaveTick >= 0) engine.removePlayer(m.playerId, m.leaveTick);
    }
    // The session's own wiring; the engine is never handed out, so nobody can replace it.
    engine.onConfirmedHash = this.onConfirmedHash;
    this.desync.dropPending();
    for (const link of this.links.list) {
      for (const slot of link.sendSlots) {
        const m = this.roster.at(slot);
        if (m) link.resetAck(slot, m.joinTick - 1);
      }
    }
    this.engine = engine;
    this.view = engineView(engine);
  }

  private enterPlaying(): void {
    resetLiveness(this.links, this.clock.now());
    this.setState(SessionState.Playing);
    if (!this.started) {
      this.started = true;
      this.emitter.emit('gameStart');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Desync detection and recovery (decisions in desync.ts)

  /**
   * Sends the hashes of confirmed ticks once they are `HASH_DELAY_TICKS` behind the confirmed
   * tick. In mesh a player's departure tick is the host's, and a peer that held more of that
   * player's inputs than the host may have confirmed a few ticks past it before the
   * announcement arrived; the delay lets that peer's rollback correct those states before their
   * hashes go out, so no false desync is reported.
   */
  private releaseHashes(engine: RollbackEngine): void {
    const delay = Math.min(
      HASH_DELAY_TICKS,
      Math.max(0, this.cfg.snapshotHistorySize - this.cfg.maxSpeculationTicks - 10),
    );
    for (let due = this.desync.due(engine, delay); due; due = this.desync.due(engine, delay)) {
      this.onLocalHash(due.tick, due.hash >>> 0);
    }
  }

  private onLocalHash(tick: Tick, hash: number): void {
    this.emitter.emit('confirmedHash', tick, hash);
    if (this.localPlays()) {
      const message: HashMessage = { type: MessageType.Hash, tick, hash };
      this.links.broadcastTo(message, this.isPlayerPeer);
    }
    this.desync.setLocal(tick, hash);
    const remote = this.desync.remote(tick);
    if (remote) for (const [slot, h] of remote) this.compareHash(tick, slot, h);
    this.decide(tick);
    this.desync.prune(tick, this.cfg.hashInterval);
  }

  private readonly isPlayerPeer = (peerId: string): boolean =>
    this.roster.byPeer(peerId)?.role === PlayerRole.Player;

  private handleHash(peerId: string, message: HashMessage): void {
    const member = this.roster.byPeer(peerId);
    if (member?.role !== PlayerRole.Player) {
      // A member that just left may still have a hash on the way: not a violation.
      if (!this.roster.hasDeparted(peerId)) {
        this.peerError(peerId, message.type, 'a hash from a peer that is not a player here');
      }
      return;
    }
    const tick = message.tick;
    const engine = this.engine;
    if (
      tick <= 0 ||
      tick % this.cfg.hashInterval !== 0 ||
      (engine !== null && tick > engine.currentTick + tickReach(this.cfg))
    ) {
      this.peerError(peerId, message.type, `a hash for tick ${tick}, which is never hashed now`);
      return;
    }
    if (tick < this.desync.floor) return;
    if (!this.desync.setRemote(tick, member.slot, message.hash >>> 0)) return;
    if (this.desync.local(tick) !== undefined) {
      this.compareHash(tick, member.slot, message.hash >>> 0);
      this.decide(tick);
    }
  }

  private compareHash(tick: Tick, slot: number, remoteHash: number): void {
    const local = this.desync.local(tick);
    if (local === undefined || local === remoteHash || tick < this.desync.floor) return;
    const link = this.links.get(this.roster.at(slot)?.peerId ?? '');
    if (link && tick < this.desync.lastSyncSent(link.peerId)) return;
    this.emitter.emit('desync', tick, local, remoteHash);
  }

  /** Applies the recovery rule of the room's topology × authority to a tick's hashes. */
  private decide(tick: Tick): void {
    if (tick < this.desync.floor || this.desync.isDecided(tick) || !this.localPlays()) return;
    const localHash = this.desync.local(tick);
    if (localHash === undefined) return;
    const decision = decideRecovery({
      topology: this.cfg.topology,
      authority: this.cfg.desyncAuthority,
      isHost: this.host,
      localSlot: this.localSlot,
      localHash,
      remote: this.desync.remote(tick) ?? new Map<number, number>(),
      expected: this.roster.slotsActiveAt(tick),
    });
    if (decision.decided) this.desync.markDecided(tick);
    for (const action of decision.actions) {
      if (action.kind === 'push') {
        this.pushSync(action.slot, tick);
        continue;
      }
      const peer =
        action.slot === HOST_SLOT ? this.hostPeerId : this.roster.at(action.slot)?.peerId;
      if (peer === undefined || peer === null) continue;
      const forwardTo: string[] = [];
      for (const s of action.forwardSlots) {
        const p = this.roster.at(s)?.peerId;
        if (p !== undefined && p !== '') forwardTo.push(p);
      }
      this.requestSyncFrom(peer, tick, forwardTo);
    }
  }

  /** Sends our newest confirmed state to the member in `slot` (it will load it). */
  private pushSync(slot: number, tick: Tick): void {
    const member = this.roster.at(slot);
    if (!member || !this.engine) return;
    if (tick < this.desync.lastSyncSent(member.peerId)) return; // predates our last sync to it
    this.sendSync(member.peerId);
  }

  /**
   * Sends our newest confirmed state to a peer (it will load it), and remembers its tick: that
   * peer's hashes of earlier ticks predate the sync and raise no desync.
   */
  private sendSync(peerId: string): void {
    const engine = this.engine;
    if (!engine) return;
    const snapshot = engine.getConfirmedState();
    const message: SyncMessage = {
      type: MessageType.Sync,
      tick: snapshot.tick,
      hash: snapshot.hash >>> 0,
      state: snapshot.state,
      players: this.roster.wirePlayers(),
    };
    this.links.sendTo(peerId, message);
    this.links.get(peerId)?.noteSyncSent(this.clock.now());
    this.desync.noteSyncSent(peerId, snapshot.tick);
  }

  private requestSyncFrom(peerId: string, tick: Tick, forwardTo: string[]): void {
    if (this.desync.syncRequest) return;
    this.desync.syncRequest = { peerId, at: this.clock.now(), forwardTo };
    this.links.sendTo(peerId, { type: MessageType.SyncRequest, tick: Math.max(tick, 0) });
  }

  private handleSyncRequest(peerId: string, now: number): void {
    const link = this.links.get(peerId);
    if (!this.roster.byPeer(peerId) || !link || !this.engine) return;
    if (link.syncSentWithin(now, SYNC_RESPONSE_MIN_INTERVAL_MS)) return;
    this.sendSync(peerId);
  }

  private handleSync(peerId: string, message: SyncMessage): void {
    const engine = this.engine;
    if (!engine) return;
    const request = this.desync.syncRequest;
    const requested = request !== null && request.peerId === peerId;
    const fromStarHost =
      !this.host && peerId === this.hostPeerId && this.cfg.topology === Topology.Star;
    if (!requested && !fromStarHost) {
      this.peerError(peerId, message.type, 'an unrequested state arrived');
      return;
    }
    const forwardTo = requested ? request.forwardTo : [];
    this.desync.syncRequest = null;
    this.recording.end(engine);
    engine.loadState(message.tick, message.state);
    const hash = this.game.hash() >>> 0;
    if (hash !== message.hash >>> 0) {
      const text = `a synced state hashes to ${hash} here but ${message.hash} at its sender`;
      this.reportError('session', new RbnError('STATE_MISMATCH', text), peerId, message.type);
    }
    this.desync.loaded(message.tick);
    for (const peer of forwardTo) this.sendSync(peer);
    this.emitter.emit('stateSynced', message.tick, peerId);
  }

  // -------------------------------------------------------------------------------------------
  // State and errors

  private setState(next: SessionState): void {
    const previous = this.stateValue;
    if (previous === next) return;
    this.stateValue = next;
    this.emitter.emit('stateChange', next, previous);
  }

  private assertAlive(): void {
    if (this.destroyed) throw new RbnError('DESTROYED', 'the session was destroyed');
  }

  private safely(fn: () => void, peerId?: string, messageType?: MessageType): void {
    try {
      fn();
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.reportError('session', err, peerId, messageType);
    }
  }

  private peerError(peerId: string, messageType: MessageType | undefined, text: string): void {
    const error = new RbnError('PEER_VIOLATION', `peer '${peerId}': ${text}; ignored`);
    this.reportError('peer', error, peerId, messageType);
  }

  private reportError(
    source: ErrorSource,
    error: Error,
    peerId?: string,
    messageType?: MessageType,
    recoverable = true,
  ): void {
    const context: ErrorContext = { source, recoverable };
    if (peerId !== undefined) context.peerId = peerId;
    if (messageType !== undefined) context.messageType = messageType;
    this.emitter.emit('error', error, context);
  }
}

/**
 * Creates a session for a game over a transport.
 * @param options - The game, the transport and optional settings.
 * @returns A session in the `Disconnected` state; call `createRoom()` or `joinRoom()` next.
 * @throws RbnError `'INVALID_CONFIG'` naming the first invalid config field.
 * @example
 * ```ts
 * import { createSession } from '@rbn/session';
 *
 * const session = createSession({ game, transport });
 * const roomId = await session.createRoom();
 * // share roomId and transport.localPeerId; when everyone joined:
 * session.start();
 * // every frame:
 * session.tick(readLocalInput());
 * ```
 */
export function createSession(options: CreateSessionOptions): Session {
  return new Session(options);
}
