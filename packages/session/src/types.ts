import type { Game, InputPredictor } from '@rbn/core';
import type { MessageType, PlayerId, Tick, TransportAdapter } from '@rbn/protocol';
import type { DesyncReport, DesyncReportOptions } from './desync-report';
import type { Clock } from './internal/clock';

/** The lifecycle of a session: `Disconnected → Connecting → Lobby → Playing ⇄ Paused`. */
export enum SessionState {
  /** Not in a room. */
  Disconnected = 0,
  /** Creating or joining a room. */
  Connecting = 1,
  /** In a room, waiting for the host to start. */
  Lobby = 2,
  /** The game runs. */
  Playing = 3,
  /** The host paused the game. */
  Paused = 4,
}

/** How the peers of a room are connected. */
export enum Topology {
  /** Every member connects to the host only; the host relays inputs. Scales to 16 players. */
  Star = 0,
  /** Every pair of players connects directly; no relay. Best for 2–4 players. */
  Mesh = 1,
}

/** What an away member's inputs are while it is away (decided by the host for everyone). */
export enum AwayInput {
  /** An empty input (the game's "no buttons pressed"). */
  Neutral = 0,
  /** Its last input before it went away, repeated. */
  Repeat = 1,
}

/** Whose state wins when confirmed-state hashes disagree (see the README's desync table). */
export enum DesyncAuthority {
  /** The host's state is the truth: a peer whose hash differs from the host's gets the host's state. */
  Host = 0,
  /**
   * The majority is the truth: the hash reported by the most players wins (a tie goes to the
   * group holding the lowest slot, which is the host's slot 0 when the host is in it), and every
   * peer outside it gets the state of a peer inside it.
   */
  Peer = 1,
}

/** Whether the local member plays or only watches. */
export enum PlayerRole {
  /** Sends inputs that count. */
  Player = 0,
  /** Receives inputs and simulates, sends none, never holds the game back. */
  Spectator = 1,
}

/** A member of the room as the session reports it. */
export type PlayerInfo = {
  /** The member's player id. */
  readonly playerId: PlayerId;
  /** The transport peer id the member is reached at. */
  readonly peerId: string;
  /** The member's slot (0–255), assigned by the host; the host is slot 0. */
  readonly slot: number;
  /** Player or spectator. */
  readonly role: PlayerRole;
  /** Whether this member is the host. */
  readonly isHost: boolean;
  /** Whether this member is the local one. */
  readonly isLocal: boolean;
  /** The first tick whose inputs count, or `-1` while the game has not started. */
  readonly joinTick: Tick;
  /** The first tick whose inputs no longer count, or `-1` while the member plays. */
  readonly leaveTick: Tick;
  /**
   * The member's application metadata as it gave it in {@link CreateSessionOptions.metadata}
   * (empty when it gave none), the same bytes on every member, late joiners and spectators
   * included. It comes from a peer: decode it with {@link decodePlayerMetadata} (which never
   * throws) or your own checks. Do not modify it.
   */
  readonly metadata: Uint8Array;
};

/**
 * The session's settings. Every field is optional in {@link CreateSessionOptions.config}.
 * Fields marked "room" are the host's: a joiner adopts the host's value from the join answer.
 */
export type SessionConfig = {
  /** Ticks per second the game loop runs at (room). @default 60 */
  tickRate: number;
  /** Most players (not counting spectators) in a room, 2–16 (room). @default 4 */
  maxPlayers: number;
  /** Most spectators in a room, 0–239 (room). @default 16 */
  maxSpectators: number;
  /** Star or mesh (room). @default Topology.Star */
  topology: Topology;
  /** How far back a rollback can go, in ticks: 2 to 65,536, more than `maxSpeculationTicks` (the engine's limits). @default 120 */
  snapshotHistorySize: number;
  /** How far the game may run ahead of the last confirmed tick before it stalls. @default 60 */
  maxSpeculationTicks: number;
  /**
   * Of consecutive states simulated with a predicted input, save (serialize) at most one in this
   * many; a rollback then resimulates from the nearest saved state, up to `snapshotInterval - 1`
   * more ticks. `1` saves every predicted state; raise it when `serialize` costs more than
   * `step`. `'auto'` chooses it online from the measured cost of `serialize` against `step`
   * (timed with the session's clock), with hysteresis. Local only: peers may differ.
   * @default 'auto'
   */
  snapshotInterval: number | 'auto';
  /** Compare confirmed-state hashes every this many ticks (room). @default 60 */
  hashInterval: number;
  /**
   * Local input delay in ticks, 0 to 64 (the engine's limit), or `'auto'`: this peer sets its
   * own delay (0 to 6) from the RTT and jitter it measures to its peers, so that remote inputs
   * arrive about 2 ticks late, raising it after 0.5 s and lowering it after 3 s of a steady
   * measurement. May be changed while playing; {@link Session.inputDelayTicks} reads the
   * delay in effect. @default 0
   */
  inputDelayTicks: number | 'auto';
  /**
   * Milliseconds without traffic from a peer before it is disconnected. An away member (see
   * `awayAfterMs`) whose link still answers keeps its slot; this then only decides when a member
   * whose link went quiet is released. @default 5000
   */
  disconnectTimeout: number;
  /**
   * Host: milliseconds without new inputs from a player (while the host itself ticks) before the
   * host marks it away, at a tick everyone agrees on; its inputs are then decided for it (see
   * `awayInput`) so nobody waits for it. `0` switches away detection off (explicit
   * `setAway()` still works). @default 500
   */
  awayAfterMs: number;
  /**
   * How long a player or spectator whose connection dropped keeps its slot, in milliseconds:
   * it reconnects by itself and proves who it is with the rejoin token the host gave it (a
   * player is away meanwhile; a spectator watches on from the host's confirmed state). `0`: a
   * dropped member leaves at once (and a member that lost the host leaves the room).
   * @default 60000
   */
  reconnectWindowMs: number;
  /**
   * How long the players that lost the host without a goodbye (its link closed or went silent)
   * give it to be reached again before a successor takes over, in milliseconds. A host whose
   * main thread stalls past its peers' link timeouts is lost to all of them at once; they
   * reconnect to it meanwhile, and taking over sooner would leave it playing on alone. A
   * refused connect does not end the wait (the successor's own link may be what is down). A
   * host that said goodbye, or whose peer left for good (`session.peerLeft`), is replaced
   * without waiting; so is every host when `reconnectWindowMs` is `0`. At most half of
   * `reconnectWindowMs` (the others give up on the host when their window ends).
   * @default 3000
   */
  hostLossGraceMs: number;
  /** Host: an away player's inputs, neutral (empty) or its last one repeated. @default AwayInput.Neutral */
  awayInput: AwayInput;
  /** Milliseconds without traffic from a peer before `networkInterrupted` fires. @default 750 */
  disconnectNotifyStart: number;
  /** Who wins a desync (room). @default DesyncAuthority.Host */
  desyncAuthority: DesyncAuthority;
  /** A player this many ticks behind triggers `lagReport`. @default 30 */
  lagReportThreshold: number;
  /** Seconds of `resumeCountdown` before a paused game resumes (room). @default 3 */
  resumeCountdownSeconds: number;
  /** Join requests allowed per peer within `joinRateLimitWindowMs`. @default 5 */
  joinRateLimitRequests: number;
  /** The join rate limiter's window in milliseconds. @default 10000 */
  joinRateLimitWindowMs: number;
  /**
   * Frames between input messages on a link while no input changes; a changed input is sent
   * in the same frame and again on the next one until acknowledged. 1 sends every frame.
   * @default 8
   */
  inputHeartbeatTicks: number;
  /**
   * Milliseconds between round-trip samples on every link: pings in the lobby (and to a peer that
   * sends no echoes), echoes in the input messages while a game runs. @default 500
   */
  pingInterval: number;
  /** Milliseconds between bare keepalives on an idle link. @default 200 */
  keepaliveInterval: number;
  /** Milliseconds a `joinRoom` waits for the host's answer (checked on `tick()` and messages). @default 10000 */
  joinTimeout: number;
};

/** Where an `error` event comes from. */
export type ErrorSource =
  /** Bytes from a peer that do not decode. */
  | 'protocol'
  /** A peer sent a valid message it may not send (not the host, a slot it does not own, …). */
  | 'peer'
  /** The transport failed (a connect rejected, a peer vanished). */
  | 'transport'
  /** The session could not do something (a recovery failed, an input no longer buffered, …). */
  | 'session'
  /** An event listener threw. */
  | 'listener';

/** Details that come with every `error` event. */
export type ErrorContext = {
  /** Where the error comes from. */
  source: ErrorSource;
  /** The session keeps running after it (always `true` except when the session ended). */
  recoverable: boolean;
  /** The remote peer involved, if any. */
  peerId?: string;
  /** The message type involved, if any. */
  messageType?: MessageType;
  /** The event whose listener threw, for `source: 'listener'`. */
  event?: string;
};

/** What {@link Session.tick} returns. The session reuses one object: read it before the next call. */
export type TickResult = {
  /** The tick just simulated, or the tick that could not be simulated when `advanced` is false. */
  tick: Tick;
  /** Whether the game advanced one tick (false in the lobby, while paused or stalled). */
  advanced: boolean;
  /** Whether this call rolled back and resimulated. */
  rolledBack: boolean;
  /** Ticks resimulated by this call (0 when none). */
  rollbackTicks: number;
  /** Whether the game waits at the speculation limit for remote inputs. */
  stalled: boolean;
  /**
   * The newest tick whose inputs every player has sent, as this call simulated them (-1 when
   * none): the game's states up to it are final, so this is the tick to read a confirmed state
   * of your game at.
   */
  confirmedTick: Tick;
};

/** Measurements of one link, from {@link Session.getNetworkStats}. */
export type NetworkStats = {
  /** Smoothed round-trip time in milliseconds (0 before the first pong). */
  rtt: number;
  /** Bytes the session handed the transport for this peer per second (last full second). */
  bytesSentPerSecond: number;
  /** Bytes received from this peer per second (last full second). */
  bytesReceivedPerSecond: number;
  /** Messages sent to this peer per second (last full second). */
  messagesSentPerSecond: number;
  /** Messages received from this peer per second (last full second). */
  messagesReceivedPerSecond: number;
  /** Total bytes sent to this peer. */
  bytesSent: number;
  /** Total bytes received from this peer. */
  bytesReceived: number;
  /** Total messages sent to this peer. */
  messagesSent: number;
  /** Total messages received from this peer. */
  messagesReceived: number;
  /** How many ticks the local game is behind the peer's (estimated with RTT; negative: ahead). */
  localFramesBehind: number;
  /** How many ticks the peer is behind the local game (the negation of `localFramesBehind`). */
  remoteFramesBehind: number;
  /** Inputs sent to this peer and not acknowledged yet. */
  pendingInputs: number;
};

/** The events of a session, by name, with their listener signatures. */
export interface SessionEvents {
  /** The session state changed. */
  stateChange: (newState: SessionState, oldState: SessionState) => void;
  /** A member joined the room (fires for every member, including the local one). */
  playerJoined: (player: PlayerInfo) => void;
  /** A member left the room. */
  playerLeft: (player: PlayerInfo) => void;
  /** A confirmed-state hash differs from a peer's. */
  desync: (tick: Tick, localHash: number, remoteHash: number) => void;
  /** The game started (the session entered `Playing` for the first time). */
  gameStart: () => void;
  /** Something went wrong that the session survived (or, with `recoverable: false`, ended it). */
  error: (error: Error, context: ErrorContext) => void;
  /**
   * A player is `ticksBehind` ticks behind, as `reporterId` says: the local player (measured
   * here) or, on the host, the member that reported it (rate-limited per reporter and player).
   */
  lagReport: (laggyPlayerId: PlayerId, ticksBehind: number, reporterId: PlayerId) => void;
  /** Seconds left before a paused game resumes. */
  resumeCountdown: (secondsRemaining: number) => void;
  /** The host dropped a player. */
  playerDropped: (playerId: PlayerId, metadata?: Uint8Array) => void;
  /** No traffic from a member for `disconnectNotifyStart` ms; it is disconnected in `msUntilDisconnect`. */
  networkInterrupted: (playerId: PlayerId, msUntilDisconnect: number) => void;
  /** Traffic from an interrupted member again. */
  networkResumed: (playerId: PlayerId) => void;
  /**
   * A player is away from `fromTick` on: its inputs are decided for it (see `awayInput`) and
   * nobody waits for it. Fires on every peer, the away player's own included.
   */
  playerAway: (playerId: PlayerId, fromTick: Tick) => void;
  /** An away player plays its own inputs again from `tick` on, in its old slot. */
  playerBack: (playerId: PlayerId, tick: Tick) => void;
  /**
   * The room has a new host (the old one left or was lost): `hostId` hosts from now on, and the
   * old host's inputs stopped counting at `tick` (a `playerLeft` for it fires just before).
   * Fires on every member, the new host included; `isHost` reads the new answer already.
   */
  hostChanged: (hostId: PlayerId, tick: Tick) => void;
  /**
   * About once a second while playing: how many ticks the local game runs ahead of the remote
   * players on average (positive: ahead, so the game loop may slow down slightly).
   */
  timeSync: (framesAhead: number) => void;
  /**
   * A confirmed state's hash, as the session sends it to the other players for desync
   * detection (every `hashInterval` ticks, a little after the tick is confirmed).
   */
  confirmedHash: (tick: Tick, hash: number) => void;
  /**
   * A desync was found and the peer's state of that tick arrived (see `desyncReports` in
   * {@link CreateSessionOptions}): both states, their diff and an incident file. Recovery does
   * not wait for it; the states are of the desynced tick, kept when it was found.
   */
  desyncReport: (report: DesyncReport) => void;
  /** The local game loaded a state from a peer (desync recovery) and continues from `tick`. */
  stateSynced: (tick: Tick, fromPeerId: string) => void;
}

/** The name of a session event. */
export type SessionEventName = keyof SessionEvents;

/** What {@link createSession} needs. */
export type CreateSessionOptions = {
  /** The deterministic game the session drives. */
  game: Game<Uint8Array>;
  /** How the session reaches its peers. */
  transport: TransportAdapter;
  /** The local player's id. @default transport.localPeerId */
  localPlayerId?: PlayerId;
  /**
   * The local player's application metadata (a name, a colour…), at most
   * {@link MAX_PLAYER_METADATA_BYTES} bytes, that every member of the room sees in
   * {@link PlayerInfo.metadata}, whether this session hosts (`createRoom`) or joins (`joinRoom`).
   * {@link encodePlayerMetadata} makes it from a name and a colour. The bytes are copied.
   * @default an empty array (no metadata)
   */
  metadata?: Uint8Array;
  /** Settings; every field left out takes its default (see {@link DEFAULT_SESSION_CONFIG}). */
  config?: Partial<SessionConfig>;
  /** How remote inputs that have not arrived are guessed. @default repeat the last received input */
  inputPredictor?: InputPredictor<Uint8Array>;
  /**
   * Fills a byte array with random bytes, for rejoin tokens (a seeded source makes tests
   * reproducible). @default crypto.getRandomValues
   */
  randomBytes?: (bytes: Uint8Array) => void;
  /** The time source for pings, rates, timeouts and countdowns. @default performance.now */
  clock?: Clock;
  /**
   * Desync reports: on a desync, exchange the two peers' states of that tick and emit
   * `desyncReport`. Local: each peer decides for itself (a peer with reports off neither asks
   * nor answers). @default `{ enabled: true, maxStateBytes: 1 MiB }`
   */
  desyncReports?: Partial<DesyncReportOptions>;
};
