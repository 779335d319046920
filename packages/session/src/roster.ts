import { MessageType, WireRole } from '@rbn/protocol';
import type { PlayerId, Tick, WirePlayer } from '@rbn/protocol';
import { SLOT_COUNT } from './internal/link';
import type { Link } from './internal/link';
import type { Reporter } from './internal/reporter';
import { PlayerRole } from './types';
import type { PlayerInfo } from './types';

/** The host's slot. */
export const HOST_SLOT = 0;

/**
 * Whether a member is in the room (`present`) or left a game in progress whose inputs may
 * still count up to its leave tick (`departed`).
 */
export type MemberStatus = 'present' | 'departed';

/** A room member as the session tracks it. Read-only outside the {@link Roster}. */
export type Member = {
  readonly slot: number;
  readonly playerId: PlayerId;
  readonly peerId: string;
  readonly role: PlayerRole;
  readonly joinTick: Tick;
  readonly leaveTick: Tick;
  /** The member's application metadata (empty for none); see {@link PlayerInfo.metadata}. */
  readonly metadata: Uint8Array;
  readonly isHost: boolean;
  readonly isLocal: boolean;
  readonly status: MemberStatus;
  /** The frozen public view of this member. */
  readonly info: PlayerInfo;
};

/** What {@link Roster.add} needs to know of a new member. */
export type NewMember = {
  slot: number;
  playerId: PlayerId;
  peerId: string;
  role: PlayerRole;
  joinTick: Tick;
  leaveTick: Tick;
  /** The member's application metadata, already within the protocol's bound (empty for none). */
  metadata: Uint8Array;
};

type MutableMember = { -readonly [K in keyof Member]: Member[K] };

/** The public role of a wire role. */
export function fromWireRole(role: WireRole): PlayerRole {
  return role === WireRole.Spectator ? PlayerRole.Spectator : PlayerRole.Player;
}

/** The wire role of a public role. */
export function toWireRole(role: PlayerRole): WireRole {
  return role === PlayerRole.Spectator ? WireRole.Spectator : WireRole.Player;
}

function infoOf(m: Member): PlayerInfo {
  return Object.freeze({
    playerId: m.playerId,
    peerId: m.peerId,
    slot: m.slot,
    role: m.role,
    isHost: m.isHost,
    isLocal: m.isLocal,
    joinTick: m.joinTick,
    leaveTick: m.leaveTick,
    metadata: m.metadata,
  });
}

/**
 * The room's membership: the only place it is stored. Members live by slot with an explicit
 * {@link MemberStatus}; every other view (players by id, members by peer, remote players,
 * counts) is computed from the slots on read and cached until the next change.
 */
export class Roster {
  readonly #slots: (MutableMember | undefined)[] = new Array<MutableMember | undefined>(SLOT_COUNT);
  #version = 0;
  #viewsAt = -1;
  #players = new Map<PlayerId, PlayerInfo>();
  #byPeer = new Map<string, Member>();
  #remotePlayers: Member[] = [];
  #all: Member[] = [];
  #localSlot = -1;
  #hostSlot = HOST_SLOT;
  readonly #awayFrom = new Int32Array(SLOT_COUNT).fill(-1);
  readonly #backAt = new Int32Array(SLOT_COUNT).fill(-1);
  /**
   * Per slot, the window that closed (back announced) before the current one opened: its
   * ticks' inputs stay the host's to give (see {@link inAwayWindow}).
   */
  readonly #closedFrom = new Int32Array(SLOT_COUNT).fill(-1);
  readonly #closedBack = new Int32Array(SLOT_COUNT).fill(-1);
  /** The peer each player id joined with in this room (kept after it leaves). */
  readonly #boundPeer = new Map<PlayerId, string>();

  /**
   * @param localPlayerId - The local player's id.
   * @param localPeerId - The local transport's peer id.
   */
  constructor(
    private readonly localPlayerId: PlayerId,
    private readonly localPeerId: string,
  ) {}

  /** Adds a present member at its slot (replacing nothing: the caller checks the slot is free). */
  add(fields: NewMember): Member {
    const member = {
      ...fields,
      isHost: fields.slot === this.#hostSlot,
      isLocal: fields.playerId === this.localPlayerId && fields.peerId === this.localPeerId,
      status: 'present',
    } as MutableMember;
    member.info = infoOf(member);
    this.#slots[member.slot] = member;
    this.#awayFrom[member.slot] = -1;
    this.#backAt[member.slot] = -1;
    this.#closedFrom[member.slot] = -1;
    this.#closedBack[member.slot] = -1;
    if (!this.#boundPeer.has(member.playerId)) {
      if (this.#boundPeer.size >= 1024) this.#boundPeer.clear(); // bounded whatever joins
      this.#boundPeer.set(member.playerId, member.peerId);
    }
    this.#version++;
    return member;
  }

  /**
   * The away window of a slot's player: its inputs of ticks from `from` up to (not including)
   * `back` are decided for it (`back` -1: not back yet). `from` -1: never away.
   */
  awayWindow(slot: number): { from: Tick; back: Tick } {
    return { from: this.#awayFrom[slot] ?? -1, back: this.#backAt[slot] ?? -1 };
  }

  /** {@link awayWindow}'s `from` alone (no object: the per-frame loops read it). */
  awayFrom(slot: number): Tick {
    return this.#awayFrom[slot] ?? -1;
  }

  /** {@link awayWindow}'s `back` alone (no object: the per-frame loops read it). */
  backAt(slot: number): Tick {
    return this.#backAt[slot] ?? -1;
  }

  /** Whether a slot's player is away now (marked away and not announced back). */
  isAway(slot: number): boolean {
    return (this.#awayFrom[slot] ?? -1) >= 0 && (this.#backAt[slot] ?? -1) < 0;
  }

  /**
   * Whether the tick of a slot's player's input lies in its away window, or in the window
   * before it: a peer that hears of both at once (its messages waited while it was stalled)
   * may still get the player's own inputs of the older one after it.
   */
  inAwayWindow(slot: number, tick: Tick): boolean {
    const from = this.#awayFrom[slot] ?? -1;
    const back = this.#backAt[slot] ?? -1;
    if (from >= 0 && tick >= from && (back < 0 || tick < back)) return true;
    return tick >= (this.#closedFrom[slot] ?? -1) && tick < (this.#closedBack[slot] ?? -1);
  }

  /** A slot's player is away from `from` on (a new window; a closed one before it is kept). */
  setAway(slot: number, from: Tick): void {
    const back = this.#backAt[slot] ?? -1;
    if (back >= 0) {
      this.#closedFrom[slot] = this.#awayFrom[slot] ?? -1;
      this.#closedBack[slot] = back;
    }
    this.#awayFrom[slot] = from;
    this.#backAt[slot] = -1;
    this.#version++;
  }

  /** A slot's away window is over and confirmed: forget it. */
  clearAway(slot: number): void {
    this.#awayFrom[slot] = -1;
    this.#backAt[slot] = -1;
    this.#version++;
  }

  /** A slot's player plays its own inputs again from `back` on. */
  setBack(slot: number, back: Tick): void {
    this.#backAt[slot] = back;
    this.#version++;
  }

  /** Sets a member's join and/or leave tick. */
  setTicks(member: Member, ticks: { joinTick?: Tick; leaveTick?: Tick }): void {
    const m = this.#own(member);
    if (ticks.joinTick !== undefined) m.joinTick = ticks.joinTick;
    if (ticks.leaveTick !== undefined) m.leaveTick = ticks.leaveTick;
    m.info = infoOf(m);
    this.#version++;
  }

  /** Marks a member as gone from the room; while no game runs its slot is freed. */
  depart(member: Member, freeSlot: boolean): void {
    const m = this.#own(member);
    m.status = 'departed';
    if (freeSlot) this.#slots[m.slot] = undefined;
    this.#version++;
  }

  /**
   * The room's host is the member in `slot` from now on (the room was created with the host in
   * {@link HOST_SLOT}; a host migration or a join after one moves it).
   */
  setHost(slot: number): void {
    this.#hostSlot = slot;
    for (const m of this.#slots) {
      if (!m) continue;
      const isHost = m.slot === slot;
      if (m.isHost !== isHost) {
        m.isHost = isHost;
        m.info = infoOf(m);
      }
    }
    this.#version++;
  }

  /** The host's slot. */
  get hostSlot(): number {
    return this.#hostSlot;
  }

  /**
   * Frees the slots of departed players that `settled` says nobody needs any more (their
   * inputs are behind every peer), so join-leave churn in a long game cannot use up the slots.
   */
  reclaim(settled: (member: Member) => boolean): void {
    for (const m of this.#slots) {
      if (m?.status !== 'departed' || m.leaveTick < 0 || !settled(m)) continue;
      this.#slots[m.slot] = undefined;
      this.#version++;
    }
  }

  /** Forgets every member. */
  clear(): void {
    this.#hostSlot = HOST_SLOT;
    this.#slots.fill(undefined);
    this.#awayFrom.fill(-1);
    this.#backAt.fill(-1);
    this.#closedFrom.fill(-1);
    this.#closedBack.fill(-1);
    this.#boundPeer.clear();
    this.#version++;
  }

  /** The local player's id. */
  get ownPlayerId(): PlayerId {
    return this.localPlayerId;
  }

  /** The local member's slot, or -1 when not in a room. */
  get localSlot(): number {
    this.#refresh();
    return this.#localSlot;
  }

  /** Whether the local member hosts the room (holds the host's slot). */
  get isHost(): boolean {
    const host = this.#slots[this.#hostSlot];
    return host?.isLocal === true && host.status === 'present';
  }

  /** The host's peer id, or `null` when not in a room. */
  get hostPeerId(): string | null {
    return this.#slots[this.#hostSlot]?.peerId ?? null;
  }

  /** Whether the local member plays (not a spectator, and in a room). */
  get localPlays(): boolean {
    return this.#slots[this.localSlot]?.role === PlayerRole.Player;
  }

  /** Whether the host marked the local member away and it is not back yet. */
  get localAway(): boolean {
    const slot = this.localSlot;
    return slot >= 0 && this.isAway(slot);
  }

  /** The member in a slot (present or departed), if any. */
  at(slot: number): Member | undefined {
    return this.#slots[slot];
  }

  /**
   * The member in a slot when it is a player whose inputs count in the game (joined at a known
   * tick), else `undefined`.
   */
  countedPlayer(slot: number): Member | undefined {
    const m = this.#slots[slot];
    return m && m.role === PlayerRole.Player && m.joinTick >= 0 ? m : undefined;
  }

  /**
   * Every member, present or departed, in slot order. The array is cached until the roster
   * next changes (a change makes a new one, so iterating it while changing the roster is safe).
   */
  all(): readonly Member[] {
    this.#refresh();
    return this.#all;
  }

  /** The present remote member reached through a peer id. */
  byPeer(peerId: string): Member | undefined {
    this.#refresh();
    return this.#byPeer.get(peerId);
  }

  /**
   * {@link Roster.byPeer} for a link's peer, remembered on the link until the roster next
   * changes: the per-frame and per-message paths ask it for every link.
   */
  linkMember(link: Link): Member | undefined {
    this.#refresh();
    if (link.rosterVersion !== this.#version) {
      link.rosterMember = this.#byPeer.get(link.peerId);
      link.rosterVersion = this.#version;
    }
    return link.rosterMember;
  }

  /** Present remote members by peer id. */
  get remoteMembers(): ReadonlyMap<string, Member> {
    this.#refresh();
    return this.#byPeer;
  }

  /**
   * Whether a player id belongs to another peer: the one that first joined this room with it
   * (present or departed). A player id cannot be taken over by a new peer.
   */
  boundElsewhere(playerId: PlayerId, peerId: string): boolean {
    const owner = this.#boundPeer.get(playerId);
    return owner !== undefined && owner !== peerId;
  }

  /** The present member with a player id. */
  findPresent(playerId: PlayerId): Member | undefined {
    for (const m of this.#slots) if (m?.status === 'present' && m.playerId === playerId) return m;
    return undefined;
  }

  /** Present members (players and spectators) by player id. */
  get players(): ReadonlyMap<PlayerId, PlayerInfo> {
    this.#refresh();
    return this.#players;
  }

  /** Present remote members who play. */
  get remotePlayers(): readonly Member[] {
    this.#refresh();
    return this.#remotePlayers;
  }

  /** How many present players and spectators the room holds. */
  counts(): { players: number; spectators: number } {
    let players = 0;
    let spectators = 0;
    for (const m of this.#slots) {
      if (m?.status !== 'present') continue;
      if (m.role === PlayerRole.Player) players++;
      else spectators++;
    }
    return { players, spectators };
  }

  /** The first free slot after the host's (never held, or reclaimed), or -1. */
  freeSlot(): number {
    for (let s = HOST_SLOT + 1; s < SLOT_COUNT; s++) if (this.#slots[s] === undefined) return s;
    return -1;
  }

  /** Slots of the players whose inputs count at `tick`. */
  slotsActiveAt(tick: Tick): number[] {
    const slots: number[] = [];
    for (const m of this.#slots) {
      if (!m || m.role !== PlayerRole.Player || m.joinTick < 0 || m.joinTick > tick) continue;
      if (m.leaveTick >= 0 && tick >= m.leaveTick) continue;
      slots.push(m.slot);
    }
    return slots;
  }

  /** Whether a member reached through `peerId` left (a late message from it is no violation). */
  hasDeparted(peerId: string): boolean {
    for (const m of this.#slots) if (m?.peerId === peerId && m.leaveTick >= 0) return true;
    return false;
  }

  /**
   * The members to describe on the wire: everyone in the room, plus (with `fromTick`) departed
   * players whose inputs still count at or after that tick.
   */
  wirePlayers(fromTick = Infinity): WirePlayer[] {
    const list: WirePlayer[] = [];
    for (const m of this.#slots) {
      if (!m) continue;
      if (m.status === 'present' || (m.joinTick >= 0 && m.leaveTick > fromTick)) {
        list.push(toWire(m));
      }
    }
    return list;
  }

  #own(member: Member): MutableMember {
    const m = this.#slots[member.slot];
    if (m !== member) throw new Error(`roster: slot ${member.slot} holds another member`);
    return m;
  }

  /** Recomputes the derived views after a change (not on every read). */
  #refresh(): void {
    if (this.#viewsAt !== this.#version) {
      const players = new Map<PlayerId, PlayerInfo>();
      const byPeer = new Map<string, Member>();
      const remotePlayers: Member[] = [];
      const all: Member[] = [];
      this.#localSlot = -1;
      for (const m of this.#slots) {
        if (m) all.push(m);
        if (m?.isLocal) this.#localSlot = m.slot;
        if (m?.status !== 'present') continue;
        players.set(m.playerId, m.info);
        if (m.isLocal) continue;
        byPeer.set(m.peerId, m);
        if (m.role === PlayerRole.Player) remotePlayers.push(m);
      }
      this.#players = players;
      this.#byPeer = byPeer;
      this.#remotePlayers = remotePlayers;
      this.#all = all;
      this.#viewsAt = this.#version;
    }
  }
}

/** A member as the wire describes it. */
export function toWire(member: Member): WirePlayer {
  return {
    slot: member.slot,
    playerId: member.playerId,
    peerId: member.peerId,
    role: toWireRole(member.role),
    // The wire has no "not started": a lobby member travels with 0 and StateSync sets it.
    joinTick: Math.max(0, member.joinTick),
    leaveTick: member.leaveTick,
    metadata: member.metadata,
  };
}

/**
 * Whether a message that only the host may send came from the host (a non-host's copy is
 * reported as a peer violation).
 */
export function fromHost(
  roster: Roster,
  report: Reporter,
  peerId: string,
  type: MessageType,
): boolean {
  if (!roster.isHost && peerId === roster.hostPeerId) return true;
  report.peer(peerId, type, `${MessageType[type]} may only come from the host`);
  return false;
}
