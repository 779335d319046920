import type { RollbackEngine } from '@rbn/core';
import { JoinRejectReason, LeaveReason, MessageType, RbnError } from '@rbn/protocol';
import type {
  HostMigratedMessage,
  MigrationQueryMessage,
  MigrationReportMessage,
  PlayerAwayMessage,
  PlayerBackMessage,
  JoinRequestMessage,
  PlayerLeftMessage,
  RejoinMessage,
  TransportAdapter,
} from '@rbn/protocol';
import { Away } from './away';
import { HostMigration } from './host-migration';
import type { Emitter } from './internal/emitter';
import type { Reporter } from './internal/reporter';
import type { Departures } from './leave';
import type { LinkTable } from './links';
import { Reconnect } from './reconnect';
import type { RandomBytes, RejoinTicket } from './reconnect';
import type { Member, Roster } from './roster';
import { PlayerRole, SessionState } from './types';
import type { SessionConfig } from './types';

/**
 * Sessions that survive real players: the session's one handle on away (`away.ts`), reconnect
 * into the same slot (`reconnect.ts`) and host migration (`host-migration.ts`). It routes their
 * messages, runs their frame work, turns a lost link into "away, slot kept" instead of a
 * departure, and a lost or departed host into a successor instead of the room's end.
 */

/** The messages {@link Survival.receive} handles. */
export type SurvivalMessage =
  | PlayerAwayMessage
  | PlayerBackMessage
  | RejoinMessage
  | MigrationQueryMessage
  | MigrationReportMessage
  | HostMigratedMessage;

/** What {@link Survival} works with (the session's own parts, no more). */
export type SurvivalDeps = {
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly transport: TransportAdapter;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly departures: Departures;
  readonly random: RandomBytes;
  /** The local member came back from a state: what was held for the old timeline is stale. */
  readonly cameBack: () => void;
  /**
   * Host: sends a fresh session of a player the room and the start state (`join.ts`), calling
   * `markAway` in between.
   */
  readonly reseat: (member: Member, markAway: (engine: RollbackEngine) => void) => void;
};

/** Away and reconnect, as the session sees them. */
export class Survival {
  readonly #away: Away;
  readonly #reconnect: Reconnect;
  readonly #migration: HostMigration;
  /** Member: the host's peer, once we were told it left for good (see {@link Survival.peerLeft}). */
  #hostDeparted: string | null = null;

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: SurvivalDeps) {
    const { roster, links, transport, emitter, report, random, departures } = deps;
    const settle = this.settle;
    const away = (this.#away = new Away({ roster, links, emitter, report, settle }));
    const reconnect = (this.#reconnect = new Reconnect({
      ...{ roster, links, transport, report, away, random },
    }));
    const hostReplaced = (): void => {
      this.#hostDeparted = null;
      away.hostReplaced();
      reconnect.hostReplaced();
    };
    this.#migration = new HostMigration({
      ...{ roster, links, transport, emitter, report, departures, hostReplaced },
    });
  }

  /** Whether the local game advances (not while the local member is away or asked to be). */
  get localPlays(): boolean {
    return this.#away.localPlays;
  }

  /** Host: whether it may decide a member's inputs now (see `HostMigration.settle`). */
  readonly settle = (member: Member, engine: RollbackEngine, gone: boolean): boolean =>
    this.#migration.settle(member, engine, gone);

  /** Everything starts over (a new room). */
  reset(): void {
    this.#away.reset();
    this.#reconnect.reset();
    this.#migration.reset();
    this.#hostDeparted = null;
  }

  /**
   * `session.peerLeft()`: a member told that its host's peer left for good replaces a host it
   * lost at once (as if it had said goodbye), and one it loses later too; the host releases
   * the slot of that peer's member once its link is lost (see `Reconnect.peerLeft`). A link
   * that is alive is kept: the news can only hasten what a lost link brings anyway.
   */
  peerLeft(peerId: string, engine: RollbackEngine | null, cfg: SessionConfig, now: number): void {
    const { roster } = this.deps;
    if (roster.isHost) {
      this.#reconnect.peerLeft(peerId);
      return;
    }
    if (peerId !== roster.hostPeerId) return;
    this.#hostDeparted = peerId;
    if (this.#migration.pending) this.#migration.hostGone(engine, cfg, now, true);
  }

  /**
   * A `PlayerLeft` message: the host saying goodbye hands the room to a successor; anything
   * else is an ordinary departure (`leave.ts`).
   * @returns Why the room ends for us, or `null`.
   */
  onPlayerLeft(
    peerId: string,
    message: PlayerLeftMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): string | null {
    const { roster, transport, departures } = this.deps;
    const fromHost = !roster.isHost && peerId === roster.hostPeerId;
    if (fromHost && message.slot === roster.hostSlot) {
      if (this.#migration.hostGone(engine, cfg, now, true)) {
        transport.disconnect(peerId);
        return null;
      }
    }
    return departures.onPlayerLeft(peerId, message, engine, cfg);
  }

  /**
   * `session.setAway()`: checks the session may be away, then goes away or comes back.
   * @throws RbnError `'INVALID_STATE'` when not a player in a running game, or for the host.
   */
  setLocalAway(
    away: boolean,
    engine: RollbackEngine | null,
    state: SessionState,
    role: PlayerRole,
  ): void {
    const running = state === SessionState.Playing || state === SessionState.Paused;
    if (!engine || !running || role !== PlayerRole.Player) {
      throw new RbnError('INVALID_STATE', 'setAway: only a player in a running game can be away');
    }
    this.#away.setLocalAway(away === true, { isHost: this.deps.roster.isHost });
  }

  /**
   * The frame's work: host migration (in the lobby too); while playing, away detection and
   * stand-ins, rejoin tokens, a lost member's window. Returns why the room ends for us (our own
   * window to reconnect ran out, we lost a host the others still reach, or no successor took
   * over), else `null`.
   * @param state - The session's state (away and reconnect work while `Playing` only).
   */
  frame(
    engine: RollbackEngine | null,
    state: SessionState,
    cfg: SessionConfig,
    now: number,
  ): string | null {
    const why = this.#migration.frame(engine, cfg, now, this.#reconnect.mayReconnect(cfg));
    if (why !== null || !engine || state !== SessionState.Playing) return why;
    this.#away.frame(engine, cfg, now);
    const expired = this.#reconnect.frame(cfg, now);
    if (expired === 'give up') {
      return `lost the host: no reconnect within ${cfg.reconnectWindowMs} ms`;
    }
    if (expired) this.deps.departures.depart(expired, LeaveReason.Disconnected, engine, cfg);
    return null;
  }

  /** A `PlayerAway`, `PlayerBack`, `Rejoin` or host-migration message. */
  receive(
    peerId: string,
    message: SurvivalMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    switch (message.type) {
      case MessageType.MigrationQuery:
      case MessageType.MigrationReport:
      case MessageType.HostMigrated:
        return this.#migration.onMessage(peerId, message, engine, cfg, now);
      case MessageType.PlayerAway:
        return this.#away.onAway(peerId, message, engine, cfg);
      case MessageType.PlayerBack: {
        const wasAway = !this.#away.localPlays;
        this.#away.onBack(peerId, message, engine, cfg);
        if (wasAway && this.#away.localPlays) this.deps.cameBack();
        return;
      }
      case MessageType.Rejoin:
        return this.#onRejoin(peerId, message, engine, cfg, now);
    }
  }

  /**
   * Host: tells a member that got a start state (a late joiner, a reseated player) about the
   * away windows in force, which the state does not carry.
   * @param member - The member.
   */
  tellAwayWindows(member: Member): void {
    this.#away.tellWindows(member);
  }

  /** Host: gives an admitted member its rejoin token now (see `Reconnect.handOut`). */
  handOutToken(member: Member, again = false): void {
    this.#reconnect.handOut(member, again);
  }

  /** Member: the proof of a fresh ask for our slot, or `null` (see `Reconnect.ownProof`). */
  ownRejoinProof(): RejoinMessage | null {
    return this.#reconnect.ownProof();
  }

  /** Member: our rejoin ticket while a game runs, or `null` (see `Session.rejoinTicket`). */
  rejoinTicket(state: SessionState, roomId: string | null, playerId: string): RejoinTicket | null {
    const running = state === SessionState.Playing || state === SessionState.Paused;
    return running ? this.#reconnect.ticket(roomId, playerId) : null;
  }

  /**
   * A `Rejoin` message (see `reconnect.ts`). Host: a fresh session of a player that proved
   * itself gets the room in its kept slot, and is away until it asks to come back; one whose
   * proof failed gets its join refused; a reconnected spectator gets the state to watch on from.
   */
  #onRejoin(
    peerId: string,
    message: RejoinMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    const outcome = this.#reconnect.onRejoin(peerId, message, engine, cfg, now);
    if (outcome.kind === 'refused') {
      const reason = JoinRejectReason.DuplicatePlayer;
      const reject = { type: MessageType.JoinReject, reason, message: outcome.text } as const;
      this.deps.links.sendTo(peerId, reject);
    } else if (outcome.kind === 'fresh') {
      const { member } = outcome;
      this.deps.reseat(member, (engine) => {
        this.#away.markAwayNow(member, engine, cfg);
        this.#away.rejoined(member);
      });
    }
  }

  /** Host: whether a join request is a fresh session of a player, held for its proof. */
  holdFreshJoin(
    peerId: string,
    request: JoinRequestMessage,
    engine: RollbackEngine | null,
  ): boolean {
    return this.#reconnect.holdFreshJoin(peerId, request, engine);
  }

  /**
   * A peer's connection is gone. Returns whether it is kept (a player keeps its slot, marked
   * away, for `reconnectWindowMs`, a spectator its slot; a member that lost the host waits to reconnect or for the
   * successor) instead of the usual departure.
   */
  peerGone(
    peerId: string,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): boolean {
    const { roster } = this.deps;
    if (roster.isHost) {
      const member = roster.byPeer(peerId);
      return member !== undefined && this.#reconnect.memberLost(member, engine, cfg, now);
    }
    if (peerId !== roster.hostPeerId) return false;
    // Either our own link dropped (we reconnect) or the host is gone (a successor takes over).
    const reconnecting = this.#reconnect.hostLost(engine, cfg, now);
    const leftForGood = this.#hostDeparted === peerId;
    return this.#migration.hostGone(engine, cfg, now, leftForGood) || reconnecting;
  }
}
