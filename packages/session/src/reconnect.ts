import type { RollbackEngine } from '@rbn/core';
import { LeaveReason, MessageType, RbnError, sameBytes } from '@rbn/protocol';
import type {
  JoinRequestMessage,
  PlayerBackMessage,
  RejoinMessage,
  TransportAdapter,
} from '@rbn/protocol';
import type { Away } from './away';
import { SLOT_COUNT } from './internal/link';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import { toWire } from './roster';
import type { Member, Roster } from './roster';
import { connectMember } from './topology';
import { PlayerRole, Topology } from './types';
import type { SessionConfig } from './types';

/**
 * Reconnect into the same slot. A player whose connection drops is not removed: the host marks
 * it away (see `away.ts`) and keeps its slot for `reconnectWindowMs`. The player stands still,
 * reconnects to the host by itself, proves who it is with the rejoin token the host gave it,
 * and comes back like any away player: same slot, same player id, state transfer at an agreed
 * tick. Nobody else can claim the slot: the token is a secret between the host and the player.
 * It proves itself again, once a second, until the host answers (it hears it is away): a rejoin
 * or an answer can be lost with a link that drops again, and a link only our side still holds
 * open carries nothing. The host answers every proof; a player whose link dropped on its side
 * only (the host still held it) is marked away then.
 *
 * Spectators reconnect the same way: the host gives them a token too and keeps a lost
 * spectator's slot for the window (there is nothing to mark away: it has no inputs). Once it
 * proves itself, the host sends it its newest confirmed state (a `PlayerBack` for the
 * spectator's slot, back tick = state tick) and every input from there on; the spectator loads
 * that state when it is ahead of its own tick (it skips forward, never back) and watches on.
 * It asks until a state arrives, and the host answers each ask (at most one state per half
 * second): its token stays its own, as a player's does, since an answer may never arrive. A
 * spectator has no inputs, so it can never change a player's; `rejoinRoom` (a fresh session)
 * is for players only.
 */

/** The bytes of a rejoin token. */
export const REJOIN_TOKEN_BYTES = 16;
/** How often a player that lost the host tries to connect again. */
export const RECONNECT_RETRY_MS = 1000;

/** Fills a token with random bytes (`crypto.getRandomValues` unless the session was given a source). */
export type RandomBytes = (bytes: Uint8Array) => void;

/** The default random source. */
export const cryptoRandomBytes: RandomBytes = (bytes) => {
  globalThis.crypto.getRandomValues(bytes);
};

/**
 * What a player needs to take its slot back from a fresh session (a reloaded page): see
 * `Session.rejoinTicket` and `Session.rejoinRoom`. The token is a secret: keep it where only
 * this player's page reads it (`sessionStorage`), never in a URL.
 */
export type RejoinTicket = {
  /** The room's id. */
  readonly roomId: string;
  /** The host's transport peer id. */
  readonly hostPeerId: string;
  /** The player's slot. */
  readonly slot: number;
  /** The player's id (the rejoining session must use it as its `localPlayerId`). */
  readonly playerId: string;
  /** The rejoin token the host gave this player ({@link REJOIN_TOKEN_BYTES} bytes). */
  readonly token: Uint8Array;
};

/**
 * Checks a ticket given to `Session.rejoinRoom` (from storage: anything may be in it).
 * @returns The error to reject with, or `null` when it is well formed.
 */
export function rejoinTicketError(ticket: unknown): RbnError | null {
  const t = ticket as Partial<RejoinTicket> | null;
  const ok =
    typeof t === 'object' &&
    t !== null &&
    typeof t.roomId === 'string' &&
    typeof t.hostPeerId === 'string' &&
    t.hostPeerId.length > 0 &&
    typeof t.playerId === 'string' &&
    Number.isInteger(t.slot) &&
    (t.slot as number) >= 0 &&
    (t.slot as number) < SLOT_COUNT &&
    t.token instanceof Uint8Array &&
    t.token.length === REJOIN_TOKEN_BYTES;
  if (ok) return null;
  const text = `rejoinRoom: the ticket must hold roomId, hostPeerId, playerId, a slot (0..${SLOT_COUNT - 1}) and a ${REJOIN_TOKEN_BYTES}-byte token`;
  return new RbnError('INVALID_ARGUMENT', text);
}

/**
 * What the host does with a `Rejoin` message: nothing more (a reconnecting session, or a
 * refusal already reported), take a fresh session of the player back into its slot (it
 * asked to join first: send it the room), or refuse that fresh session's join.
 */
export type RejoinOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'fresh'; readonly member: Member }
  | { readonly kind: 'refused'; readonly text: string };

const DONE: RejoinOutcome = { kind: 'done' };

/** How many departed peers a host remembers for {@link Reconnect.peerLeft}. */
const GONE_PEERS_KEPT = 64;

/** What {@link Reconnect} works with (the session's own parts, no more). */
export type ReconnectDeps = {
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly transport: TransportAdapter;
  readonly report: Reporter;
  readonly away: Away;
  readonly random: RandomBytes;
};

/**
 * Host: what it holds for one member's way back (its token, its reconnect window). A slot that
 * changes hands gets a new record: nothing of the member before carries over to the newcomer.
 */
type Grant = {
  /** The member it is for. */
  readonly member: Member;
  /** Its rejoin token; `undefined` once a fresh session spent it (the next frame hands out another). */
  token: Uint8Array | undefined;
  /** When its connection was lost (its reconnect window runs from there), or -1. */
  lostAt: number;
  /** A spectator: when it was last sent a state for its rejoin. */
  answeredAt: number;
  /** A fresh session of the player asked to join; its proof (a `Rejoin`) follows. */
  freshAsk: boolean;
};

/** Host: tokens and lost members; member: its token and the way back to the host. */
export class Reconnect {
  /** Host: per slot, the {@link Grant} of the member holding it. */
  readonly #grants: (Grant | undefined)[] = new Array<Grant | undefined>(SLOT_COUNT);
  /** Host: peers the app said left for good (see {@link peerLeft}), newest last. */
  readonly #gonePeers = new Set<string>();
  #ownToken: Uint8Array | null = null;
  #hostLostAt = -1;
  #lastTryAt = Number.NEGATIVE_INFINITY;
  #lastMeshRepairAt = Number.NEGATIVE_INFINITY;

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: ReconnectDeps) {}

  /** Everything starts over (a new room). */
  reset(): void {
    this.#grants.fill(undefined);
    this.#gonePeers.clear();
    this.#ownToken = null;
    this.#hostLostAt = -1;
  }

  /**
   * Member: a successor took over the room (see `host-migration.ts`): no reconnect to the old
   * host, and the old token means nothing to the new one (it hands out its own).
   */
  hostReplaced(): void {
    this.#hostLostAt = -1;
    this.#ownToken = null;
    this.#grants.fill(undefined);
  }

  /**
   * Member: what a fresh session needs to take our slot back, or `null` (the host, or before
   * its token arrived). See `Session.rejoinTicket`.
   */
  ticket(roomId: string | null, playerId: string): RejoinTicket | null {
    const { roster } = this.deps;
    const host = roster.hostPeerId;
    const token = this.#ownToken;
    if (!token || roster.isHost || !roster.localPlays || host === null || roomId === null) {
      return null; // a spectator reconnects by itself only (no fresh-session rejoin)
    }
    return { roomId, hostPeerId: host, slot: roster.localSlot, playerId, token: token.slice() };
  }

  /**
   * Host: a `JoinRequest` from the peer of a player in a running game. That is a fresh session
   * of the player (its page was reloaded) that wants its slot back: hold the request (no
   * answer yet) until the `Rejoin` that follows proves it.
   * @returns Whether the request is held (else it is an ordinary join request).
   */
  holdFreshJoin(
    peerId: string,
    request: JoinRequestMessage,
    engine: RollbackEngine | null,
  ): boolean {
    const { roster } = this.deps;
    const member = roster.byPeer(peerId);
    if (!roster.isHost || !engine || !member || member.isLocal) return false;
    if (member.status !== 'present' || member.role !== PlayerRole.Player) return false;
    const grant = this.#grantOf(member);
    if (request.playerId !== member.playerId || grant?.token === undefined) return false;
    grant.freshAsk = true;
    return true;
  }

  /** Whether the local member could reconnect to a host it lost (it holds a token, a window). */
  mayReconnect(cfg: SessionConfig): boolean {
    return this.#ownToken !== null && cfg.reconnectWindowMs > 0;
  }

  /** Whether the local member lost the host and is trying to reconnect. */
  get reconnecting(): boolean {
    return this.#hostLostAt >= 0;
  }

  /**
   * Member: the host is gone. Returns whether we wait to reconnect (a running game, a token,
   * a window) instead of leaving the room.
   */
  hostLost(engine: RollbackEngine | null, cfg: SessionConfig, now: number): boolean {
    // Still waiting for the host's answer: the same window goes on.
    if (this.#hostLostAt >= 0 && this.deps.away.waitingForHost) return true;
    if (!engine || cfg.reconnectWindowMs <= 0 || this.#ownToken === null) return false;
    this.#hostLostAt = now;
    // The first try goes out at once: a host that only stalled may answer it.
    this.#lastTryAt = Number.NEGATIVE_INFINITY;
    this.deps.away.localLost();
    const host = this.deps.roster.hostPeerId;
    if (host !== null) this.deps.links.get(host)?.resetLiveness(now);
    return true;
  }

  /**
   * Host: a member's connection is gone. Returns whether its slot is kept for it (a player is
   * marked away meanwhile; a spectator, which has no inputs, just waits) instead of it leaving
   * the room. Only a member that holds a token can come back, so only it is kept.
   */
  memberLost(
    member: Member,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): boolean {
    if (!engine || cfg.reconnectWindowMs <= 0 || member.isLocal) return false;
    const plays = member.role === PlayerRole.Player;
    if (!plays && this.#grantOf(member)?.token === undefined) return false;
    if (plays && (!engine.hasPlayer(member.playerId) || member.joinTick < 0)) return false;
    const grant = this.#grantOf(member) ?? this.#grant(member);
    if (grant.lostAt < 0) grant.lostAt = now;
    // Its silence is known now: the liveness check moves on to the other links.
    this.deps.links.get(member.peerId)?.resetLiveness(now);
    if (plays) this.deps.away.markAwayNow(member, engine, cfg);
    return true;
  }

  /**
   * Host: the app says a peer left for good (`Session.peerLeft`, e.g. a signaling server's
   * word): a member of that peer whose link is lost loses its slot at the next frame instead of
   * when its reconnect window runs out, and one whose link is lost later at once. A member whose
   * link still carries messages keeps its slot, so the caller can only hasten what a lost link
   * brings anyway. At most {@link GONE_PEERS_KEPT} peers are remembered.
   */
  peerLeft(peerId: string): void {
    this.#gonePeers.add(peerId);
    if (this.#gonePeers.size > GONE_PEERS_KEPT) {
      this.#gonePeers.delete(this.#gonePeers.values().next().value as string);
    }
  }

  /**
   * The frame's work. Host: hands out tokens, and returns a member whose window ran out (the
   * caller removes it). Member: tries to reconnect; returns `'give up'` when its window ran out.
   */
  frame(cfg: SessionConfig, now: number): Member | 'give up' | null {
    const { roster } = this.deps;
    if (!roster.isHost) return this.#memberFrame(cfg, now);
    for (const member of roster.remoteMembers.values()) {
      this.handOut(member);
      const lostAt = this.#grantOf(member)!.lostAt;
      const gone = lostAt >= 0 && this.#gonePeers.delete(member.peerId);
      if (gone || (lostAt >= 0 && now - lostAt >= cfg.reconnectWindowMs)) {
        this.#grants[member.slot] = undefined;
        return member;
      }
    }
    return null;
  }

  /**
   * Host: gives a member its rejoin token unless it holds one (each frame does this for every
   * member; a member admitted gets it at once, in the lobby or before its start state, so that
   * it can come back if its link drops as the game starts or while the state is on the way).
   * @param again - Send the token it holds again (its accept, sent again, may have lost it).
   */
  handOut(member: Member, again = false): void {
    // A slot another member held before (it left, a newcomer took it) starts over: the old
    // token proves nothing for the newcomer, which never had it.
    const grant = this.#grantOf(member) ?? this.#grant(member);
    let token = grant.token;
    if (token !== undefined && !again) return;
    if (token === undefined) {
      token = new Uint8Array(REJOIN_TOKEN_BYTES);
      this.deps.random(token);
      grant.token = token;
    }
    this.deps.links.sendTo(member.peerId, { type: MessageType.Rejoin, slot: member.slot, token });
  }

  /** Host: the grant of `member`'s slot if it is `member`'s. */
  #grantOf(member: Member): Grant | undefined {
    const grant = this.#grants[member.slot];
    return grant?.member === member ? grant : undefined;
  }

  /** Host: a new grant for `member`, without a token yet, replacing whatever its slot held. */
  #grant(member: Member): Grant {
    const grant: Grant = {
      member,
      token: undefined,
      lostAt: -1,
      answeredAt: Number.NEGATIVE_INFINITY,
      freshAsk: false,
    };
    this.#grants[member.slot] = grant;
    return grant;
  }

  /**
   * Member: the proof a fresh ask for our slot carries (our token), or `null` before the
   * host's token arrived.
   */
  ownProof(): RejoinMessage | null {
    const token = this.#ownToken;
    const slot = this.deps.roster.localSlot;
    if (token === null || slot < 0) return null;
    return { type: MessageType.Rejoin, slot, token: token.slice() };
  }

  #memberFrame(cfg: SessionConfig, now: number): 'give up' | null {
    // The host answered our rejoin (our away window, or a spectator's state, arrived): back.
    if (this.#hostLostAt >= 0 && !this.deps.away.waitingForHost) this.#hostLostAt = -1;
    if (this.#hostLostAt < 0) {
      if (cfg.topology === Topology.Mesh) this.#repairMesh(now);
      return null;
    }
    if (now - this.#hostLostAt >= cfg.reconnectWindowMs) return 'give up';
    if (now - this.#lastTryAt < RECONNECT_RETRY_MS) return null;
    this.#lastTryAt = now;
    const host = this.deps.roster.hostPeerId;
    const token = this.#ownToken;
    if (host === null || token === null) return 'give up';
    const slot = this.deps.roster.localSlot;
    const { transport, links, away } = this.deps;
    if (transport.connectedPeers.has(host)) {
      const link = links.get(host);
      if (link && now - link.lastRecvAt < cfg.disconnectTimeout) {
        // Connected, and no answer yet: our rejoin or its answer was lost, or the host was not
        // ready for it. Ask again (once a second, until it answers or the window ends).
        this.#askHost(host, slot, token, cfg);
        return null;
      }
      // Nothing arrives on a link only our side still holds open: connect afresh.
      transport.disconnect(host);
    }
    transport.connect(host).then(
      () => {
        if (this.#hostLostAt < 0 || this.#ownToken !== token || !away.waitingForHost) return;
        this.#askHost(host, slot, token, cfg);
      },
      () => {
        // Not reachable (yet): the next try follows in RECONNECT_RETRY_MS. A refused try says
        // nothing about the host: our own network may be what is down (see `hostLossGraceMs`).
      },
    );
    return null;
  }

  /** Member: proves to the host who we are (again), and opens our mesh links again. */
  #askHost(host: string, slot: number, token: Uint8Array, cfg: SessionConfig): void {
    this.deps.links.sendTo(host, { type: MessageType.Rejoin, slot, token });
    if (cfg.topology === Topology.Mesh) this.#reopenMesh(host);
  }

  /**
   * Mesh, with the host reached: opens again, once a second, a link to another player that is
   * not connected (it broke, or an earlier try failed while that player's network was down).
   * The later joiner of the two (the higher slot) connects, as a newcomer does.
   */
  #repairMesh(now: number): void {
    const { roster, transport } = this.deps;
    if (now - this.#lastMeshRepairAt < RECONNECT_RETRY_MS || !roster.localPlays) return;
    this.#lastMeshRepairAt = now;
    for (const member of roster.remotePlayers) {
      if (member.slot > roster.localSlot || member.isHost) continue;
      if (transport.connectedPeers.has(member.peerId)) continue;
      // Quietly: it may not be reachable yet (its network may be down too); the next try follows.
      connectMember(transport, roster, this.deps.links, null, member.peerId);
    }
  }

  /** Mesh: our links to the other players may have dropped with the host's; open them again. */
  #reopenMesh(host: string): void {
    const { roster, links, transport, report } = this.deps;
    for (const member of roster.remotePlayers) {
      if (member.peerId === host || transport.connectedPeers.has(member.peerId)) continue;
      connectMember(transport, roster, links, report, member.peerId);
    }
  }

  /**
   * Host: a spectator reconnected and proved itself. It gets the newest confirmed state (a
   * `PlayerBack` of its slot whose back tick is the state's tick) and every input from that
   * tick on (its acknowledgements are wound back to there).
   */
  #sendSpectatorState(member: Member, engine: RollbackEngine): void {
    const { links } = this.deps;
    const snapshot = engine.getConfirmedState();
    const message: PlayerBackMessage = {
      ...{ type: MessageType.PlayerBack, slot: member.slot, tick: snapshot.tick },
      ...{ stateTick: snapshot.tick, hash: snapshot.hash >>> 0, state: snapshot.state },
    };
    links.sendTo(member.peerId, message);
    const link = links.get(member.peerId);
    if (link) for (const s of link.sendSlots) link.resetAck(s, snapshot.tick - 1);
  }

  /**
   * Host: tells a member that reconnected who left and who joined while it was gone (those
   * announcements went out on its broken link). It simulated nothing since (it stood still) and
   * comes back from a state, so each departure and arrival, with its tick, is all it needs; one
   * it knew already changes nothing there.
   */
  #tellRoster(to: Member): void {
    const { roster, links } = this.deps;
    for (const m of roster.all()) {
      if (m === to || m.isLocal || m.status !== 'departed' || m.leaveTick < 0) continue;
      const reason = LeaveReason.Disconnected;
      links.sendTo(to.peerId, {
        type: MessageType.PlayerLeft,
        slot: m.slot,
        tick: m.leaveTick,
        reason,
      });
    }
    for (const m of roster.all()) {
      if (m === to || m.isLocal || m.status !== 'present') continue;
      links.sendTo(to.peerId, { type: MessageType.PlayerJoined, player: toWire(m) });
    }
  }

  /**
   * A `Rejoin` message: our token from the host, or (host) a member proving who it is.
   * @param engine - The host's engine (a spectator that proved itself gets its state).
   */
  onRejoin(
    peerId: string,
    message: RejoinMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): RejoinOutcome {
    const { roster, report } = this.deps;
    if (!roster.isHost) {
      // Not seated yet: the accept before it was lost (the host sends both again).
      if (roster.localSlot < 0) return DONE;
      if (peerId !== roster.hostPeerId || message.slot !== roster.localSlot) {
        report.peer(peerId, message.type, 'a rejoin token only comes from the host, for us');
        return DONE;
      }
      this.#ownToken = message.token.slice();
      return DONE;
    }
    const sender = roster.byPeer(peerId);
    const asked = sender && this.#grantOf(sender);
    const fresh = asked !== undefined && asked.freshAsk;
    if (asked) asked.freshAsk = false;
    const member = roster.at(message.slot);
    const grant = member && this.#grantOf(member);
    const token = grant?.token;
    if (!fresh && member && member.status !== 'present' && member.peerId === peerId) {
      // Too late: it was removed meanwhile. Tell it, so it leaves the room now.
      const tick = Math.max(0, member.leaveTick);
      const reason = LeaveReason.Disconnected;
      this.deps.links.sendTo(peerId, {
        type: MessageType.PlayerLeft,
        slot: member.slot,
        tick,
        reason,
      });
      return DONE;
    }
    if (
      !member ||
      !grant ||
      member.status !== 'present' ||
      member.peerId !== peerId ||
      token === undefined ||
      !sameBytes(token, message.token)
    ) {
      const text = `not the player of slot ${message.slot} (a wrong or stale rejoin token)`;
      report.peer(peerId, message.type, text);
      return fresh ? { kind: 'refused', text } : DONE;
    }
    if (!fresh) this.#tellRoster(member);
    if (member.role !== PlayerRole.Player) {
      // A spectator: no fresh-session rejoin (`rejoinRoom` is for players), no away window.
      if (fresh) return { kind: 'refused', text: 'a spectator rejoins by reconnecting only' };
      // It asks until a state arrives (and again after every drop): each ask gets the newest
      // one, at most one per RECONNECT_RETRY_MS / 2 (an ask sent again before our answer
      // arrived finds it on its way).
      if (engine && now - grant.answeredAt >= RECONNECT_RETRY_MS / 2) {
        grant.lostAt = -1;
        grant.answeredAt = now;
        this.#sendSpectatorState(member, engine);
      }
      return DONE;
    }
    grant.lostAt = -1;
    if (!fresh) {
      // It stands still until it hears it is away. Its link may have dropped on its side only
      // (we still held it): it is away from now. (One that came back already and asks again,
      // its ask sent before our answer arrived, reaches us before its inputs from its back
      // tick: its window is not retired yet.)
      const { away, roster: r } = this.deps;
      if (engine && !r.isAway(member.slot) && r.backAt(member.slot) < 0) {
        away.markAwayNow(member, engine, cfg);
      }
      away.rejoined(member);
      return DONE;
    }
    // A fresh session: the old token is spent (a copy of it proves nothing any more); the
    // next frame hands out a new one.
    grant.token = undefined;
    return { kind: 'fresh', member };
  }
}
