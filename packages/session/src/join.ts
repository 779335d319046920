import type { Game, RollbackEngine } from '@rbn/core';
import { JoinRejectReason, MessageType, PROTOCOL_VERSION, RbnError, WireRole } from '@rbn/protocol';
import type {
  JoinAcceptMessage,
  JoinRejectMessage,
  JoinRequestMessage,
  PlayerId,
  PlayerJoinedMessage,
  StateSyncMessage,
  Tick,
  WirePlayer,
} from '@rbn/protocol';
import { ROOM_CONFIG_FIELDS, resolveSessionConfig } from './config';
import { trialHash } from './desync';
import { tickReach } from './input-exchange';
import type { Emitter } from './internal/emitter';
import { SLOT_COUNT } from './internal/link';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import type { SlidingWindowRateLimiter } from './rate-limiter';
import type { Recording } from './recording';
import { fromHost, fromWireRole, toWire } from './roster';
import type { Member, Roster } from './roster';
import { relink } from './topology';
import { PlayerRole, SessionState, Topology } from './types';
import type { SessionConfig } from './types';
import type { JoinAttempt } from './join-attempt';

/** Ticks between the host's newest input and a late joiner's first counted tick. */
export const JOIN_MARGIN_TICKS = 4;

/** Everything {@link decideAdmission} decides from. */
export type AdmissionInput = {
  readonly request: JoinRequestMessage;
  readonly role: PlayerRole;
  readonly isHost: boolean;
  /** Whether the requesting peer is within its join rate limit. */
  readonly withinRateLimit: boolean;
  /** When it is not, how long until it may ask again (ms). */
  readonly retryAfterMs: number;
  readonly roomId: string | null;
  readonly state: SessionState;
  /** Whether the peer or the player id is in the room already. */
  readonly duplicate: boolean;
  readonly players: number;
  readonly spectators: number;
  readonly maxPlayers: number;
  readonly maxSpectators: number;
  /** The slot the joiner would get, or -1 when every slot was used in this game. */
  readonly freeSlot: number;
};

/** The host's answer to a join request. */
export type Admission =
  | { readonly admit: true; readonly slot: number }
  | {
      readonly admit: false;
      readonly reason: JoinRejectReason;
      readonly text: string;
      /** Every join slot of this game is used: the host hears of it too. */
      readonly slotsExhausted?: true;
    };

function refuse(reason: JoinRejectReason, text: string): Admission {
  return { admit: false, reason, text };
}

/**
 * Whether the host admits a join request, in the order the checks are made: hosting, rate
 * limit, protocol version, room id, room state, duplicates, capacity, free slot.
 * @param input - The request and the room.
 * @returns Admit (with the slot) or refuse (with the reason told to the joiner).
 */
export function decideAdmission(input: AdmissionInput): Admission {
  const { request } = input;
  if (!input.isHost) return refuse(JoinRejectReason.NotAccepting, 'this peer does not host a room');
  if (!input.withinRateLimit) {
    const wait = Math.ceil(input.retryAfterMs);
    return refuse(JoinRejectReason.RateLimited, `too many join requests; try again in ${wait} ms`);
  }
  if (request.protocolVersion !== PROTOCOL_VERSION) {
    return refuse(
      JoinRejectReason.VersionMismatch,
      `protocol version ${request.protocolVersion} is not supported; the host speaks version ${PROTOCOL_VERSION}`,
    );
  }
  if (request.roomId !== input.roomId) {
    return refuse(JoinRejectReason.WrongRoom, `no room '${request.roomId}' here`);
  }
  if (
    input.state !== SessionState.Lobby &&
    input.state !== SessionState.Playing &&
    input.state !== SessionState.Paused
  ) {
    return refuse(JoinRejectReason.NotAccepting, 'the room is closing');
  }
  if (input.duplicate) {
    return refuse(
      JoinRejectReason.DuplicatePlayer,
      `player '${request.playerId}' is already in the room`,
    );
  }
  if (input.role === PlayerRole.Player && input.players >= input.maxPlayers) {
    return refuse(JoinRejectReason.RoomFull, `the room is full (${input.maxPlayers} players)`);
  }
  if (input.role === PlayerRole.Spectator && input.spectators >= input.maxSpectators) {
    return refuse(
      JoinRejectReason.RoomFull,
      `the room is full (${input.maxSpectators} spectators)`,
    );
  }
  if (input.freeSlot < 0) {
    // Slots of players who left a game in progress are not reused (their inputs and leave
    // tick stay addressable by slot until the game ends); spectators' slots are.
    return {
      admit: false,
      reason: JoinRejectReason.RoomFull,
      text: `this game has used all ${SLOT_COUNT - 1} join slots (slots of players who left are not reused while a game runs); the host must start a new room`,
      slotsExhausted: true,
    };
  }
  return { admit: true, slot: input.freeSlot };
}

/**
 * The tick a late joiner's inputs count from: one no peer can have confirmed yet (after the
 * host's newest input, plus a margin for reordering), so everyone adds the player at that same
 * tick without a visible correction.
 */
export function lateJoinTick(engine: RollbackEngine): Tick {
  return Math.max(engine.lastLocalInputTick, engine.currentTick - 1) + 1 + JOIN_MARGIN_TICKS;
}

/**
 * Adds a late joining player to the running engine.
 * @returns An error text when the engine still holds a departing player of that id.
 */
export function addLatePlayer(
  engine: RollbackEngine,
  playerId: PlayerId,
  joinTick: Tick,
): string | null {
  try {
    engine.addPlayer(playerId, joinTick);
    return null;
  } catch (error) {
    return `player '${playerId}' is still leaving; try again shortly (${String(error)})`;
  }
}

/**
 * Host: frees the slots of players who left more than {@link tickReach} ticks before our
 * confirmed tick. Every honest peer holds their inputs by then (a peer still missing one would
 * be stalled more than the reach behind us), so a new member may take the slot.
 */
export function reclaimDepartedSlots(
  roster: Roster,
  engine: RollbackEngine | null,
  cfg: SessionConfig,
): void {
  if (!engine) return;
  const before = engine.confirmedTick - tickReach(cfg);
  roster.reclaim((m) => m.leaveTick <= before);
}

/** Join refusals per second to one peer: more requests go unanswered. */
export const REFUSALS_PER_SECOND = 4;

/** Mesh rooms with more players than this get a warning. */
export const MESH_RECOMMENDED_PLAYERS = 4;

/**
 * The key of the `JoinAccept` config entry that tells a joiner the game is already running
 * (so it waits for the state and goes straight to `Playing`). Not a session setting: a joiner
 * adopts only {@link ROOM_CONFIG_FIELDS}.
 */
export const GAME_IN_PROGRESS_KEY = 'gameInProgress';

/** What {@link Admissions} works with (the session's own parts, no more). */
export type AdmissionDeps = {
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly recording: Recording;
  readonly limiter: SlidingWindowRateLimiter;
  readonly now: () => number;
  /** Tells a member that got a start state the away windows in force (see `away.ts`). */
  readonly tellAwayWindows: (member: Member) => void;
  /**
   * Gives an admitted member its rejoin token at once (see `reconnect.ts`), or `again`: if its
   * link drops as the game starts or while a late joiner's state is on the way, it asks again
   * with it.
   */
  readonly handOutToken: (member: Member, again?: boolean) => void;
};

/** The room as the host admits into it. */
export type RoomStatus = {
  readonly roomId: string | null;
  readonly state: SessionState;
  readonly engine: RollbackEngine | null;
  readonly cfg: SessionConfig;
};

/**
 * The host's side of joining: answers a join request with {@link decideAdmission}, and for an
 * admitted member carries out the effects (slot, engine, accept, announcement, start state).
 */
export class Admissions {
  /** Refusals sent to each peer in its current second (at most {@link REFUSALS_PER_SECOND}). */
  readonly #refused = new Map<string, { at: number; count: number }>();

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: AdmissionDeps) {}

  /** A `JoinRequest` from a peer. */
  onJoinRequest(peerId: string, message: JoinRequestMessage, room: RoomStatus): void {
    const { roster, limiter } = this.deps;
    const role = fromWireRole(message.role);
    if (roster.isHost) reclaimDepartedSlots(roster, room.engine, room.cfg);
    const counts = roster.counts();
    const withinRateLimit = roster.isHost ? limiter.tryAcquire(peerId) : true;
    const seated = roster.byPeer(peerId);
    if (withinRateLimit && seated && this.#asksAgain(seated, message, role, room)) {
      // Its link dropped before our accept arrived (see `JoinAttempt.hostLinkLost`), and we did
      // not see that link go: the same answer again.
      this.deps.links.sendTo(peerId, this.#accept(seated, room));
      this.deps.handOutToken(seated, true); // lost with the accept, or before it arrived
      return;
    }
    const admission = decideAdmission({
      request: message,
      role,
      isHost: roster.isHost,
      withinRateLimit,
      retryAfterMs: withinRateLimit ? 0 : limiter.retryAfterMs(peerId),
      roomId: room.roomId,
      state: room.state,
      duplicate:
        roster.byPeer(peerId) !== undefined ||
        roster.findPresent(message.playerId) !== undefined ||
        roster.boundElsewhere(message.playerId, peerId),
      players: counts.players,
      spectators: counts.spectators,
      maxPlayers: room.cfg.maxPlayers,
      maxSpectators: room.cfg.maxSpectators,
      freeSlot: roster.freeSlot(),
    });
    if (!admission.admit) {
      if (!this.#mayRefuse(peerId)) return; // a flood of requests gets one answer a second
      this.#reject(peerId, admission.reason, admission.text);
      if (admission.slotsExhausted) {
        this.deps.report.session('SLOTS_EXHAUSTED', admission.text, peerId, message.type);
      }
      return;
    }
    const engine = room.engine;
    const joinTick = engine ? lateJoinTick(engine) : -1;
    if (engine && role === PlayerRole.Player) {
      const refused = addLatePlayer(engine, message.playerId, joinTick);
      if (refused !== null) {
        this.#reject(peerId, JoinRejectReason.DuplicatePlayer, refused);
        return;
      }
      this.deps.recording.recordJoin(message.playerId, joinTick);
    }
    const member = roster.add({
      slot: admission.slot,
      playerId: message.playerId,
      peerId,
      role,
      joinTick,
      leaveTick: -1,
      metadata: message.metadata,
    });
    relink(roster, this.deps.links, room.cfg.topology, null);
    this.#welcome(member, room);
    if (role === PlayerRole.Player) this.#warnLargeMesh(counts.players + 1, room.cfg);
    // Before the state is taken, so the game can prepare for the player.
    this.deps.emitter.emit('playerJoined', member.info);
    // Its rejoin token at once: a member whose link drops as the game starts (or, joining late,
    // with the state on its way) can still prove its slot.
    if (!engine || role === PlayerRole.Player) this.deps.handOutToken(member);
    if (engine) {
      this.#sendStartState(member.peerId, engine, room.state);
      this.deps.tellAwayWindows(member);
    }
  }

  /**
   * Whether a join request repeats the one of a member we seated in the lobby: the same peer,
   * player id, role and room. (In a running game a request from a member's peer is a fresh
   * session of it, which proves itself: see `reconnect.ts`.)
   */
  #asksAgain(
    member: Member,
    message: JoinRequestMessage,
    role: PlayerRole,
    room: RoomStatus,
  ): boolean {
    return (
      this.deps.roster.isHost &&
      room.state === SessionState.Lobby &&
      room.engine === null &&
      member.status === 'present' &&
      !member.isLocal &&
      member.playerId === message.playerId &&
      member.role === role &&
      message.roomId === room.roomId &&
      message.protocolVersion === PROTOCOL_VERSION
    );
  }

  #mayRefuse(peerId: string): boolean {
    const now = this.deps.now();
    let window = this.#refused.get(peerId);
    if (!window || now - window.at >= 1000) {
      if (this.#refused.size >= 1024) this.#refused.clear(); // bounded whatever the peer ids
      window = { at: now, count: 0 };
      this.#refused.set(peerId, window);
    }
    return ++window.count <= REFUSALS_PER_SECOND;
  }

  #reject(peerId: string, reason: JoinRejectReason, text: string): void {
    const answer: JoinRejectMessage = { type: MessageType.JoinReject, reason, message: text };
    this.deps.links.sendTo(peerId, answer);
  }

  /**
   * A fresh session of a player in the room proved it holds the player's rejoin token (see
   * `reconnect.ts`): it gets the room and the start state like a late joiner, in the slot it
   * kept; nobody else hears of it (the player never left).
   * @param markAway - Marks it away (and tells it so), between the room and the state.
   */
  reseat(member: Member, room: RoomStatus, markAway: (engine: RollbackEngine) => void): void {
    if (!room.engine) return;
    this.deps.links.renew(member.peerId);
    relink(this.deps.roster, this.deps.links, room.cfg.topology, null);
    this.deps.links.sendTo(member.peerId, this.#accept(member, room));
    // It hears that it is away before its start state arrives, so it never plays from that
    // state (the host holds its inputs past it): it asks to come back, and gets a newer one.
    markAway(room.engine);
    this.#sendStartState(member.peerId, room.engine, room.state);
    this.deps.tellAwayWindows(member);
  }

  /** The `JoinAccept` that tells a member the room. */
  #accept(member: Member, room: RoomStatus): JoinAcceptMessage {
    const config: Record<string, number> = {};
    for (const field of ROOM_CONFIG_FIELDS) config[field] = room.cfg[field];
    if (room.engine) config[GAME_IN_PROGRESS_KEY] = 1;
    return {
      type: MessageType.JoinAccept,
      roomId: room.roomId ?? '',
      slot: member.slot,
      players: this.deps.roster.wirePlayers(),
      config,
    };
  }

  /** Tells an admitted member the room, and everyone else the new member. */
  #welcome(member: Member, room: RoomStatus): void {
    const { links } = this.deps;
    links.sendTo(member.peerId, this.#accept(member, room));
    links.broadcast({ type: MessageType.PlayerJoined, player: toWire(member) }, member.peerId);
  }

  #warnLargeMesh(players: number, cfg: SessionConfig): void {
    if (cfg.topology !== Topology.Mesh || players <= MESH_RECOMMENDED_PLAYERS) return;
    const links = (players * (players - 1)) / 2;
    const text = `mesh with ${players} players: every player links to every other (${links} links); more than ${MESH_RECOMMENDED_PLAYERS} is not recommended, use Topology.Star`;
    this.deps.report.session('MESH_TOO_LARGE', text);
  }

  /** Sends a late joiner the newest confirmed state (and the pause, if paused). */
  #sendStartState(peerId: string, engine: RollbackEngine, state: SessionState): void {
    const snapshot = engine.getConfirmedState();
    const { links } = this.deps;
    const link = links.get(peerId);
    if (link) for (const s of link.sendSlots) link.noteAck(s, snapshot.tick - 1);
    const sync: StateSyncMessage = {
      type: MessageType.StateSync,
      tick: snapshot.tick,
      hash: snapshot.hash >>> 0,
      state: snapshot.state,
      players: this.deps.roster.wirePlayers(snapshot.tick),
    };
    links.sendTo(peerId, sync);
    // A paused game stays paused for the joiner too.
    if (state === SessionState.Paused) {
      links.sendTo(peerId, { type: MessageType.Pause, tick: engine.currentTick });
    }
  }
}

/**
 * Joiner: the room settings the host sent, adopted over the local config.
 * @returns The new config. @throws RbnError `'INVALID_CONFIG'` when the host's are invalid.
 */
export function adoptRoomConfig(
  cfg: SessionConfig,
  hostConfig: Readonly<Record<string, number>>,
): SessionConfig {
  const config: Record<string, number> = {};
  for (const field of ROOM_CONFIG_FIELDS) {
    const value = hostConfig[field];
    if (value !== undefined) config[field] = value;
  }
  return resolveSessionConfig({ ...cfg, ...config });
}

/**
 * Joiner: seats the room's members as the host's accept lists them, and the local member in
 * its slot (join ticks come with the start state).
 */
export function seatMembers(
  roster: Roster,
  accept: JoinAcceptMessage,
  local: { playerId: PlayerId; peerId: string; role: PlayerRole; metadata: Uint8Array },
  hostPeerId: string | null = null,
): void {
  // The host is the member we asked (after a host migration it no longer holds slot 0).
  const host = accept.players.find((wire) => wire.peerId === hostPeerId);
  if (host) roster.setHost(host.slot);
  for (const wire of accept.players) {
    roster.add({
      slot: wire.slot,
      playerId: wire.playerId,
      peerId: wire.peerId,
      role: fromWireRole(wire.role),
      joinTick: -1,
      leaveTick: -1,
      metadata: wire.metadata,
    });
  }
  if (!roster.at(accept.slot)) {
    roster.add({ slot: accept.slot, ...local, joinTick: -1, leaveTick: -1 });
  }
}

/**
 * Joiner: takes the join and leave ticks of the start state's players (adding departed
 * players whose inputs still count after the state's tick).
 */
export function applyStartPlayers(roster: Roster, players: readonly WirePlayer[]): void {
  for (const wire of players) {
    const member = roster.at(wire.slot);
    if (member && member.playerId === wire.playerId) {
      roster.setTicks(member, { joinTick: wire.joinTick, leaveTick: wire.leaveTick });
    } else if (!member) {
      const added = roster.add({
        slot: wire.slot,
        playerId: wire.playerId,
        peerId: wire.peerId,
        role: fromWireRole(wire.role),
        joinTick: wire.joinTick,
        leaveTick: wire.leaveTick,
        metadata: wire.metadata,
      });
      if (wire.leaveTick >= 0) roster.depart(added, false);
    }
  }
}

/**
 * Any member: seats a member the host announced (adding a player to the running engine).
 * @param running - Whether a game runs (or its state is on the way): the join tick counts.
 * @returns Whether it was seated (`false` when its slot is taken).
 */
export function seatAnnounced(
  roster: Roster,
  wire: WirePlayer,
  engine: RollbackEngine | null,
  recording: Recording,
  running: boolean,
): boolean {
  const there = roster.at(wire.slot);
  if (there) {
    // The host gives a new member the slot of a player long gone (see reclaimDepartedSlots).
    if (there.status !== 'departed' || there.leaveTick < 0) return false;
    roster.depart(there, true);
  }
  if (engine && wire.role === WireRole.Player) {
    engine.addPlayer(wire.playerId, wire.joinTick);
    recording.recordJoin(wire.playerId, wire.joinTick);
  }
  roster.add({
    slot: wire.slot,
    playerId: wire.playerId,
    peerId: wire.peerId,
    role: fromWireRole(wire.role),
    joinTick: running ? wire.joinTick : -1,
    leaveTick: wire.leaveTick,
    metadata: wire.metadata,
  });
  return true;
}

/** What the joiner does with the host's `JoinAccept`. */
export type JoinAcceptOutcome =
  | { readonly kind: 'ignored' }
  | {
      readonly kind: 'failed';
      readonly error: RbnError;
      /** The host seated us anyway (a new slot instead of the kept one): say goodbye first. */
      readonly leave?: true;
    }
  | {
      readonly kind: 'seated';
      /** The config with the host's room settings adopted. */
      readonly cfg: SessionConfig;
      readonly roomId: string;
      /** Mesh: the players this joiner connects to itself. */
      readonly connect: readonly string[];
      /** The game runs already: the join completes with the start state. */
      readonly inProgress: boolean;
    };

/** The joiner's side, as {@link onJoinAccept} and friends see it. */
export type JoinerDeps = {
  readonly game: Game<Uint8Array>;
  readonly joining: JoinAttempt;
  readonly report: Reporter;
  readonly roster: Roster;
};

/**
 * Joiner: the host's `JoinAccept`: adopts the room settings and seats the members (the
 * orchestrator applies the returned config, links and state).
 */
export function onJoinAccept(
  deps: JoinerDeps,
  cfg: SessionConfig,
  local: { playerId: PlayerId; peerId: string; role: PlayerRole; metadata: Uint8Array },
  peerId: string,
  message: JoinAcceptMessage,
): JoinAcceptOutcome {
  const { joining, report, roster } = deps;
  if (peerId !== joining.askingHost) {
    report.peer(peerId, message.type, 'unexpected join answer');
    return { kind: 'ignored' };
  }
  let adopted: SessionConfig;
  try {
    adopted = adoptRoomConfig(cfg, message.config);
  } catch (error) {
    const text = `joinRoom: the host's room settings are invalid: ${String(error)}`;
    return { kind: 'failed', error: new RbnError('JOIN_REJECTED', text) };
  }
  seatMembers(roster, message, local, peerId);
  const kept = joining.rejoinSlot;
  if (kept !== null && message.slot !== kept) {
    // The host admitted a new player: our slot was no longer kept (its window ran out).
    const text = `rejoinRoom: the host no longer keeps slot ${kept} (it offered slot ${message.slot} as a new player)`;
    return { kind: 'failed', error: new RbnError('JOIN_REJECTED', text), leave: true };
  }
  joining.waitForStart();
  const connect: string[] = [];
  if (adopted.topology === Topology.Mesh && local.role === PlayerRole.Player) {
    for (const member of roster.all()) {
      if (member.isLocal || member.isHost || member.role !== PlayerRole.Player) continue;
      connect.push(member.peerId);
    }
  }
  const inProgress = message.config[GAME_IN_PROGRESS_KEY] === 1;
  return { kind: 'seated', cfg: adopted, roomId: message.roomId, connect, inProgress };
}

/**
 * Joiner: the host's `JoinReject`.
 * @returns The error `joinRoom()` rejects with, or `null` when it was not our host's answer.
 */
export function onJoinReject(
  deps: JoinerDeps,
  peerId: string,
  message: JoinRejectMessage,
): RbnError | null {
  if (peerId !== deps.joining.askingHost) {
    deps.report.peer(peerId, message.type, 'unexpected join answer');
    return null;
  }
  const error = new RbnError(
    'JOIN_REJECTED',
    `joinRoom: the host refused (${JoinRejectReason[message.reason]}): ${message.message}`,
  );
  (error as RbnError & { reason?: JoinRejectReason }).reason = message.reason;
  return error;
}

/** The newest tick a start state may have (a game at 60 Hz reaches it after 207 days). */
export const MAX_START_TICK = 2 ** 30;

/**
 * Any non-host: whether a `StateSync` (the start state) is welcome now: from the host, in the
 * lobby (for tick 0, where `start()` begins) or while a late join waits for it (a tick up to
 * {@link MAX_START_TICK}), before any engine runs, and with a state the game loads and that
 * hashes to the host's hash (tried without keeping it).
 */
export function startStateWelcome(
  deps: JoinerDeps,
  peerId: string,
  message: StateSyncMessage,
  state: SessionState,
  engine: RollbackEngine | null,
): boolean {
  if (!fromHost(deps.roster, deps.report, peerId, message.type)) return false;
  if ((state !== SessionState.Lobby && !deps.joining.awaitingStart) || engine) {
    deps.report.peer(peerId, message.type, 'a start state arrived while not in the lobby');
    return false;
  }
  const high = deps.joining.awaitingStart ? MAX_START_TICK : 0;
  if (message.tick < 0 || message.tick > high) {
    deps.report.peer(peerId, message.type, `a start state for tick ${message.tick} (0..${high})`);
    return false;
  }
  const tried = trialHash(deps.game, message.state);
  if (typeof tried !== 'number') {
    deps.report.peer(peerId, message.type, `a start state the game cannot load (${tried.message})`);
    return false;
  }
  if (tried !== message.hash >>> 0) {
    const text = `the start state hashes to ${tried} here but ${message.hash} on the host: serialize/deserialize/hash are not deterministic (not loaded)`;
    deps.report.session('STATE_MISMATCH', text, peerId, message.type);
    return false;
  }
  return true;
}

/** A late joiner got its start state: it learns every member (with real join ticks) and the join resolves. */
export function completeLateJoin(joining: JoinAttempt, roster: Roster, emitter: Emitter): void {
  if (!joining.awaitingStart) return;
  for (const m of roster.all()) {
    if (m.status === 'present') emitter.emit('playerJoined', m.info);
  }
  joining.succeed();
}

/**
 * Any non-host: the host's `PlayerJoined`.
 * @returns The seated member and whether to announce it now, or `null` when refused.
 */
export function onPlayerJoined(
  deps: JoinerDeps,
  peerId: string,
  message: PlayerJoinedMessage,
  engine: RollbackEngine | null,
  recording: Recording,
): { readonly member: Member; readonly announce: boolean } | null {
  const { roster, joining } = deps;
  if (!fromHost(roster, deps.report, peerId, message.type)) return null;
  const announce = !joining.awaitingStart; // else the start state brings the event
  const running = engine !== null || !announce;
  if (!seatAnnounced(roster, message.player, engine, recording, running)) return null;
  return { member: roster.at(message.player.slot)!, announce };
}
