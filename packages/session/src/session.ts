import { RollbackEngine } from '@rbn/core';
import type { Game, InputPredictor } from '@rbn/core';
import {
  DEFAULT_LIMITS,
  JoinRejectReason,
  LeaveReason,
  MessageType,
  PROTOCOL_VERSION,
  RbnError,
  tryDecodeMessage,
} from '@rbn/protocol';
import type {
  JoinAcceptMessage,
  JoinRejectMessage,
  JoinRequestMessage,
  Message,
  PlayerId,
  PlayerBackMessage,
  PlayerJoinedMessage,
  PlayerLeftMessage,
  StateSyncMessage,
  Tick,
  TransportAdapter,
} from '@rbn/protocol';
import { Away } from './away';
import { checkSessionOptions, resolveSessionConfig, validateConfigField } from './config';
import { DesyncRecovery } from './desync';
import { engineView } from './engine-view';
import type { EngineView } from './engine-view';
import { CATCH_UP_THRESHOLD, FrameAdvantage, maxSilenceMs } from './frame-advantage';
import { HostMigration } from './host-migration';
import { InputExchange, pendingInputs } from './input-exchange';
import { defaultNow } from './internal/clock';
import type { Clock } from './internal/clock';
import { Emitter } from './internal/emitter';
import type { Link } from './internal/link';
import { Reporter } from './internal/reporter';
import {
  Admissions,
  GAME_IN_PROGRESS_KEY,
  JoinAttempt,
  randomRoomId,
  seatAnnounced,
  adoptRoomConfig,
  applyStartPlayers,
  seatMembers,
} from './join';
import type { RoomStatus } from './join';
import { Departures } from './leave';
import { LinkTable } from './links';
import { Liveness, resetLiveness } from './liveness';
import { ResumeCountdown } from './pause';
import { SlidingWindowRateLimiter } from './rate-limiter';
import { Reconnect, cryptoRandomBytes } from './reconnect';
import { Recording } from './recording';
import { HOST_SLOT, Roster, toWireRole } from './roster';
import type { Member, NewMember } from './roster';
import { relink } from './topology';
import { PlayerRole, SessionState, Topology } from './types';
import type {
  CreateSessionOptions,
  NetworkStats,
  PlayerInfo,
  SessionConfig,
  SessionEventName,
  SessionEvents,
  TickResult,
} from './types';

export type { Clock } from './internal/clock';
export type { CreateSessionOptions } from './types';

/** Async methods never throw: misuse rejects the promise with an `RbnError` and its code. */
function rejectDestroyed(): Promise<never> {
  return Promise.reject(new RbnError('DESTROYED', 'the session was destroyed'));
}

/**
 * A multiplayer session: room lifecycle, star or mesh topology, input exchange, desync
 * detection and recovery, lag and pause. Create one with {@link createSession}; drive it by
 * calling {@link Session.tick} once per frame (also in the lobby and while paused): the session
 * has no timers, everything advances from `tick()` and from arriving messages.
 *
 * Misuse: the synchronous methods throw an `RbnError` with a `code`; the async methods
 * (`createRoom`, `joinRoom`) never throw, they return a promise rejected with that error.
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
  private role = PlayerRole.Player;
  private readonly localId: PlayerId;
  /** The local player's metadata (checked and copied), sent with the join and seated locally. */
  private readonly localMetadata: Uint8Array;
  private destroyed = false;
  private started = false;
  private readonly joining: JoinAttempt;
  private readonly failJoinBound = (error: Error): void => this.failJoin(error);

  private readonly roster: Roster;
  private readonly links: LinkTable;
  private readonly advantage: FrameAdvantage;
  private readonly liveness: Liveness;
  private readonly inputs: InputExchange;
  private readonly recording = new Recording();
  private readonly report: Reporter;
  private readonly desync: DesyncRecovery;
  private readonly departures: Departures;
  private readonly admissions: Admissions;
  private readonly countdown = new ResumeCountdown();
  private readonly away: Away;
  private readonly reconnect: Reconnect;
  private readonly migration: HostMigration;

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

  /**
   * Use {@link createSession}.
   * @param options - See {@link CreateSessionOptions}.
   */
  constructor(options: CreateSessionOptions) {
    const { game, transport, localPlayerId, metadata } = checkSessionOptions(options);
    this.localMetadata = metadata;
    this.cfg = resolveSessionConfig(options.config);
    this.game = game;
    this.transport = transport;
    this.clock = options.clock ?? { now: defaultNow() };
    this.predictor = options.inputPredictor;
    this.localId = localPlayerId;
    this.joinLimiter = new SlidingWindowRateLimiter({
      maxRequests: this.cfg.joinRateLimitRequests,
      windowMs: this.cfg.joinRateLimitWindowMs,
      now: () => this.clock.now(),
    });
    this.roster = new Roster(this.localId, transport.localPeerId);
    this.links = new LinkTable(transport, this.clock);
    this.advantage = new FrameAdvantage(this.cfg.tickRate);
    const { roster, links, emitter, recording, advantage } = this;
    const report = (this.report = new Reporter(emitter));
    const clock = this.clock;
    this.joining = new JoinAttempt(transport, links, report);
    this.liveness = new Liveness({ links, roster, emitter, report, advantage });
    this.inputs = new InputExchange({ links, roster, report, advantage });
    this.desync = new DesyncRecovery({ game, roster, links, emitter, report, clock, recording });
    this.departures = new Departures({
      ...{ roster, links, transport, emitter, report, recording, advantage },
    });
    const away = (this.away = new Away({ roster, links, emitter, report }));
    const random = options.randomBytes ?? cryptoRandomBytes;
    const reconnect = (this.reconnect = new Reconnect({
      ...{ roster, links, transport, report, away, random },
    }));
    const departures = this.departures;
    this.migration = new HostMigration({
      ...{ roster, links, transport, emitter, report, departures, away, reconnect },
    });
    this.admissions = new Admissions({
      ...{ roster, links, emitter, report, recording, limiter: this.joinLimiter },
    });
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
    return this.roster.isHost;
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
   * @throws RbnError `'INVALID_CONFIG'` at once for a value the engine would reject (an integer
   * from 0 to 64, `MAX_INPUT_DELAY_TICKS`), whether or not a game runs.
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
   * Never throws: misuse rejects the promise with an RbnError — `'INVALID_STATE'` when already
   * in a room or for a spectator, `'DESTROYED'` after `destroy()`.
   */
  createRoom(): Promise<string> {
    if (this.destroyed) return rejectDestroyed();
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
    this.addMember({
      slot: HOST_SLOT,
      playerId: this.localId,
      peerId: this.transport.localPeerId,
      role: PlayerRole.Player,
      joinTick: -1,
      leaveTick: -1,
      metadata: this.localMetadata,
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
   * Never throws: misuse rejects the promise too — `'INVALID_STATE'` when already in a room,
   * `'INVALID_ARGUMENT'` for bad ids or joining yourself, `'DESTROYED'` after `destroy()`.
   */
  joinRoom(roomId: string, hostPeerId: string): Promise<void> {
    if (this.destroyed) return rejectDestroyed();
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
    const request: JoinRequestMessage = {
      type: MessageType.JoinRequest,
      protocolVersion: PROTOCOL_VERSION,
      roomId,
      playerId: this.localId,
      role: toWireRole(this.role),
      metadata: this.localMetadata,
    };
    return this.joining.begin(request, hostPeerId, this.clock.now(), this.failJoinBound);
  }

  /**
   * Says the local player is away (a hidden tab, a backgrounded app) or back. Away: the local
   * game stops advancing at once and the host decides this player's inputs from a tick it
   * announces to everyone (`playerAway`), so nobody waits for it. Back: the host sends the
   * state to continue from and the tick this player's own inputs count again (`playerBack`),
   * in the same slot. A player that simply stops ticking is marked away by the host after
   * `awayAfterMs` and comes back by itself when it ticks again; this is for hosts that know.
   * @param away - `true` to go away, `false` to come back.
   * @throws RbnError `'INVALID_STATE'` when not playing a game as a player, or for the host
   * (the host cannot be away).
   */
  setAway(away: boolean): void {
    this.assertAlive();
    const playing =
      this.engine !== null &&
      (this.stateValue === SessionState.Playing || this.stateValue === SessionState.Paused);
    if (!playing || this.role !== PlayerRole.Player) {
      throw new RbnError('INVALID_STATE', 'setAway: only a player in a running game can be away');
    }
    this.away.setLocalAway(away === true, { isHost: this.roster.isHost });
  }

  /**
   * Leaves the room. A player leaving a game in progress leaves at a tick the host chooses and
   * announces; when the host leaves, the lowest present player slot that is not away takes over
   * as host (`hostChanged`) and the room goes on; it ends only when no player is left.
   * @throws RbnError `'INVALID_STATE'` when not in a room.
   */
  leaveRoom(): void {
    this.assertAlive();
    if (this.stateValue === SessionState.Disconnected) {
      throw new RbnError('INVALID_STATE', 'leaveRoom: not in a room');
    }
    if (this.joining.askingHost !== null) {
      this.failJoin(new RbnError('JOIN_CANCELLED', 'joinRoom: cancelled by leaveRoom'));
      return;
    }
    this.departures.announceLeave(this.engine);
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
    if (!this.roster.isHost)
      throw new RbnError('NOT_HOST', 'start: only the host can start the game');
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
    if (!this.roster.isHost)
      throw new RbnError('NOT_HOST', 'pause: only the host can pause the game');
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
    if (!this.roster.isHost)
      throw new RbnError('NOT_HOST', 'resume: only the host can resume the game');
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
    if (!this.roster.isHost)
      throw new RbnError('NOT_HOST', 'dropPlayer: only the host can drop players');
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
    this.departures.drop(member, metadata, this.engine, this.cfg);
  }

  /**
   * Asks for the authoritative state now (a non-host only, while playing): the host answers
   * with its newest confirmed state, which this session loads.
   * @throws RbnError `'INVALID_STATE'` for the host or when not playing.
   */
  requestSync(): void {
    this.assertAlive();
    if (this.roster.isHost)
      throw new RbnError('INVALID_STATE', 'requestSync: the host holds the authoritative state');
    const hostPeerId = this.roster.hostPeerId;
    if (!this.engine || hostPeerId === null) {
      throw new RbnError('INVALID_STATE', 'requestSync: the game is not running');
    }
    this.desync.request(hostPeerId, this.engine.confirmedTick, []);
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

    if (this.joining.timedOut(now, this.cfg.joinTimeout)) {
      this.failJoin(
        new RbnError(
          'JOIN_TIMEOUT',
          `joinRoom: no answer from the host within ${this.cfg.joinTimeout} ms`,
        ),
      );
    }

    const engine = this.engine;
    if (engine && this.stateValue === SessionState.Playing && this.away.localPlays) {
      this.advance(engine, localInput, now);
    } else {
      result.tick = engine ? engine.currentTick : -1;
    }
    result.confirmedTick = engine ? engine.confirmedTick : -1;
    if (engine && this.recording.active) this.recording.capture(engine, this.roster);
    this.desync.frame(engine, this.cfg, now);

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
      this.inputs.flush(link, engine, this.cfg, now);
      this.liveness.ping(link, engine, this.cfg.pingInterval, now);
      link.rollWindow(now);
    }
    const reconnects = this.reconnect.mayReconnect(this.cfg);
    this.endRoomIf(this.migration.frame(engine, this.cfg, now, reconnects));
    if (engine && this.stateValue === SessionState.Playing) {
      this.away.frame(engine, this.cfg, now);
      this.reconnectFrame(engine, now);
    }
    if (this.stateValue === SessionState.Playing || this.stateValue === SessionState.Paused) {
      const gone = this.liveness.check(engine, this.cfg, now);
      if (gone) this.handlePeerGone(gone.peerId, gone.why);
      else if (engine) {
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
  }

  private reconnectFrame(engine: RollbackEngine, now: number): void {
    const expired = this.reconnect.frame(this.cfg, now);
    if (expired === 'give up') {
      this.endRoom(true, `lost the host: no reconnect within ${this.cfg.reconnectWindowMs} ms`);
    } else if (expired) {
      this.departures.depart(expired, LeaveReason.Disconnected, engine, this.cfg);
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
    this.liveness.received(link, bytes.byteLength, now);
    this.migration.hostHeard(peerId);
    const decoded = tryDecodeMessage(bytes);
    if (!decoded.ok) {
      this.report.error('protocol', decoded.error, peerId);
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
        return this.inputs.receive(
          link,
          message.senderTick,
          message.acks,
          // While away the local game stands still: inputs wait for the state it comes back to.
          this.away.localPlays ? message.runs : null,
          this.engine,
          this.cfg,
          now,
        );
      case MessageType.InputAck:
        return this.inputs.receive(
          link,
          message.senderTick,
          message.acks,
          null,
          this.engine,
          this.cfg,
          now,
        );
      case MessageType.Ping:
        return this.liveness.onPing(peerId, message.timestamp, this.engine);
      case MessageType.Pong:
        return this.liveness.onPong(link, message.timestamp, message.tick, this.engine, now);
      case MessageType.Hash:
        return this.desync.onHash(peerId, message, this.engine, this.cfg);
      case MessageType.Sync:
        return this.desync.onSync(peerId, message, this.engine, this.cfg);
      case MessageType.SyncRequest:
        return this.desync.onSyncRequest(peerId, this.engine, now);
      case MessageType.Pause:
        return this.handlePause(peerId);
      case MessageType.Resume:
        return this.handleResume(peerId);
      case MessageType.ResumeCountdown:
        return this.handleResumeCountdown(peerId, message.seconds);
      case MessageType.LagReport:
        return this.liveness.onLagReport(peerId, message);
      case MessageType.DisconnectReport:
        return this.departures.onDisconnectReport(peerId, message.slot, this.engine, this.cfg);
      case MessageType.DropPlayer:
        return this.endRoomIf(this.departures.onDropPlayer(peerId, message, this.engine, this.cfg));
      case MessageType.PlayerAway:
        return this.away.onAway(peerId, message, this.engine, this.cfg);
      case MessageType.PlayerBack:
        return this.handlePlayerBack(peerId, message);
      case MessageType.Rejoin:
        return this.reconnect.onRejoin(peerId, message);
      case MessageType.MigrationQuery:
      case MessageType.MigrationReport:
      case MessageType.HostMigrated:
        return this.migration.onMessage(peerId, message, this.engine, this.cfg, now);
      case MessageType.JoinRequest:
        return this.admissions.onJoinRequest(peerId, message, this.roomStatus());
      case MessageType.JoinAccept:
        return this.handleJoinAccept(peerId, message);
      case MessageType.JoinReject:
        return this.handleJoinReject(peerId, message);
      case MessageType.StateSync:
        return this.handleStateSync(peerId, message);
      case MessageType.PlayerJoined:
        return this.handlePlayerJoined(peerId, message);
      case MessageType.PlayerLeft:
        return this.handlePlayerLeft(peerId, message, now);
      default: {
        const unknown: never = message;
        this.report.peer(peerId, undefined, `unexpected message ${String(unknown)}`);
      }
    }
  }

  private handlePlayerLeft(peerId: string, message: PlayerLeftMessage, now: number): void {
    const { roster } = this;
    const hostSaysGoodbye =
      !roster.isHost && peerId === roster.hostPeerId && message.slot === roster.hostSlot;
    // The host says goodbye: a successor takes over the room (host-migration.ts).
    if (hostSaysGoodbye && this.migration.hostGone(this.engine, this.cfg, now, true)) {
      this.transport.disconnect(peerId);
      return;
    }
    this.endRoomIf(this.departures.onPlayerLeft(peerId, message, this.engine, this.cfg));
  }

  private handlePlayerBack(peerId: string, message: PlayerBackMessage): void {
    const wasAway = !this.away.localPlays;
    this.away.onBack(peerId, message, this.engine, this.cfg);
    if (wasAway && this.away.localPlays) {
      // Back from a state: hashes held for the old timeline no longer apply.
      this.desync.dropPending();
      resetLiveness(this.links, this.clock.now());
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

  // -------------------------------------------------------------------------------------------
  // Joining, joiner side (the host side is join.ts): accept, reject, start state

  private handleJoinAccept(peerId: string, message: JoinAcceptMessage): void {
    if (peerId !== this.joining.askingHost) {
      this.report.peer(peerId, message.type, 'unexpected join answer');
      return;
    }
    try {
      this.cfg = adoptRoomConfig(this.cfg, message.config);
    } catch (error) {
      const text = `joinRoom: the host's room settings are invalid: ${String(error)}`;
      this.failJoin(new RbnError('JOIN_REJECTED', text));
      return;
    }
    this.roomIdValue = message.roomId;
    this.advantage.reset(this.cfg.tickRate);
    const local = { playerId: this.localId, peerId: this.transport.localPeerId };
    const seat = { ...local, role: this.role, metadata: this.localMetadata };
    seatMembers(this.roster, message, seat, peerId);
    this.joining.waitForStart();
    this.relink();
    if (this.cfg.topology === Topology.Mesh && this.role === PlayerRole.Player) {
      for (const member of this.roster.all()) {
        if (member.isLocal || member.isHost || member.role !== PlayerRole.Player) continue;
        this.connectTo(member.peerId);
      }
    }
    // A game in progress: the start state follows at once; the join completes with it.
    if (message.config[GAME_IN_PROGRESS_KEY] === 1) return;
    this.setState(SessionState.Lobby);
    for (const member of this.roster.all()) this.emitter.emit('playerJoined', member.info);
    this.joining.succeed();
  }

  private handleJoinReject(peerId: string, message: JoinRejectMessage): void {
    if (peerId !== this.joining.askingHost) {
      this.report.peer(peerId, message.type, 'unexpected join answer');
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
    const joining = this.joining.awaitingStart;
    if ((this.stateValue !== SessionState.Lobby && !joining) || this.engine) {
      this.report.peer(peerId, message.type, 'a start state arrived while not in the lobby');
      return;
    }
    applyStartPlayers(this.roster, message.players);
    this.relink();
    this.createEngine(message.tick);
    this.engine!.loadState(message.tick, message.state);
    this.desync.dropPending();
    const hash = this.game.hash() >>> 0;
    if (hash !== message.hash >>> 0) {
      const text = `the start state hashes to ${hash} here but ${message.hash} on the host: serialize/deserialize/hash are not deterministic`;
      this.report.session('STATE_MISMATCH', text, peerId, message.type);
    }
    if (joining) {
      // A late joiner learns every member with its real join tick, then plays at once.
      for (const m of this.roster.all()) {
        if (m.status === 'present') this.emitter.emit('playerJoined', m.info);
      }
      this.joining.succeed();
    }
    this.enterPlaying();
  }

  private handlePlayerJoined(peerId: string, message: PlayerJoinedMessage): void {
    if (!this.fromHost(peerId, message.type)) return;
    const announce = !this.joining.awaitingStart; // else the start state brings the event
    const running = this.engine !== null || !announce;
    if (!seatAnnounced(this.roster, message.player, this.engine, this.recording, running)) return;
    this.relink();
    const info = this.roster.at(message.player.slot)!.info;
    if (announce) this.emitter.emit('playerJoined', info);
  }

  private fromHost(peerId: string, type: MessageType): boolean {
    if (!this.roster.isHost && peerId === this.roster.hostPeerId) return true;
    this.report.peer(peerId, type, `${MessageType[type]} may only come from the host`);
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Leaving (the decisions and the member's removal are leave.ts): room end

  /** Ends the room for the local session when a departure handler says so. */
  private endRoomIf(why: string | null): void {
    if (why !== null) this.endRoom(true, why);
  }

  /** A member is gone (transport closed, or silent past `disconnectTimeout`). */
  private handlePeerGone(peerId: string, why: string): void {
    if (this.stateValue === SessionState.Disconnected) return;
    if (peerId === this.joining.askingHost) {
      this.failJoin(new RbnError('JOIN_FAILED', `joinRoom: lost the host: ${why}`));
      return;
    }
    // A player that lost its connection keeps its slot for a while (see reconnect.ts).
    const now = this.clock.now();
    if (this.roster.isHost) {
      const member = this.roster.byPeer(peerId);
      if (member && this.reconnect.memberLost(member, this.engine, this.cfg, now)) return;
    } else if (peerId === this.roster.hostPeerId) {
      // Either our own link dropped (we reconnect) or the host is gone (a successor takes over).
      const reconnecting = this.reconnect.hostLost(this.engine, this.cfg, now);
      if (this.migration.hostGone(this.engine, this.cfg, now, false) || reconnecting) return;
    }
    this.endRoomIf(this.departures.onPeerGone(peerId, why, this.engine, this.cfg));
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
      this.report.error('session', new RbnError('ROOM_CLOSED', why), undefined, undefined, false);
    }
  }

  private resetRoom(): void {
    if (this.engine && this.recording.active) {
      this.recording.capture(this.engine, this.roster);
      this.recording.end(this.engine);
    }
    const join = this.joining.take();
    this.roster.clear();
    this.links.clear();
    this.engine = null;
    this.view = null;
    this.roomIdValue = null;
    this.started = false;
    this.countdown.cancel();
    this.away.reset();
    this.reconnect.reset();
    this.migration.reset();
    this.desync.reset();
    this.advantage.reset(this.cfg.tickRate);
    this.setState(SessionState.Disconnected);
    if (join) join.reject(new RbnError('JOIN_CANCELLED', 'joinRoom: the session left the room'));
  }

  private failJoin(error: Error): void {
    const pending = this.joining.take();
    if (!pending) return;
    this.resetRoom();
    try {
      this.transport.disconnect(pending.hostPeerId);
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
        this.report.error('transport', err, peerId);
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Members, links and the engine

  private addMember(fields: NewMember): Member {
    const member = this.roster.add(fields);
    this.relink();
    return member;
  }

  /** Applies the link plan of the room as it is now (see topology.ts). */
  private relink(): void {
    relink(this.roster, this.links, this.cfg.topology, this.joining.askingHost);
  }

  private roomStatus(): RoomStatus {
    return { roomId: this.roomIdValue, state: this.stateValue, engine: this.engine, cfg: this.cfg };
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
    engine.onConfirmedHash = this.desync.onConfirmedHash;
    this.desync.dropPending();
    for (const link of this.links.list) link.startAcks((slot) => this.roster.at(slot)?.joinTick);
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
  // State

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
      this.report.error('session', err, peerId, messageType);
    }
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
