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
  encodeMessage,
  isReliableMessageType,
  sameBytes,
  tryDecodeMessage,
} from '@rbn/protocol';
import type {
  DropPlayerMessage,
  HashMessage,
  InputAckEntry,
  InputMessage,
  InputRun,
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
  WirePlayer,
} from '@rbn/protocol';
import { ROOM_CONFIG_FIELDS, resolveSessionConfig, validateConfigField } from './config';
import { defaultNow } from './internal/clock';
import { Emitter } from './internal/emitter';
import { Link, SLOT_COUNT } from './internal/link';
import { SlidingWindowRateLimiter } from './rate-limiter';
import { ReplayRecorder } from './replay';
import { TimeSync } from './time-sync';
import { DesyncAuthority, PlayerRole, SessionState, Topology } from './types';
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

/** A source of milliseconds (monotonic). */
export interface Clock {
  /** The current time in milliseconds. */
  now(): number;
}

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

/** A room member, as the session tracks it internally. */
type Member = {
  slot: number;
  playerId: PlayerId;
  peerId: string;
  role: PlayerRole;
  joinTick: Tick;
  leaveTick: Tick;
  isHost: boolean;
  isLocal: boolean;
  info: PlayerInfo;
};

type PendingJoin = {
  roomId: string;
  hostPeerId: string;
  startedAt: number;
  resolve: () => void;
  reject: (error: Error) => void;
};

const HOST_SLOT = 0;
const SYNC_REQUEST_TIMEOUT_MS = 3000;
const SYNC_RESPONSE_MIN_INTERVAL_MS = 250;
const LAG_REPORT_INTERVAL_MS = 1000;
const TIME_SYNC_INTERVAL_MS = 1000;
const HASH_HISTORY = 16;
/** Ticks a confirmed hash waits before it is sent (see `releaseHashes`). */
const HASH_DELAY_TICKS = 30;
/** Ticks between the host's newest input and a late joiner's first counted tick. */
const JOIN_MARGIN_TICKS = 4;
/** A peer this many ticks behind the others runs extra ticks to catch up. */
const CATCH_UP_THRESHOLD = 4;
const TIME_SYNC_THRESHOLD_FRAMES = 0;
const TIME_SYNC_STRETCH_PER_FRAME = 0.05;

function randomRoomId(): string {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  const bytes = new Uint8Array(8);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let id = '';
  for (const b of bytes) id += b.toString(16).padStart(2, '0');
  return id;
}

function toWireRole(role: PlayerRole): WireRole {
  return role === PlayerRole.Spectator ? WireRole.Spectator : WireRole.Player;
}

function fromWireRole(role: WireRole): PlayerRole {
  return role === WireRole.Spectator ? PlayerRole.Spectator : PlayerRole.Player;
}

/**
 * A multiplayer session: room lifecycle, star or mesh topology, input exchange, desync
 * detection and recovery, lag and pause. Create one with {@link createSession}; drive it by
 * calling {@link Session.tick} once per frame (also in the lobby and while paused): the session
 * has no timers, everything advances from `tick()` and from arriving messages.
 */
export class Session {
  private readonly game: Game<Uint8Array>;
  private readonly transport: TransportAdapter;
  private readonly clock: Clock;
  private readonly predictor: InputPredictor<Uint8Array> | undefined;
  private readonly emitter = new Emitter();
  private cfg: SessionConfig;
  private readonly joinLimiter: SlidingWindowRateLimiter;
  private timeSyncEstimator: TimeSync;

  private stateValue = SessionState.Disconnected;
  private roomIdValue: string | null = null;
  private host = false;
  private hostPeerId: string | null = null;
  private role = PlayerRole.Player;
  private readonly localId: PlayerId;
  private localSlot = -1;
  private destroyed = false;
  private started = false;

  private readonly members: (Member | undefined)[] = new Array<Member | undefined>(SLOT_COUNT);
  private readonly memberByPeer = new Map<string, Member>();
  private readonly playersMap = new Map<PlayerId, PlayerInfo>();
  private readonly links = new Map<string, Link>();
  private linkList: Link[] = [];
  /** Remote members who play (for per-frame lag checks), rebuilt with the links. */
  private remotePlayers: Member[] = [];
  private pendingJoin: PendingJoin | null = null;
  private bulk = false;
  // Replay recording (see startRecording).
  private recordingWanted = false;
  private recorder: ReplayRecorder | null = null;
  private recordedThrough: Tick = -1;
  private finishedReplay: Uint8Array | null = null;
  private catchUpCount = 0;

  private engine: RollbackEngine | null = null;
  private readonly result: TickResult = {
    tick: -1,
    advanced: false,
    rolledBack: false,
    rollbackTicks: 0,
    stalled: false,
    confirmedTick: -1,
  };

  // Desync detection and recovery.
  private readonly localHashes = new Map<Tick, number>();
  private readonly remoteHashes = new Map<Tick, Map<number, number>>();
  private readonly decidedTicks = new Set<Tick>();
  private hashFloor = 0;
  /** Confirmed ticks whose hash waits for `releaseHashes`, and the engine's hash of each. */
  private readonly pendingHashTicks: Tick[] = [];
  private readonly pendingHashFallback: number[] = [];
  private syncRequest: { peerId: string; at: number; forwardTo: string[] } | null = null;
  private readonly lastSyncSentTick = new Map<string, Tick>();

  // Pause and countdown.
  private countdown: { endsAt: number; announced: number } | null = null;

  // Periodic work.
  private readonly lastLagReportAt = new Float64Array(SLOT_COUNT).fill(-Infinity);
  private lastTimeSyncAt = -Infinity;

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
    this.timeSyncEstimator = this.newTimeSync();
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
    return this.playersMap;
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
    return this.timeSyncEstimator.frameDelayMultiplier;
  }

  /** The frame interval the game loop should use, in milliseconds: `1000 / tickRate × frameDelayMultiplier`. */
  get recommendedFrameDelayMs(): number {
    return (1000 / this.cfg.tickRate) * this.timeSyncEstimator.frameDelayMultiplier;
  }

  /** Extra ticks run so far to catch up with the other peers (see {@link Session.recommendedFrameDelayMs}). */
  get catchUpTicks(): number {
    return this.catchUpCount;
  }

  /** The rollback engine while playing (for statistics and debugging), else `null`. */
  get rollbackEngine(): RollbackEngine | null {
    return this.engine;
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
            this.ensureLink(hostPeerId);
            const request: JoinRequestMessage = {
              type: MessageType.JoinRequest,
              protocolVersion: PROTOCOL_VERSION,
              roomId,
              playerId: this.localId,
              role: toWireRole(this.role),
            };
            this.sendTo(hostPeerId, request);
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
      for (const link of this.linkList) this.sendTo(link.peerId, message);
    } else if (this.hostPeerId !== null) {
      this.sendTo(this.hostPeerId, message);
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
    for (const member of this.members) {
      if (member && member.role === PlayerRole.Player)
        this.updateMember(member, { joinTick: startTick });
    }
    this.createEngine(startTick);
    const state = this.game.serialize();
    const message: StateSyncMessage = {
      type: MessageType.StateSync,
      tick: startTick,
      hash: this.game.hash() >>> 0,
      state,
      players: this.wirePlayers(),
    };
    const bytes = this.encode(message);
    for (const link of this.linkList) this.sendBytes(link, bytes, true);
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
    this.broadcastControl({ type: MessageType.Pause, tick });
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
    if (this.countdown) return;
    const seconds = this.cfg.resumeCountdownSeconds;
    if (seconds <= 0) {
      this.finishResume();
      return;
    }
    this.countdown = { endsAt: this.clock.now() + seconds * 1000, announced: seconds };
    this.broadcastControl({ type: MessageType.ResumeCountdown, seconds });
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
    const member = this.findActiveMember(playerId);
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
    const tick = this.chooseLeaveTick(member);
    const message: DropPlayerMessage = {
      type: MessageType.DropPlayer,
      slot: member.slot,
      tick: Math.max(0, tick),
      metadata: metadata ?? null,
    };
    const bytes = this.encode(message);
    for (const link of this.linkList) this.sendBytes(link, bytes, true);
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
    if (this.recordingWanted)
      throw new RbnError('INVALID_STATE', 'startRecording: already recording');
    this.recordingWanted = true;
    this.recorder = null;
    this.finishedReplay = null;
  }

  /**
   * Ends the recording and returns the replay blob, for {@link playReplay}.
   * @returns The replay: from the state where the recording started to the newest recorded
   * confirmed tick, with the hash of that final state.
   * @throws RbnError `'INVALID_STATE'` when not recording, or nothing was confirmed yet.
   */
  stopRecording(): Uint8Array {
    this.assertAlive();
    if (!this.recordingWanted) throw new RbnError('INVALID_STATE', 'stopRecording: not recording');
    if (this.engine && !this.finishedReplay) {
      this.recordConfirmed(this.engine);
      this.endRecording(this.engine);
    }
    this.recordingWanted = false;
    this.recorder = null;
    const blob = this.finishedReplay;
    this.finishedReplay = null;
    if (!blob) throw new RbnError('INVALID_STATE', 'stopRecording: nothing was confirmed yet');
    return blob;
  }

  /**
   * Measurements of the link to one peer.
   * @param peerId - The remote peer's id.
   * @returns The link's statistics, or `null` when the session has no link to that peer.
   */
  getNetworkStats(peerId: string): NetworkStats | null {
    const link = this.links.get(peerId);
    if (!link) return null;
    const now = this.clock.now();
    return link.stats(
      this.currentTick,
      now,
      this.cfg.tickRate / 1000,
      this.pendingInputs(link),
      this.maxSilenceMs(),
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
      const r = engine.tick(localInput);
      if (r.status === 'advanced') {
        result.tick = r.tick;
        result.advanced = true;
        result.rolledBack = r.rolledBack;
        result.rollbackTicks = r.rollbackTicks;
        // Time sync: a peer well behind the others (a late joiner, a spectator, a tab that was
        // hidden) runs one extra tick per frame until it caught up.
        const ahead = this.framesAhead(now);
        if (ahead !== null && ahead <= -CATCH_UP_THRESHOLD) {
          const extra = engine.tick(localInput);
          if (extra.status === 'advanced') {
            result.tick = extra.tick;
            result.rolledBack = result.rolledBack || extra.rolledBack;
            result.rollbackTicks += extra.rollbackTicks;
            this.catchUpCount++;
          }
        }
      } else {
        result.tick = r.tick;
        result.stalled = true;
      }
    } else {
      result.tick = engine ? engine.currentTick : -1;
    }
    result.confirmedTick = engine ? engine.confirmedTick : -1;
    if (engine && this.recordingWanted) this.recordConfirmed(engine);
    if (engine && this.pendingHashTicks.length > 0) this.releaseHashes(engine);

    if (this.stateValue !== SessionState.Disconnected) this.networkFrame(now);
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Internals: frame work

  private networkFrame(now: number): void {
    const engine = this.engine;
    for (const link of this.linkList) {
      if (engine) this.flushInputs(link, engine, now);
      else if (now - link.lastSendAt >= this.cfg.keepaliveInterval) this.sendAck(link);
      if (now - link.lastPingAt >= this.cfg.pingInterval) {
        link.lastPingAt = now;
        const timestamp = Math.floor(now) >>> 0;
        link.notePing(timestamp);
        this.sendTo(link.peerId, {
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
        this.emitTimeSync(now);
      }
    }
    if (this.countdown) this.advanceCountdown(now);
    if (this.syncRequest && now - this.syncRequest.at > SYNC_REQUEST_TIMEOUT_MS) {
      this.syncRequest = null;
    }
  }

  /**
   * Sends this link's one message of the frame, if any. Inputs go out at once when one of them
   * changed (a changed input is what causes rollbacks on the other side), else every
   * `inputHeartbeatTicks` frames so the peer can confirm; each message carries every input
   * the peer has not acknowledged, and our acks. With no inputs to send, a bare ack goes out on
   * the same heartbeat when the peer needs our acks, and a keepalive when the link is idle.
   */
  private flushInputs(link: Link, engine: RollbackEngine, now: number): void {
    link.framesSinceInputSend++;
    const due = link.framesSinceInputSend >= this.cfg.inputHeartbeatTicks;
    // A spectator gets confirmed inputs only: it never predicts, so it never rolls back.
    const cap = this.spectatorLink(link) ? engine.confirmedTick : Number.POSITIVE_INFINITY;
    let changed = false;
    let pending = false;
    for (const slot of link.sendSlots) {
      const member = this.members[slot];
      if (!member || member.joinTick < 0 || member.role !== PlayerRole.Player) continue;
      const upTo = Math.min(this.inputsUpTo(member, engine), cap);
      const acked = link.acked[slot]!;
      if (upTo <= acked) continue;
      pending = true;
      if (changed) continue;
      // Ticks up to scannedUpTo were compared on an earlier frame and repeat their
      // predecessor: only the newest ones need a look.
      let t =
        Math.max(link.sentUpTo[slot]!, link.scannedUpTo[slot]!, acked, member.joinTick - 1) + 1;
      if (t > upTo) continue;
      let previous = t > member.joinTick ? engine.getInput(member.playerId, t - 1) : undefined;
      for (; t <= upTo; t++) {
        const input = engine.getInput(member.playerId, t);
        if (input === undefined) break;
        if (previous === undefined || !sameBytes(input, previous)) {
          changed = true;
          break;
        }
        link.scannedUpTo[slot] = t;
        previous = input;
      }
    }
    if (pending && (changed || due)) {
      const runs: InputRun[] = [];
      const maxRun = DEFAULT_LIMITS.maxInputsPerRun;
      for (const slot of link.sendSlots) {
        const member = this.members[slot];
        if (!member || member.joinTick < 0 || member.role !== PlayerRole.Player) continue;
        const upTo = Math.min(this.inputsUpTo(member, engine), cap);
        const from = Math.max(link.acked[slot]! + 1, member.joinTick);
        if (upTo < from) continue;
        const count = Math.min(upTo - from + 1, maxRun);
        const inputs: Uint8Array[] = [];
        for (let t = from; t < from + count; t++) {
          const input = engine.getInput(member.playerId, t);
          if (input === undefined) break;
          inputs.push(input);
        }
        if (inputs.length === 0) continue;
        runs.push({ slot, startTick: from, inputs });
        const last = from + inputs.length - 1;
        if (last > link.sentUpTo[slot]!) link.sentUpTo[slot] = last;
      }
      if (runs.length > 0) {
        const message: InputMessage = {
          type: MessageType.Input,
          senderTick: engine.currentTick,
          acks: this.acksFor(link, engine),
          runs,
        };
        this.sendBytes(link, this.encode(message), false);
        link.ackDirty = false;
        link.framesSinceInputSend = 0;
        return;
      }
    }
    if ((link.ackDirty && due) || now - link.lastSendAt >= this.cfg.keepaliveInterval) {
      this.sendAck(link);
      link.framesSinceInputSend = 0;
    }
  }

  /** Whether the link leads to a spectator (which this session relays inputs to). */
  private spectatorLink(link: Link): boolean {
    return this.memberByPeer.get(link.peerId)?.role === PlayerRole.Spectator;
  }

  /** The newest tick whose input of `member` we hold and may pass on. */
  private inputsUpTo(member: Member, engine: RollbackEngine): Tick {
    let upTo = member.isLocal ? engine.lastLocalInputTick : engine.getReceivedTick(member.playerId);
    if (member.leaveTick >= 0 && upTo >= member.leaveTick) upTo = member.leaveTick - 1;
    return upTo;
  }

  private sendAck(link: Link): void {
    const engine = this.engine;
    this.sendBytes(
      link,
      this.encode({
        type: MessageType.InputAck,
        senderTick: engine ? engine.currentTick : 0,
        acks: engine ? this.acksFor(link, engine) : [],
      }),
      false,
    );
    link.ackDirty = false;
  }

  private acksFor(link: Link, engine: RollbackEngine): InputAckEntry[] {
    const acks: InputAckEntry[] = [];
    for (const slot of link.acceptSlots) {
      const member = this.members[slot];
      if (!member || member.joinTick < 0) continue;
      let tick = engine.getReceivedTick(member.playerId);
      if (member.leaveTick > 0) {
        // A departed player: once every input before its leave tick counted, nothing more of
        // it is needed (the engine may have forgotten it already).
        const last = member.leaveTick - 1;
        if (tick >= last || engine.confirmedTick >= last) tick = last;
      }
      acks.push({ slot, tick });
    }
    return acks;
  }

  private pendingInputs(link: Link): number {
    const engine = this.engine;
    if (!engine) return 0;
    let pending = 0;
    const cap = this.spectatorLink(link) ? engine.confirmedTick : Number.POSITIVE_INFINITY;
    for (const slot of link.sendSlots) {
      const member = this.members[slot];
      if (!member || member.joinTick < 0 || member.role !== PlayerRole.Player) continue;
      const upTo = Math.min(this.inputsUpTo(member, engine), cap);
      const from = Math.max(link.acked[slot]! + 1, member.joinTick);
      if (upTo >= from) pending += upTo - from + 1;
    }
    return pending;
  }

  private checkLiveness(now: number): void {
    for (const link of this.linkList) {
      const silent = now - link.lastRecvAt;
      const member = this.memberByPeer.get(link.peerId);
      if (!member) continue;
      if (silent >= this.cfg.disconnectTimeout) {
        this.handlePeerGone(link.peerId, `no traffic for ${Math.round(silent)} ms`);
        return; // links changed; the rest is checked next frame
      }
      if (!link.interrupted && silent >= this.cfg.disconnectNotifyStart) {
        link.interrupted = true;
        this.emitter.emit(
          'networkInterrupted',
          member.playerId,
          Math.max(0, this.cfg.disconnectTimeout - silent),
        );
      }
    }
  }

  private checkLag(engine: RollbackEngine, now: number): void {
    const current = engine.currentTick;
    // Nobody's inputs lag further behind than the slowest player's: most frames end here.
    if (current - 1 - engine.inputsCompleteThrough < this.cfg.lagReportThreshold) return;
    for (const member of this.remotePlayers) {
      if (member.joinTick < 0 || member.leaveTick >= 0 || !engine.hasPlayer(member.playerId))
        continue;
      const behind = current - 1 - engine.getReceivedTick(member.playerId);
      if (behind < this.cfg.lagReportThreshold) continue;
      if (now - this.lastLagReportAt[member.slot]! < LAG_REPORT_INTERVAL_MS) continue;
      this.lastLagReportAt[member.slot] = now;
      this.emitter.emit('lagReport', member.playerId, behind);
      if (!this.host && this.hostPeerId !== null) {
        const report: LagReportMessage = {
          type: MessageType.LagReport,
          slot: member.slot,
          ticksBehind: Math.min(behind, 0x7fffffff),
        };
        this.sendTo(this.hostPeerId, report);
      }
    }
  }

  private emitTimeSync(now: number): void {
    if (now - this.lastTimeSyncAt < TIME_SYNC_INTERVAL_MS) return;
    this.lastTimeSyncAt = now;
    const ahead = this.framesAhead(now);
    if (ahead !== null) this.emitter.emit('timeSync', ahead);
  }

  /** Mean over player links of how many ticks the local game runs ahead of the peer. */
  private framesAhead(now: number): number | null {
    const engine = this.engine;
    if (!engine) return null;
    const ticksPerMs = this.cfg.tickRate / 1000;
    let sum = 0;
    let count = 0;
    for (const link of this.linkList) {
      const member = this.memberByPeer.get(link.peerId);
      if (!member || member.role !== PlayerRole.Player) continue;
      const remote = link.estimateRemoteTick(now, ticksPerMs, this.maxSilenceMs());
      if (remote < 0) continue;
      sum += engine.currentTick - remote;
      count++;
    }
    return count === 0 ? null : sum / count;
  }

  /** Records every input confirmed since the last call (starting the recorder if needed). */
  private recordConfirmed(engine: RollbackEngine): void {
    if (this.finishedReplay) return;
    let recorder = this.recorder;
    if (!recorder) {
      const start = engine.getConfirmedState();
      recorder = new ReplayRecorder({ startTick: start.tick, state: start.state });
      this.recorder = recorder;
      this.recordedThrough = start.tick - 1;
      for (const m of this.members) {
        if (!m || m.role !== PlayerRole.Player || m.joinTick < 0) continue;
        if (m.leaveTick >= 0 && m.leaveTick <= start.tick) continue;
        recorder.recordJoin(m.playerId, m.joinTick);
        if (m.leaveTick >= 0) recorder.recordLeave(m.playerId, m.leaveTick);
      }
    }
    const confirmed = engine.confirmedTick;
    for (let t = this.recordedThrough + 1; t <= confirmed; t++) {
      for (const m of this.members) {
        if (!m || m.role !== PlayerRole.Player || m.joinTick < 0 || m.joinTick > t) continue;
        if (m.leaveTick >= 0 && t >= m.leaveTick) continue;
        const input = engine.getInput(m.playerId, t);
        if (input) recorder.recordInput(m.playerId, t, input);
      }
    }
    if (confirmed > this.recordedThrough) this.recordedThrough = confirmed;
  }

  /** Closes the recording at the newest recorded tick (before a state load replaces history). */
  private endRecording(engine: RollbackEngine): void {
    const recorder = this.recorder;
    if (!recorder || this.finishedReplay) return;
    const finalTick = this.recordedThrough + 1;
    const snapshot = engine.getSnapshot(finalTick);
    if (!snapshot) return;
    this.finishedReplay = recorder.finish({ finalTick, finalHash: snapshot.hash });
    this.recorder = null;
  }

  /**
   * The session's frames-ahead estimator. Unlike {@link TimeSync}'s general defaults it has no
   * dead band and a stronger stretch (5 % per frame ahead): a peer settles where the dead band
   * ends, and even one frame ahead makes its rollbacks about twice as deep as the other's.
   */
  private newTimeSync(): TimeSync {
    return new TimeSync({
      tickRate: this.cfg.tickRate,
      thresholdFrames: TIME_SYNC_THRESHOLD_FRAMES,
      stretchPerFrame: TIME_SYNC_STRETCH_PER_FRAME,
    });
  }

  /** Feeds the frames-ahead estimator with a player's reported tick. */
  private addTimeSample(link: Link, remoteTick: Tick, engine: RollbackEngine): void {
    if (!link.hasRtt) return;
    const member = this.memberByPeer.get(link.peerId);
    if (!member || member.role !== PlayerRole.Player) return;
    this.timeSyncEstimator.addSample(link.peerId, link.rtt, remoteTick, engine.currentTick);
  }

  /** How long a silent peer is still assumed to advance: two heartbeats plus a margin. */
  private maxSilenceMs(): number {
    return ((2 * this.cfg.inputHeartbeatTicks + 2) * 1000) / this.cfg.tickRate;
  }

  private advanceCountdown(now: number): void {
    const countdown = this.countdown;
    if (!countdown) return;
    const left = Math.ceil((countdown.endsAt - now) / 1000);
    if (left <= 0) {
      this.countdown = null;
      this.finishResume();
      return;
    }
    if (left < countdown.announced) {
      countdown.announced = left;
      this.broadcastControl({ type: MessageType.ResumeCountdown, seconds: left });
      this.emitter.emit('resumeCountdown', left);
    }
  }

  private finishResume(): void {
    const tick = this.engine ? this.engine.currentTick : 0;
    this.broadcastControl({ type: MessageType.Resume, tick });
    this.resetLiveness();
    this.setState(SessionState.Playing);
  }

  // -------------------------------------------------------------------------------------------
  // Internals: receiving

  private receive(peerId: string, bytes: Uint8Array): void {
    if (this.destroyed) return;
    const now = this.clock.now();
    const link = this.links.get(peerId);
    if (link) {
      link.countReceived(bytes.byteLength, now);
      if (link.interrupted) {
        link.interrupted = false;
        const member = this.memberByPeer.get(peerId);
        if (member) this.emitter.emit('networkResumed', member.playerId);
      }
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
        if (link) this.handleInput(link, message.senderTick, message.acks, message.runs, now);
        return;
      case MessageType.InputAck:
        if (link) this.handleInput(link, message.senderTick, message.acks, null, now);
        return;
      case MessageType.Ping:
        this.sendTo(peerId, {
          type: MessageType.Pong,
          timestamp: message.timestamp,
          tick: this.engine ? this.engine.currentTick : 0,
        });
        return;
      case MessageType.Pong:
        if (link) {
          const answered = link.takePing(message.timestamp);
          if (answered === 'duplicate') return; // the network duplicated a pong
          if (answered === 'unknown') {
            this.peerError(peerId, message.type, 'a pong that answers no ping of ours');
            return;
          }
          const sample = ((Math.floor(now) >>> 0) - message.timestamp) >>> 0;
          if (sample < 60_000) link.addRttSample(sample);
          if (this.engine) {
            link.remoteTick = message.tick;
            link.remoteTickAt = now;
            this.addTimeSample(link, message.tick, this.engine);
          }
        }
        return;
      case MessageType.Hash:
        this.handleHash(peerId, message);
        return;
      case MessageType.Sync:
        this.handleSync(peerId, message);
        return;
      case MessageType.SyncRequest:
        this.handleSyncRequest(peerId, now);
        return;
      case MessageType.Pause:
        if (!this.fromHost(peerId, message.type)) return;
        if (this.stateValue === SessionState.Playing) this.setState(SessionState.Paused);
        return;
      case MessageType.Resume:
        if (!this.fromHost(peerId, message.type)) return;
        if (this.stateValue === SessionState.Paused) {
          this.resetLiveness();
          this.setState(SessionState.Playing);
        }
        return;
      case MessageType.ResumeCountdown:
        if (!this.fromHost(peerId, message.type)) return;
        this.emitter.emit('resumeCountdown', message.seconds);
        return;
      case MessageType.LagReport:
        this.handleLagReport(peerId, message);
        return;
      case MessageType.DisconnectReport:
        this.handleDisconnectReport(peerId, message.slot);
        return;
      case MessageType.DropPlayer:
        this.handleDropPlayer(peerId, message);
        return;
      case MessageType.JoinRequest:
        this.handleJoinRequest(peerId, message);
        return;
      case MessageType.JoinAccept:
        this.handleJoinAccept(peerId, message);
        return;
      case MessageType.JoinReject:
        this.handleJoinReject(peerId, message);
        return;
      case MessageType.StateSync:
        this.handleStateSync(peerId, message);
        return;
      case MessageType.PlayerJoined:
        this.handlePlayerJoined(peerId, message);
        return;
      case MessageType.PlayerLeft:
        this.handlePlayerLeft(peerId, message);
        return;
      default: {
        const unknown: never = message;
        this.peerError(peerId, undefined, `unexpected message ${String(unknown)}`);
      }
    }
  }

  private handleInput(
    link: Link,
    senderTick: Tick,
    acks: readonly InputAckEntry[],
    runs: readonly InputRun[] | null,
    now: number,
  ): void {
    const engine = this.engine;
    if (!engine) return;
    link.remoteTick = senderTick;
    link.remoteTickAt = now;
    // An input message leaves right after the sender's tick (its tick count is exact), while
    // ours is read at any point of a tick (half a tick short on average): correct that bias,
    // or the peer that is ahead would settle half a tick ahead.
    this.addTimeSample(link, senderTick - 0.5, engine);
    for (const ack of acks) {
      if (ack.tick > link.acked[ack.slot]!) link.acked[ack.slot] = ack.tick;
    }
    if (!runs) return;
    const reach = this.tickReach();
    let outOfReach = false;
    let refused = -1;
    for (const run of runs) {
      if (
        run.startTick > engine.currentTick + reach ||
        run.startTick + run.inputs.length - 1 < engine.currentTick - reach
      ) {
        // No honest peer sends inputs this far from our tick (it would have been dropped for
        // silence first); the engine would ignore them anyway, so say so once per message.
        outOfReach = true;
        continue;
      }
      if (link.accepts[run.slot] !== 1) {
        refused = run.slot;
        continue;
      }
      const member = this.members[run.slot];
      if (!member || member.joinTick < 0 || member.role !== PlayerRole.Player) continue;
      const inputs = run.inputs;
      for (let i = 0; i < inputs.length; i++) {
        engine.addRemoteInput(member.playerId, run.startTick + i, inputs[i]!);
      }
      link.ackDirty = true;
    }
    if (refused >= 0) {
      this.peerError(
        link.peerId,
        MessageType.Input,
        `inputs for slot ${refused}, which this peer may not send`,
      );
    }
    if (outOfReach) {
      this.peerError(
        link.peerId,
        MessageType.Input,
        `inputs more than ${reach} ticks away from tick ${engine.currentTick}`,
      );
    }
  }

  /**
   * How far (in ticks) from our current tick an honest peer's inputs or hashes can be: its
   * speculation window, plus the ticks of `disconnectTimeout` (a peer silent longer is dropped),
   * plus one full run of resent inputs.
   */
  private tickReach(): number {
    return (
      this.cfg.maxSpeculationTicks +
      Math.ceil((this.cfg.disconnectTimeout * this.cfg.tickRate) / 1000) +
      DEFAULT_LIMITS.maxInputsPerRun
    );
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
    const member = this.members[message.slot];
    if (!member || !this.memberByPeer.has(peerId)) return;
    this.emitter.emit('lagReport', member.playerId, message.ticksBehind);
  }

  // -------------------------------------------------------------------------------------------
  // Internals: room management

  private handleJoinRequest(peerId: string, message: JoinRequestMessage): void {
    const reject = (reason: JoinRejectReason, text: string): void => {
      const answer: JoinRejectMessage = { type: MessageType.JoinReject, reason, message: text };
      this.sendTo(peerId, answer);
    };
    if (!this.host) {
      reject(JoinRejectReason.NotAccepting, 'this peer does not host a room');
      return;
    }
    if (!this.joinLimiter.tryAcquire(peerId)) {
      const wait = Math.ceil(this.joinLimiter.retryAfterMs(peerId));
      reject(JoinRejectReason.RateLimited, `too many join requests; try again in ${wait} ms`);
      return;
    }
    if (message.protocolVersion !== PROTOCOL_VERSION) {
      reject(
        JoinRejectReason.VersionMismatch,
        `protocol version ${message.protocolVersion} is not supported; the host speaks version ${PROTOCOL_VERSION}`,
      );
      return;
    }
    if (message.roomId !== this.roomIdValue) {
      reject(JoinRejectReason.WrongRoom, `no room '${message.roomId}' here`);
      return;
    }
    if (
      this.stateValue !== SessionState.Lobby &&
      this.stateValue !== SessionState.Playing &&
      this.stateValue !== SessionState.Paused
    ) {
      reject(JoinRejectReason.NotAccepting, 'the room is closing');
      return;
    }
    if (this.memberByPeer.has(peerId) || this.findActiveMember(message.playerId)) {
      reject(
        JoinRejectReason.DuplicatePlayer,
        `player '${message.playerId}' is already in the room`,
      );
      return;
    }
    const role = fromWireRole(message.role);
    let players = 0;
    let spectators = 0;
    for (const m of this.members) {
      if (!m || m.leaveTick >= 0) continue;
      if (m.role === PlayerRole.Player) players++;
      else spectators++;
    }
    if (role === PlayerRole.Player && players >= this.cfg.maxPlayers) {
      reject(JoinRejectReason.RoomFull, `the room is full (${this.cfg.maxPlayers} players)`);
      return;
    }
    if (role === PlayerRole.Spectator && spectators >= this.cfg.maxSpectators) {
      reject(JoinRejectReason.RoomFull, `the room is full (${this.cfg.maxSpectators} spectators)`);
      return;
    }
    let slot = -1;
    for (let s = 1; s < SLOT_COUNT; s++) {
      if (this.members[s] === undefined) {
        slot = s;
        break;
      }
    }
    if (slot < 0) {
      // Slots of members who left a game in progress are not reused (their inputs and leave
      // tick stay addressable by slot until the game ends), so a game admits at most 255 joins.
      const text = `this game has used all ${SLOT_COUNT - 1} join slots (slots of members who left are not reused while a game runs); the host must start a new room`;
      reject(JoinRejectReason.RoomFull, text);
      this.reportError('session', new RbnError('SLOTS_EXHAUSTED', text), peerId, message.type);
      return;
    }
    // A game in progress: the joiner's inputs count from a tick no peer can have confirmed
    // yet (after the host's newest input, plus a margin for reordering), so everyone adds the
    // player at that same tick without a visible correction.
    const engine = this.engine;
    let joinTick = -1;
    if (engine) {
      joinTick =
        Math.max(engine.lastLocalInputTick, engine.currentTick - 1) + 1 + JOIN_MARGIN_TICKS;
      if (role === PlayerRole.Player) {
        try {
          engine.addPlayer(message.playerId, joinTick);
          this.recorder?.recordJoin(message.playerId, joinTick);
        } catch (error) {
          reject(
            JoinRejectReason.DuplicatePlayer,
            `player '${message.playerId}' is still leaving; try again shortly (${String(error)})`,
          );
          return;
        }
      }
    }
    const member = this.addMember({
      slot,
      playerId: message.playerId,
      peerId,
      role,
      joinTick,
      leaveTick: -1,
    });
    const config: Record<string, number> = {};
    for (const field of ROOM_CONFIG_FIELDS) config[field] = this.cfg[field];
    const accept: JoinAcceptMessage = {
      type: MessageType.JoinAccept,
      roomId: this.roomIdValue,
      slot,
      players: this.wirePlayers(),
      config,
    };
    this.sendTo(peerId, accept);
    const joined: PlayerJoinedMessage = {
      type: MessageType.PlayerJoined,
      player: this.toWire(member),
    };
    const bytes = this.encode(joined);
    for (const link of this.linkList) if (link.peerId !== peerId) this.sendBytes(link, bytes, true);
    if (this.cfg.topology === Topology.Mesh && role === PlayerRole.Player && players + 1 > 4) {
      this.reportError(
        'session',
        new RbnError(
          'MESH_TOO_LARGE',
          `mesh with ${players + 1} players: every player links to every other (${((players + 1) * players) / 2} links); more than 4 is not recommended, use Topology.Star`,
        ),
      );
    }
    // Before the state is taken, so the game can prepare for the player.
    this.emitter.emit('playerJoined', member.info);
    if (engine) {
      const snapshot = engine.getConfirmedState();
      const link = this.links.get(peerId);
      if (link) {
        for (const s of link.sendSlots) {
          if (link.acked[s]! < snapshot.tick - 1) link.acked[s] = snapshot.tick - 1;
        }
      }
      const sync: StateSyncMessage = {
        type: MessageType.StateSync,
        tick: snapshot.tick,
        hash: snapshot.hash >>> 0,
        state: snapshot.state,
        players: this.wirePlayers(snapshot.tick),
      };
      this.sendTo(peerId, sync);
      // A paused game stays paused for the joiner too.
      if (this.stateValue === SessionState.Paused) {
        this.sendTo(peerId, { type: MessageType.Pause, tick: engine.currentTick });
      }
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
      this.failJoin(
        new RbnError(
          'JOIN_REJECTED',
          `joinRoom: the host's room settings are invalid: ${String(error)}`,
        ),
      );
      return;
    }
    this.roomIdValue = message.roomId;
    this.localSlot = message.slot;
    this.timeSyncEstimator = this.newTimeSync();
    this.pendingJoin = null;
    this.bulk = true;
    for (const wire of message.players) {
      this.addMember({
        slot: wire.slot,
        playerId: wire.playerId,
        peerId: wire.peerId,
        role: fromWireRole(wire.role),
        joinTick: -1, // in the lobby; the start state sets it
        leaveTick: -1,
      });
    }
    if (!this.members[message.slot]) {
      this.addMember({
        slot: message.slot,
        playerId: this.localId,
        peerId: this.transport.localPeerId,
        role: this.role,
        joinTick: -1,
        leaveTick: -1,
      });
    }
    this.bulk = false;
    this.rebuildLinks();
    this.setState(SessionState.Lobby);
    for (const member of this.members) if (member) this.emitter.emit('playerJoined', member.info);
    if (this.cfg.topology === Topology.Mesh && this.role === PlayerRole.Player) {
      for (const member of this.members) {
        if (!member || member.isLocal || member.isHost || member.role !== PlayerRole.Player)
          continue;
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
      const member = this.members[wire.slot];
      if (member && member.playerId === wire.playerId) {
        this.updateMember(member, { joinTick: wire.joinTick, leaveTick: wire.leaveTick });
      } else if (!member) {
        const added = this.addMember({
          slot: wire.slot,
          playerId: wire.playerId,
          peerId: wire.peerId,
          role: fromWireRole(wire.role),
          joinTick: wire.joinTick,
          leaveTick: wire.leaveTick,
        });
        if (wire.leaveTick >= 0) {
          // Departed, but its inputs still count after the state's tick.
          this.playersMap.delete(added.playerId);
          this.memberByPeer.delete(added.peerId);
          this.rebuildLinks();
        }
      }
    }
    this.createEngine(message.tick);
    this.engine!.loadState(message.tick, message.state);
    this.pendingHashTicks.length = 0;
    this.pendingHashFallback.length = 0;
    const hash = this.game.hash() >>> 0;
    if (hash !== message.hash >>> 0) {
      this.reportError(
        'session',
        new RbnError(
          'STATE_MISMATCH',
          `the start state hashes to ${hash} here but ${message.hash} on the host: serialize/deserialize/hash are not deterministic`,
        ),
        peerId,
        message.type,
      );
    }
    this.enterPlaying();
  }

  private handlePlayerJoined(peerId: string, message: PlayerJoinedMessage): void {
    if (!this.fromHost(peerId, message.type)) return;
    const wire = message.player;
    if (this.members[wire.slot]) return;
    const engine = this.engine;
    if (engine && wire.role === WireRole.Player) {
      engine.addPlayer(wire.playerId, wire.joinTick);
      this.recorder?.recordJoin(wire.playerId, wire.joinTick);
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

  private handlePlayerLeft(peerId: string, message: PlayerLeftMessage): void {
    const member = this.members[message.slot];
    if (this.host) {
      // A member may only announce its own departure.
      const sender = this.memberByPeer.get(peerId);
      if (!sender || sender.slot !== message.slot) {
        this.peerError(peerId, message.type, 'a member may only announce its own departure');
        return;
      }
      this.departMember(sender, LeaveReason.Left);
      return;
    }
    if (!this.fromHost(peerId, message.type)) return;
    if (!member) return;
    if (member.isHost || member.isLocal) {
      this.endRoom(true, member.isHost ? 'the host left the room' : 'the host removed this player');
      return;
    }
    this.removeMemberAt(member, message.tick);
  }

  private handleDropPlayer(peerId: string, message: DropPlayerMessage): void {
    if (!this.fromHost(peerId, message.type)) return;
    const member = this.members[message.slot];
    if (!member) return;
    if (member.isLocal) {
      this.endRoom(true, 'the host dropped this player');
      return;
    }
    this.removeMemberAt(member, message.tick);
    this.emitter.emit(
      'playerDropped',
      member.playerId,
      ...(message.metadata ? [message.metadata] : []),
    );
  }

  /** A member is gone (transport closed, or silent past `disconnectTimeout`). */
  private handlePeerGone(peerId: string, why: string): void {
    if (this.stateValue === SessionState.Disconnected) return;
    if (this.pendingJoin && peerId === this.pendingJoin.hostPeerId) {
      this.failJoin(new RbnError('JOIN_FAILED', `joinRoom: lost the host: ${why}`));
      return;
    }
    const member = this.memberByPeer.get(peerId);
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
      const link = this.links.get(peerId);
      if (link) link.interrupted = true;
      const tick = this.engine ? Math.max(0, this.engine.getReceivedTick(member.playerId) + 1) : 0;
      this.sendTo(this.hostPeerId, { type: MessageType.DisconnectReport, slot: member.slot, tick });
    }
  }

  /** Host: a mesh player lost its link to another player; that player leaves the room. */
  private handleDisconnectReport(peerId: string, slot: number): void {
    if (!this.host) {
      this.peerError(
        peerId,
        MessageType.DisconnectReport,
        'only the host receives disconnect reports',
      );
      return;
    }
    if (this.cfg.topology !== Topology.Mesh) {
      // In star players have no links to each other, so there is nothing they could lose.
      this.peerError(peerId, MessageType.DisconnectReport, 'disconnect reports are for mesh rooms');
      return;
    }
    const reporter = this.memberByPeer.get(peerId);
    const member = this.members[slot];
    if (!reporter || !member || member.isLocal || member === reporter) return;
    if (this.playersMap.get(member.playerId) !== member.info) return; // already gone
    this.departMember(member, LeaveReason.Disconnected);
  }

  /** Host: a member leaves (on its own or disconnected) at a tick everyone agrees on. */
  private departMember(member: Member, reason: LeaveReason): void {
    const tick = this.engine ? this.chooseLeaveTick(member) : -1;
    const message: PlayerLeftMessage = {
      type: MessageType.PlayerLeft,
      slot: member.slot,
      tick: Math.max(0, tick),
      reason,
    };
    const bytes = this.encode(message);
    for (const link of this.linkList)
      if (link.peerId !== member.peerId) this.sendBytes(link, bytes, true);
    this.removeMemberAt(member, tick);
    this.transport.disconnect(member.peerId);
  }

  /**
   * Host: the first tick a departing member's inputs stop counting. It is the tick after the
   * last input of that player the host holds: in star every other peer gets that player's
   * inputs through the host, so nobody has confirmed anything later; in mesh the host forwards
   * the departed player's last inputs to everyone (see `rebuildLinks`).
   */
  private chooseLeaveTick(member: Member): Tick {
    const engine = this.engine;
    if (!engine || member.joinTick < 0) return -1;
    if (member.role !== PlayerRole.Player || !engine.hasPlayer(member.playerId))
      return engine.currentTick;
    return Math.max(engine.getReceivedTick(member.playerId) + 1, member.joinTick);
  }

  /** Removes a member from the room; while playing its inputs stop counting from `tick`. */
  private removeMemberAt(member: Member, tick: Tick): void {
    const engine = this.engine;
    this.timeSyncEstimator.removePeer(member.peerId);
    if (
      engine &&
      member.role === PlayerRole.Player &&
      engine.hasPlayer(member.playerId) &&
      tick >= 0
    ) {
      engine.removePlayer(member.playerId, Math.max(tick, member.joinTick));
      this.recorder?.recordLeave(member.playerId, Math.max(tick, member.joinTick));
      this.updateMember(member, { leaveTick: Math.max(tick, member.joinTick) });
    } else {
      this.updateMember(member, { leaveTick: Math.max(tick, 0) });
    }
    this.playersMap.delete(member.playerId);
    this.memberByPeer.delete(member.peerId);
    if (!engine) this.members[member.slot] = undefined;
    this.rebuildLinks();
    this.emitter.emit('playerLeft', member.info);
  }

  private endRoom(notify: boolean, why?: string): void {
    const peers = [...this.links.keys()];
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
    if (this.engine && this.recordingWanted) {
      this.recordConfirmed(this.engine);
      this.endRecording(this.engine);
    }
    const join = this.pendingJoin;
    this.pendingJoin = null;
    this.members.fill(undefined);
    this.memberByPeer.clear();
    this.playersMap.clear();
    this.links.clear();
    this.linkList = [];
    this.remotePlayers = [];
    this.engine = null;
    this.host = false;
    this.hostPeerId = null;
    this.roomIdValue = null;
    this.localSlot = -1;
    this.started = false;
    this.countdown = null;
    this.syncRequest = null;
    this.localHashes.clear();
    this.remoteHashes.clear();
    this.decidedTicks.clear();
    this.lastSyncSentTick.clear();
    this.hashFloor = 0;
    this.timeSyncEstimator = this.newTimeSync();
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
        if (this.memberByPeer.has(peerId)) this.links.get(peerId)?.addRttSample(0);
      },
      (error: unknown) => {
        this.reportError(
          'transport',
          error instanceof Error ? error : new Error(String(error)),
          peerId,
        );
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Internals: members and links

  private addMember(fields: Omit<Member, 'isHost' | 'isLocal' | 'info'>): Member {
    const isLocal =
      fields.playerId === this.localId && fields.peerId === this.transport.localPeerId;
    const isHost = fields.slot === HOST_SLOT;
    const member: Member = { ...fields, isHost, isLocal, info: undefined as unknown as PlayerInfo };
    member.info = this.infoOf(member);
    this.members[member.slot] = member;
    this.playersMap.set(member.playerId, member.info);
    if (!isLocal) this.memberByPeer.set(member.peerId, member);
    if (isHost && !isLocal) this.hostPeerId = member.peerId;
    if (!this.bulk) this.rebuildLinks();
    return member;
  }

  private updateMember(
    member: Member,
    fields: Partial<Pick<Member, 'joinTick' | 'leaveTick'>>,
  ): void {
    if (fields.joinTick !== undefined) member.joinTick = fields.joinTick;
    if (fields.leaveTick !== undefined) member.leaveTick = fields.leaveTick;
    member.info = this.infoOf(member);
    if (this.playersMap.has(member.playerId)) this.playersMap.set(member.playerId, member.info);
  }

  private infoOf(member: Member): PlayerInfo {
    return Object.freeze({
      playerId: member.playerId,
      peerId: member.peerId,
      slot: member.slot,
      role: member.role,
      isHost: member.isHost,
      isLocal: member.isLocal,
      joinTick: member.joinTick,
      leaveTick: member.leaveTick,
    });
  }

  private findActiveMember(playerId: PlayerId): Member | undefined {
    for (const m of this.members)
      if (m && m.playerId === playerId && this.playersMap.has(playerId)) return m;
    return undefined;
  }

  private toWire(member: Member): WirePlayer {
    return {
      slot: member.slot,
      playerId: member.playerId,
      peerId: member.peerId,
      role: toWireRole(member.role),
      // The wire has no "not started": a lobby member travels with 0 and StateSync sets it.
      joinTick: Math.max(0, member.joinTick),
      leaveTick: member.leaveTick,
    };
  }

  /**
   * The members to describe on the wire: everyone in the room, plus (with `fromTick`) departed
   * players whose inputs still count at or after that tick.
   */
  private wirePlayers(fromTick = Infinity): WirePlayer[] {
    const list: WirePlayer[] = [];
    for (const m of this.members) {
      if (!m) continue;
      const active = this.playersMap.get(m.playerId) === m.info;
      if (active || (m.joinTick >= 0 && m.leaveTick > fromTick)) list.push(this.toWire(m));
    }
    return list;
  }

  private ensureLink(peerId: string): Link {
    let link = this.links.get(peerId);
    if (!link) {
      link = new Link(peerId, this.clock.now());
      this.links.set(peerId, link);
      this.linkList = [...this.links.values()];
    }
    return link;
  }

  /**
   * Recomputes which peers we talk to and which players' inputs go each way on every link.
   *
   * Star: the host links to every member; it sends each one every player's inputs but the
   * member's own, and accepts from each member only that member's inputs. A non-host links to
   * the host only, sends its own inputs and accepts every other player's (the host's relay).
   * Mesh: every pair of players links; each sends only its own inputs and accepts only the
   * other's. Spectators link to the host only, which relays every player's inputs to them.
   * In mesh the host also forwards the last inputs of departed players, so every peer can
   * reach the departure tick.
   */
  private rebuildLinks(): void {
    const localMember = this.members[this.localSlot];
    const wanted = new Map<string, { send: number[]; accept: number[] }>();
    const active: Member[] = [];
    const departed: Member[] = [];
    for (const m of this.members) {
      if (!m || m.role !== PlayerRole.Player) continue;
      if (this.playersMap.has(m.playerId)) active.push(m);
      else if (m.joinTick >= 0) departed.push(m);
    }
    const localPlays = localMember !== undefined && localMember.role === PlayerRole.Player;
    const mesh = this.cfg.topology === Topology.Mesh;
    for (const m of this.memberByPeer.values()) {
      if (m.isLocal) continue;
      const remotePlays = m.role === PlayerRole.Player;
      if (this.host) {
        if (mesh && remotePlays) {
          wanted.set(m.peerId, {
            send: [this.localSlot, ...departed.map((d) => d.slot)],
            accept: [m.slot],
          });
        } else {
          wanted.set(m.peerId, {
            send: [...active, ...departed].filter((p) => p.slot !== m.slot).map((p) => p.slot),
            accept: remotePlays ? [m.slot] : [],
          });
        }
      } else if (m.isHost) {
        if (mesh && localPlays) {
          wanted.set(m.peerId, {
            send: [this.localSlot],
            accept: [HOST_SLOT, ...departed.map((d) => d.slot)],
          });
        } else {
          wanted.set(m.peerId, {
            send: localPlays ? [this.localSlot] : [],
            accept: [...active, ...departed]
              .filter((p) => p.slot !== this.localSlot)
              .map((p) => p.slot),
          });
        }
      } else if (mesh && localPlays && remotePlays) {
        wanted.set(m.peerId, { send: [this.localSlot], accept: [m.slot] });
      }
    }
    if (this.pendingJoin) wanted.set(this.pendingJoin.hostPeerId, { send: [], accept: [] });
    this.remotePlayers = active.filter((m) => !m.isLocal);
    for (const peerId of [...this.links.keys()]) if (!wanted.has(peerId)) this.links.delete(peerId);
    for (const [peerId, slots] of wanted) {
      const link = this.ensureLink(peerId);
      link.sendSlots = slots.send;
      link.setAccepted(slots.accept);
    }
    this.linkList = [...this.links.values()];
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
    for (const m of this.members) {
      if (!m || m.role !== PlayerRole.Player || m.joinTick < 0) continue;
      if (m.leaveTick >= 0 && m.leaveTick <= startTick) continue;
      engine.addPlayer(m.playerId, m.joinTick, { local: m.isLocal });
      if (m.leaveTick >= 0) engine.removePlayer(m.playerId, m.leaveTick);
    }
    engine.onConfirmedHash = (tick, hash) => {
      this.pendingHashTicks.push(tick);
      this.pendingHashFallback.push(hash);
    };
    this.pendingHashTicks.length = 0;
    this.pendingHashFallback.length = 0;
    for (const link of this.linkList) {
      for (const slot of link.sendSlots) {
        const m = this.members[slot];
        if (m) link.acked[slot] = m.joinTick - 1;
      }
    }
    this.engine = engine;
  }

  private enterPlaying(): void {
    this.resetLiveness();
    this.setState(SessionState.Playing);
    if (!this.started) {
      this.started = true;
      this.emitter.emit('gameStart');
    }
  }

  private resetLiveness(): void {
    const now = this.clock.now();
    for (const link of this.linkList) {
      link.lastRecvAt = now;
      link.interrupted = false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Internals: desync detection and recovery

  /**
   * Sends the hashes of confirmed ticks once they are `hashDelayTicks` behind the confirmed
   * tick, taking the hash from the saved state at that moment. In mesh a player's departure
   * tick is the host's, and a peer that held more of that player's inputs than the host may
   * have confirmed a few ticks past it before the announcement arrived; the delay lets that
   * peer's rollback correct those states before their hashes go out, so no false desync is
   * reported.
   */
  private releaseHashes(engine: RollbackEngine): void {
    const delay = Math.min(
      HASH_DELAY_TICKS,
      Math.max(0, this.cfg.snapshotHistorySize - this.cfg.maxSpeculationTicks - 10),
    );
    const confirmed = engine.confirmedTick;
    while (this.pendingHashTicks.length > 0 && confirmed >= this.pendingHashTicks[0]! + delay) {
      const tick = this.pendingHashTicks.shift()!;
      const fallback = this.pendingHashFallback.shift()!;
      const hash = engine.getSnapshot(tick)?.hash ?? fallback;
      this.onLocalHash(tick, hash);
    }
  }

  private onLocalHash(tick: Tick, hash: number): void {
    if (this.localPlays()) {
      const message: HashMessage = { type: MessageType.Hash, tick, hash: hash >>> 0 };
      const bytes = this.encode(message);
      for (const link of this.linkList) {
        const m = this.memberByPeer.get(link.peerId);
        if (m && m.role === PlayerRole.Player) this.sendBytes(link, bytes, true);
      }
    }
    this.localHashes.set(tick, hash >>> 0);
    const remote = this.remoteHashes.get(tick);
    if (remote) for (const [slot, h] of remote) this.compareHash(tick, slot, h);
    this.decide(tick);
    this.pruneHashes(tick);
  }

  private handleHash(peerId: string, message: HashMessage): void {
    const member = this.memberByPeer.get(peerId);
    if (!member || member.role !== PlayerRole.Player) {
      // A member that just left may still have a hash on the way: not a violation.
      const departed = this.members.some((m) => m?.peerId === peerId && m.leaveTick >= 0);
      if (!departed)
        this.peerError(peerId, message.type, 'a hash from a peer that is not a player here');
      return;
    }
    const tick = message.tick;
    const engine = this.engine;
    if (
      tick <= 0 ||
      tick % this.cfg.hashInterval !== 0 ||
      (engine !== null && tick > engine.currentTick + this.tickReach())
    ) {
      this.peerError(peerId, message.type, `a hash for tick ${tick}, which is never hashed now`);
      return;
    }
    if (tick < this.hashFloor) return;
    // A newer hash for a tick replaces the older one: a peer that loaded a state re-hashes the
    // ticks after it, and its new hash is the one that counts.
    let remote = this.remoteHashes.get(tick);
    if (!remote) {
      if (this.remoteHashes.size >= HASH_HISTORY * 4) return; // bounded: ignore far-future spam
      remote = new Map();
      this.remoteHashes.set(tick, remote);
    }
    remote.set(member.slot, message.hash >>> 0);
    if (this.localHashes.has(tick)) {
      this.compareHash(tick, member.slot, message.hash >>> 0);
      this.decide(tick);
    }
  }

  private compareHash(tick: Tick, slot: number, remoteHash: number): void {
    const local = this.localHashes.get(tick);
    if (local === undefined || local === remoteHash || tick < this.hashFloor) return;
    const link = this.links.get(this.members[slot]?.peerId ?? '');
    if (link && tick < (this.lastSyncSentTick.get(link.peerId) ?? -1)) return;
    this.emitter.emit('desync', tick, local, remoteHash);
  }

  /** Applies the recovery rule of the room's topology × authority to a tick's hashes. */
  private decide(tick: Tick): void {
    if (tick < this.hashFloor || this.decidedTicks.has(tick) || !this.localPlays()) return;
    const local = this.localHashes.get(tick);
    if (local === undefined) return;
    const remote = this.remoteHashes.get(tick) ?? new Map<number, number>();
    const star = this.cfg.topology === Topology.Star;
    if (this.cfg.desyncAuthority === DesyncAuthority.Host) {
      if (star) {
        if (!this.host) return;
        for (const [slot, hash] of remote) {
          if (hash !== local) this.pushSync(slot, tick);
        }
        return;
      }
      if (this.host) return;
      const hostHash = remote.get(HOST_SLOT);
      if (hostHash === undefined) return;
      this.decidedTicks.add(tick);
      if (hostHash !== local && this.hostPeerId !== null)
        this.requestSyncFrom(this.hostPeerId, tick, []);
      return;
    }
    // Peer authority: the majority hash wins; it needs every active player's hash.
    if (star && !this.host) return;
    const expected = this.playersActiveAt(tick);
    const all = new Map<number, number>(remote);
    all.set(this.localSlot, local);
    for (const slot of expected) if (!all.has(slot)) return;
    this.decidedTicks.add(tick);
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
    if (!best) return;
    const reference = best;
    const source = Math.min(...reference.slots);
    if (star) {
      const minority = expected.filter(
        (s) => all.get(s) !== reference.hash && s !== this.localSlot,
      );
      if (local === reference.hash) {
        for (const slot of minority) this.pushSync(slot, tick);
      } else {
        const peer = this.members[source]?.peerId;
        if (peer !== undefined) {
          this.requestSyncFrom(
            peer,
            tick,
            minority.map((s) => this.members[s]?.peerId ?? '').filter((p) => p !== ''),
          );
        }
      }
      return;
    }
    if (local !== reference.hash) {
      const peer = this.members[source]?.peerId;
      if (peer !== undefined) this.requestSyncFrom(peer, tick, []);
    }
  }

  private playersActiveAt(tick: Tick): number[] {
    const slots: number[] = [];
    for (const m of this.members) {
      if (!m || m.role !== PlayerRole.Player || m.joinTick < 0 || m.joinTick > tick) continue;
      if (m.leaveTick >= 0 && tick >= m.leaveTick) continue;
      slots.push(m.slot);
    }
    return slots;
  }

  private localPlays(): boolean {
    return this.members[this.localSlot]?.role === PlayerRole.Player;
  }

  private pruneHashes(newest: Tick): void {
    const oldest = newest - HASH_HISTORY * this.cfg.hashInterval;
    for (const t of this.localHashes.keys()) if (t < oldest) this.localHashes.delete(t);
    for (const t of this.remoteHashes.keys()) if (t < oldest) this.remoteHashes.delete(t);
    for (const t of this.decidedTicks) if (t < oldest) this.decidedTicks.delete(t);
  }

  /** Sends our newest confirmed state to the member in `slot` (it will load it). */
  private pushSync(slot: number, tick: Tick): void {
    const member = this.members[slot];
    const engine = this.engine;
    if (!member || !engine) return;
    const last = this.lastSyncSentTick.get(member.peerId);
    if (last !== undefined && tick < last) return; // that hash predates our last sync to it
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
      players: this.wirePlayers(),
    };
    this.sendTo(peerId, message);
    const link = this.links.get(peerId);
    if (link) link.lastSyncSentAt = this.clock.now();
    this.lastSyncSentTick.set(peerId, snapshot.tick);
  }

  private requestSyncFrom(peerId: string, tick: Tick, forwardTo: string[]): void {
    if (this.syncRequest) return;
    this.syncRequest = { peerId, at: this.clock.now(), forwardTo };
    this.sendTo(peerId, { type: MessageType.SyncRequest, tick: Math.max(tick, 0) });
  }

  private handleSyncRequest(peerId: string, now: number): void {
    const member = this.memberByPeer.get(peerId);
    const link = this.links.get(peerId);
    if (!member || !link || !this.engine) return;
    if (now - link.lastSyncSentAt < SYNC_RESPONSE_MIN_INTERVAL_MS) return;
    this.sendSync(peerId);
  }

  private handleSync(peerId: string, message: SyncMessage): void {
    const engine = this.engine;
    if (!engine) return;
    const requested = this.syncRequest !== null && this.syncRequest.peerId === peerId;
    const fromStarHost =
      !this.host && peerId === this.hostPeerId && this.cfg.topology === Topology.Star;
    if (!requested && !fromStarHost) {
      this.peerError(peerId, message.type, 'an unrequested state arrived');
      return;
    }
    const forwardTo = requested ? this.syncRequest!.forwardTo : [];
    this.syncRequest = null;
    this.endRecording(engine);
    engine.loadState(message.tick, message.state);
    const hash = this.game.hash() >>> 0;
    if (hash !== message.hash >>> 0) {
      this.reportError(
        'session',
        new RbnError(
          'STATE_MISMATCH',
          `a synced state hashes to ${hash} here but ${message.hash} at its sender`,
        ),
        peerId,
        message.type,
      );
    }
    this.hashFloor = message.tick;
    this.pendingHashTicks.length = 0;
    this.pendingHashFallback.length = 0;
    for (const t of this.localHashes.keys()) if (t >= message.tick) this.localHashes.delete(t);
    for (const t of this.decidedTicks) if (t >= message.tick) this.decidedTicks.delete(t);
    for (const t of this.remoteHashes.keys()) if (t < message.tick) this.remoteHashes.delete(t);
    for (const peer of forwardTo) this.sendSync(peer);
    this.emitter.emit('stateSynced', message.tick, peerId);
  }

  // -------------------------------------------------------------------------------------------
  // Internals: sending, errors, state

  private encode(message: Message): Uint8Array {
    return encodeMessage(message);
  }

  private sendTo(peerId: string, message: Message): void {
    const link = this.links.get(peerId);
    const bytes = this.encode(message);
    const reliable = isReliableMessageType(message.type);
    if (link) this.sendBytes(link, bytes, reliable);
    else this.transport.send(peerId, bytes, reliable);
  }

  private sendBytes(link: Link, bytes: Uint8Array, reliable: boolean): void {
    link.countSent(bytes.byteLength, this.clock.now());
    this.transport.send(link.peerId, bytes, reliable);
  }

  private broadcastControl(message: Message): void {
    const bytes = this.encode(message);
    for (const link of this.linkList) this.sendBytes(link, bytes, true);
  }

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
      this.reportError(
        'session',
        error instanceof Error ? error : new Error(String(error)),
        peerId,
        messageType,
      );
    }
  }

  private peerError(peerId: string, messageType: MessageType | undefined, text: string): void {
    this.reportError(
      'peer',
      new RbnError('PEER_VIOLATION', `peer '${peerId}': ${text}; ignored`),
      peerId,
      messageType,
    );
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
