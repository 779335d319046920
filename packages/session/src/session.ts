import type { Game, InputPredictor, RollbackEngine } from '@rbn/core';
import { MessageType, RbnError, tryDecodeMessage } from '@rbn/protocol';
import type { PlayerId, StateSyncMessage, Tick, TransportAdapter } from '@rbn/protocol';
import { checkSessionOptions, resolveSessionConfig, validateConfigField } from './config';
import { DesyncRecovery } from './desync';
import { resolveDesyncReportOptions } from './desync-report';
import { dispatch } from './dispatch';
import type { Receivers } from './dispatch';
import { engineView } from './engine-view';
import type { EngineView } from './engine-view';
import { buildEngine } from './engine-setup';
import { advanceFrame, FrameAdvantage, maxSilenceMs } from './frame-advantage';
import { InputExchange, pendingInputs } from './input-exchange';
import { defaultNow } from './internal/clock';
import type { Clock } from './internal/clock';
import { Emitter } from './internal/emitter';
import { Reporter } from './internal/reporter';
import { Admissions, applyStartPlayers, completeLateJoin, startStateWelcome } from './join';
import { JoinAttempt } from './join-attempt';
import type { JoinAcceptOutcome, JoinerDeps, RoomStatus } from './join';
import { Departures } from './leave';
import { LinkTable } from './links';
import { Liveness, resetLiveness } from './liveness';
import { LoopWatch } from './loop-watch';
import { Pausing } from './pause';
import { SlidingWindowRateLimiter } from './rate-limiter';
import { cryptoRandomBytes } from './reconnect';
import type { RejoinTicket } from './reconnect';
import { Recording } from './recording';
import { hostMember, joinAsk, randomRoomId, rejoinRequest, roomEntryRefusal } from './room-entry';
import type { JoinAsk, JoinerLocal } from './room-entry';
import { Roster } from './roster';
import type { Member, NewMember } from './roster';
import { SpectatorStream } from './spectator-stream';
import { Survival } from './survival';
import { connectMember, relink } from './topology';
import { PlayerRole, SessionState } from './types';
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

/** What `tick()` resets in its reused result before each frame. */
const FRESH_FRAME = { advanced: false, rolledBack: false, rollbackTicks: 0, stalled: false };

/** Async methods never throw: misuse rejects the promise with an `RbnError` and its code. */
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
  private readonly framesAhead = (now: number): number | null =>
    this.advantage.framesAhead(this.engine, this.links, this.roster, this.cfg, now);

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
  private readonly spectating = new SpectatorStream();
  private readonly pausing: Pausing;
  private readonly joiner: JoinerDeps;
  private readonly survival: Survival;
  private readonly loopWatch = new LoopWatch();
  /** Where `dispatch` (dispatch.ts) sends each message. */
  private readonly receivers: Receivers;

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
    this.joiner = { game, joining: this.joining, report, roster };
    this.pausing = new Pausing({ links, emitter, report, roster, clock });
    const localPlays = (): boolean => this.survival.localPlays;
    this.liveness = new Liveness({ links, roster, emitter, report, advantage, localPlays });
    this.inputs = new InputExchange({ links, roster, report, advantage, localPlays });
    const reportOptions = resolveDesyncReportOptions(options.desyncReports);
    this.desync = new DesyncRecovery({
      ...{ game, roster, links, emitter, report, clock, recording, reportOptions },
      drop: (member) => this.departures.drop(member, undefined, this.engine, this.cfg),
    });
    const departureDeps = {
      ...{ roster, links, transport, emitter, report, recording, advantage },
      keepLost: (member: Member, engine: RollbackEngine | null, cfg: SessionConfig) =>
        this.survival.peerGone(member.peerId, engine, cfg, this.clock.now()),
      settle: (member: Member, engine: RollbackEngine) =>
        this.survival.settle(member, engine, true),
    };
    this.departures = new Departures(departureDeps);
    const { departures } = this;
    const random = options.randomBytes ?? cryptoRandomBytes;
    this.survival = new Survival({
      ...{ roster, links, transport, emitter, report, departures, random },
      cameBack: () => {
        this.desync.dropPending(); // hashes held for the old timeline no longer apply
        resetLiveness(links, clock.now());
      },
      reseat: (member, markAway) => this.admissions.reseat(member, this.roomStatus(), markAway),
    });
    this.admissions = new Admissions({
      ...{ roster, links, emitter, report, recording, limiter: this.joinLimiter },
      now: () => clock.now(),
      tellAwayWindows: (member) => this.survival.tellAwayWindows(member),
      handOutToken: (member, again) => this.survival.handOutToken(member, again),
    });
    this.receivers = {
      ...{ liveness: this.liveness, desync: this.desync, pausing: this.pausing, departures },
      ...{ survival: this.survival, admissions: this.admissions, joiner: this.joiner },
      ...{ recording, emitter, report, failJoin: this.failJoinBound },
      local: () => ({ ...this.joinerLocal(), peerId: transport.localPeerId }),
      room: () => this.roomStatus(),
      setState: (next) => this.setState(next),
      endRoomIf: (why) => this.endRoomIf(why),
      joinAccepted: (outcome) => this.applyJoinAccept(outcome),
      stateSync: (peerId, message) => this.handleStateSync(peerId, message),
      relink: () => this.relink(),
    };
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

  /**
   * The newest tick whose inputs are known for every player (-1 when none). It can move between
   * frames, as inputs arrive, before the game's states are resimulated with them (at the next
   * `tick()`): to read your game's own confirmed states, use the `confirmedTick` that `tick()`
   * returns.
   */
  get confirmedTick(): Tick {
    return this.engine ? this.engine.confirmedTick : -1;
  }

  /** The resolved config (room fields as adopted from the host after joining). */
  get config(): Readonly<SessionConfig> {
    return this.cfg;
  }

  /**
   * The local input delay in ticks in effect (with `'auto'`, the one chosen last); set a
   * number or `'auto'`, also while playing.
   * @throws RbnError `'INVALID_CONFIG'` at once for a value the engine would reject (an integer
   * from 0 to 64, `MAX_INPUT_DELAY_TICKS`, or `'auto'`), whether or not a game runs.
   */
  get inputDelayTicks(): number {
    const delay = this.engine?.inputDelayTicks ?? this.cfg.inputDelayTicks;
    return delay === 'auto' ? 0 : delay;
  }

  set inputDelayTicks(value: number | 'auto') {
    validateConfigField('inputDelayTicks', value);
    if (this.engine && value !== 'auto') this.engine.inputDelayTicks = value;
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
    const refusal = roomEntryRefusal('createRoom', this.destroyed, this.stateValue, this.role);
    if (refusal) return Promise.reject(refusal);
    this.setState(SessionState.Connecting);
    this.roomIdValue = randomRoomId();
    this.addMember(hostMember(this.joinerLocal(), this.transport.localPeerId));
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
    return this.askToJoin((peerId, local) => joinAsk(roomId, hostPeerId, peerId, local));
  }

  /**
   * What this player needs to take its slot back from a fresh session after its page was
   * reloaded (see {@link Session.rejoinRoom}), or `null`: not a player in a running game, the
   * host (a host that leaves hands the room on), or the host's token has not arrived yet. The
   * token is a secret between the host and this player: keep it in `sessionStorage`, never in
   * a URL. Read it when the page goes away (`pagehide`): the host hands out a new token after
   * every rejoin and a host migration.
   */
  get rejoinTicket(): RejoinTicket | null {
    return this.survival.rejoinTicket(this.stateValue, this.roomIdValue, this.localId);
  }

  /**
   * Takes a player's slot back from a fresh session (a reloaded page) with the
   * {@link Session.rejoinTicket} its previous session had. The player must have been in a
   * running game that still keeps its slot (`reconnectWindowMs` after its connection dropped),
   * this session must use the same `localPlayerId` and its transport the same peer id (the
   * signaling server's resume). The host checks the token: the session joins the room like a
   * late joiner, in the old slot with the old id and metadata, nobody sees the player leave or
   * join (they see it away and back), and it plays from the state the host sends.
   * @param ticket - The previous session's ticket.
   * @returns A promise that resolves once the game's state arrived (`Playing`), and rejects
   *   like {@link Session.joinRoom}'s: RbnError `'JOIN_REJECTED'` when the host refuses the
   *   token (wrong, or stale: spent by an earlier rejoin) or no longer keeps the slot,
   *   `'INVALID_ARGUMENT'` for a malformed ticket or a `localPlayerId` other than its
   *   `playerId`.
   */
  rejoinRoom(ticket: RejoinTicket): Promise<void> {
    return this.askToJoin((peerId, local) => rejoinRequest(ticket, peerId, local));
  }

  /** `joinRoom` and `rejoinRoom`: the misuse checks, then the request (and proof) to the host. */
  private askToJoin(ask: (localPeerId: string, local: JoinerLocal) => JoinAsk | RbnError) {
    const refusal = roomEntryRefusal('joinRoom', this.destroyed, this.stateValue, this.role);
    if (refusal) return Promise.reject(refusal);
    const asked = ask(this.transport.localPeerId, this.joinerLocal());
    if (asked instanceof RbnError) return Promise.reject(asked);
    this.setState(SessionState.Connecting);
    return this.joining.begin(asked, this.clock.now(), this.failJoinBound);
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
    this.survival.setLocalAway(away, this.engine, this.stateValue, this.role);
  }

  /**
   * Tells the session that a peer left for good, as something outside it knows (a signaling
   * server saw its page leave, or its resume window run out): `@rbn/online` calls this. On a
   * member, a host it already lost (its link closed or went silent) is then replaced at once,
   * as if its goodbye had arrived, instead of after `hostLossGraceMs`; one lost later is
   * replaced at once too. On the host, a member of that peer whose link is lost leaves now
   * (`playerLeft`, reason Disconnected) instead of when its `reconnectWindowMs` runs out, and
   * one whose link is lost later at once. A peer whose link still carries messages is not
   * affected, so whoever calls this can only hasten what a lost link brings anyway.
   * @param peerId - The transport peer id that left.
   */
  peerLeft(peerId: string): void {
    this.assertAlive();
    this.survival.peerLeft(peerId, this.engine, this.cfg, this.clock.now());
  }

  /**
   * Leaves the room. A player leaving a game in progress leaves at a tick the host chooses and
   * announces. When the host leaves, the lowest present player slot that is not away takes
   * over as host (`hostChanged`) and the room goes on; it ends only when no player is left.
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
    this.pausing.pause(this.stateValue, this.engine);
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
    if (this.pausing.resume(this.stateValue, this.cfg.resumeCountdownSeconds)) this.finishResume();
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
    this.departures.dropPlayer(playerId, metadata, this.engine, this.cfg);
  }

  /**
   * Asks for the authoritative state now (a non-host only, while playing): the host answers
   * with its newest confirmed state, which this session loads.
   * @throws RbnError `'INVALID_STATE'` for the host or when not playing.
   */
  requestSync(): void {
    this.assertAlive();
    this.desync.requestFromHost(this.engine);
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
    const { cfg, clock, currentTick } = this;
    const pending = link ? pendingInputs(link, this.roster, this.engine) : 0;
    return (
      link?.stats(currentTick, clock.now(), cfg.tickRate / 1000, pending, maxSilenceMs(cfg)) ?? null
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
    const t = this.transport;
    if (t.onMessage === this.onTransportMessage) t.onMessage = null;
    if (t.onConnect === this.onTransportConnect) t.onConnect = null;
    if (t.onDisconnect === this.onTransportDisconnect) t.onDisconnect = null;
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
    this.loopWatch.ticked(now, this.stateValue === SessionState.Playing);
    const result = this.result;
    // Field by field: Object.assign costs more than the four stores, on every frame.
    result.advanced = FRESH_FRAME.advanced;
    result.rolledBack = FRESH_FRAME.rolledBack;
    result.rollbackTicks = FRESH_FRAME.rollbackTicks;
    result.stalled = FRESH_FRAME.stalled;

    const timedOut = this.joining.timeoutError(now, this.cfg.joinTimeout);
    if (timedOut) this.failJoin(timedOut);

    const engine = this.engine;
    if (engine && this.stateValue === SessionState.Playing && this.survival.localPlays) {
      if (this.role === PlayerRole.Spectator) {
        this.spectating.advance(engine, this.cfg, result, this.advantage);
      } else {
        this.inputs.capConfirmation(engine, this.cfg);
        advanceFrame(engine, localInput, result, this.framesAhead, now, this.advantage);
      }
    } else {
      result.tick = engine ? engine.currentTick : -1;
    }
    // Not `confirmedTick`: in a frame the engine did not tick (away, paused), inputs that
    // arrived since may disagree with predictions the game's states still hold.
    result.confirmedTick = engine ? engine.simulatedConfirmedTick : -1;
    if (engine && this.recording.active) this.recording.capture(engine, this.roster);
    this.desync.frame(engine, this.cfg, now);

    if (engine && this.role !== PlayerRole.Spectator)
      this.inputs.autoDelay.frame(engine, this.links, this.cfg, now);
    if (this.stateValue !== SessionState.Disconnected) this.networkFrame(now);
    return result;
  }

  private networkFrame(now: number): void {
    const engine = this.engine;
    const links = this.links.list;
    for (let k = 0; k < links.length; k++) {
      const link = links[k]!;
      this.inputs.flush(link, engine, this.cfg, now);
      this.liveness.ping(link, engine, this.cfg.pingInterval, now);
      link.rollWindow(now);
    }
    this.endRoomIf(this.survival.frame(engine, this.stateValue, this.cfg, now));
    if (this.stateValue === SessionState.Playing || this.stateValue === SessionState.Paused) {
      const gone = this.liveness.check(engine, this.cfg, now);
      if (gone) this.handlePeerGone(gone.peerId, gone.why);
      else if (engine) {
        const ahead = this.advantage.reportDue(engine, this.links, this.roster, this.cfg, now);
        if (ahead !== null) this.emitter.emit('timeSync', ahead);
      }
    }
    if (this.pausing.frame(now)) this.finishResume();
  }

  private finishResume(): void {
    this.pausing.announceResume(this.engine);
    this.setState(SessionState.Playing);
  }

  // -------------------------------------------------------------------------------------------
  // Receiving (the table of message types is dispatch.ts)

  private receive(peerId: string, bytes: Uint8Array): void {
    if (this.destroyed) return;
    const now = this.clock.now();
    const hosting = this.stateValue === SessionState.Playing && this.roster.isHost;
    if (hosting && this.loopWatch.stopped(now, this.cfg.disconnectTimeout)) {
      this.leaveUnticked();
      return;
    }
    const link = this.links.get(peerId);
    this.liveness.received(link, bytes.byteLength, now);
    if (this.inputs.receiveBytes(peerId, bytes, link, this.engine, this.cfg, now)) return;
    const decoded = tryDecodeMessage(bytes);
    if (!decoded.ok) {
      this.report.error('protocol', decoded.error, peerId);
      return;
    }
    const message = decoded.message;
    this.safely(() => dispatch(this.receivers, peerId, message, link, now), peerId, message.type);
  }

  // -------------------------------------------------------------------------------------------
  // Joining, joiner side (the decisions are join.ts): applying their outcomes

  private applyJoinAccept(outcome: JoinAcceptOutcome): void {
    if (outcome.kind === 'failed' && outcome.leave) this.departures.announceLeave(this.engine);
    if (outcome.kind === 'failed') this.failJoin(outcome.error);
    if (outcome.kind !== 'seated') return;
    this.cfg = outcome.cfg;
    this.roomIdValue = outcome.roomId;
    this.advantage.reset(this.cfg.tickRate);
    this.relink();
    const { transport, roster, links, report } = this;
    for (const peerId of outcome.connect) connectMember(transport, roster, links, report, peerId);
    // A game in progress: the start state follows at once; the join completes with it.
    if (outcome.inProgress) return;
    this.setState(SessionState.Lobby);
    for (const member of this.roster.all()) this.emitter.emit('playerJoined', member.info);
    this.joining.succeed();
  }

  private handleStateSync(peerId: string, message: StateSyncMessage): void {
    if (!startStateWelcome(this.joiner, peerId, message, this.stateValue, this.engine)) return;
    applyStartPlayers(this.roster, message.players);
    this.relink();
    const engine = this.createEngine(message.tick);
    engine.loadState(message.tick, message.state);
    this.desync.dropPending();
    completeLateJoin(this.joining, this.roster, this.emitter);
    this.enterPlaying();
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
      // Dropped before the host answered: ask again over a new connection (a few times).
      if (this.joining.hostLinkLost()) return;
      this.failJoin(new RbnError('JOIN_FAILED', `joinRoom: lost the host: ${why}`));
      return;
    }
    if (this.joining.awaitingStart && peerId === this.roster.hostPeerId) {
      // Admitted into a running game, the state on its way: ask again for our slot.
      const proof = this.survival.ownRejoinProof();
      if (proof && this.joining.startLost(proof)) {
        this.roster.clear();
        this.links.clear();
        this.survival.reset();
        return;
      }
      this.failJoin(new RbnError('JOIN_FAILED', `joinRoom: lost the host: ${why}`));
      return;
    }
    // A player that lost its connection keeps its slot for a while (see reconnect.ts).
    if (this.survival.peerGone(peerId, this.engine, this.cfg, this.clock.now())) return;
    this.endRoomIf(
      this.departures.onPeerGone(peerId, why, this.engine, this.cfg, this.clock.now()),
    );
  }

  /**
   * A host whose game loop stopped while its page lives (see {@link LoopWatch}) hands the room
   * on as if it left, and says why: the others would otherwise wait for its inputs for good.
   */
  private leaveUnticked(): void {
    const ms = this.cfg.disconnectTimeout;
    const why =
      `tick() was not called for ${ms} ms while this session hosted a running game and ` +
      'messages kept arriving (did the game loop stop, or does it run only on animation ' +
      'frames in a hidden tab? tickWhileHiddenHost keeps a hidden host ticking): it left the ' +
      'room, which goes on under the next player';
    this.leaveRoom();
    this.report.error('session', new RbnError('LOOP_STOPPED', why), undefined, undefined, false);
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
    this.pausing.cancel();
    this.loopWatch.reset();
    this.survival.reset();
    this.desync.reset();
    this.inputs.reset();
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

  /** The local member as a joiner. */
  private joinerLocal(): JoinerLocal {
    return { playerId: this.localId, role: this.role, metadata: this.localMetadata };
  }

  private roomStatus(): RoomStatus {
    return { roomId: this.roomIdValue, state: this.stateValue, engine: this.engine, cfg: this.cfg };
  }

  private createEngine(startTick: Tick): RollbackEngine {
    const { game, cfg, role, roster, predictor } = this;
    const costClock = (): number => this.clock.now();
    const engine = buildEngine({ game, cfg, role, roster, predictor, costClock }, startTick);
    // The session's own wiring; the engine is never handed out, so nobody can replace it.
    engine.onConfirmedHash = this.desync.onConfirmedHash;
    this.desync.dropPending();
    for (const link of this.links.list) link.startAcks((slot) => this.roster.at(slot)?.joinTick);
    this.engine = engine;
    this.view = engineView(engine);
    this.spectating.reset();
    return engine;
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
