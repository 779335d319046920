import type { RollbackEngine } from '@rbn/core';
import { DEFAULT_LIMITS, LeaveReason, MessageType, RbnError } from '@rbn/protocol';
import type {
  DropPlayerMessage,
  PlayerId,
  PlayerLeftMessage,
  Tick,
  TransportAdapter,
  WirePlayer,
} from '@rbn/protocol';
import type { FrameAdvantage } from './frame-advantage';
import type { Emitter } from './internal/emitter';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import type { Recording } from './recording';
import type { Member, Roster } from './roster';
import { relink } from './topology';
import { PlayerRole, Topology } from './types';
import type { SessionConfig } from './types';

/**
 * Host: the first tick a departing member's inputs stop counting. It is the tick after the
 * last input of that player the host holds: in star every other peer gets that player's inputs
 * through the host, so nobody has confirmed anything later; in mesh the host forwards the
 * departed player's last inputs to everyone (see {@link planLinks}). (After a host migration a
 * member may hold more of them than the new host: the host takes those first, see
 * `HostMigration.settle`.)
 * @returns The tick, or -1 when no game runs (or the member never joined it).
 */
export function chooseLeaveTick(engine: RollbackEngine | null, member: Member): Tick {
  if (!engine || member.joinTick < 0) return -1;
  if (member.role !== PlayerRole.Player || !engine.hasPlayer(member.playerId)) {
    return engine.currentTick;
  }
  return Math.max(engine.getReceivedTick(member.playerId) + 1, member.joinTick);
}

/**
 * The tick a member's departure is recorded at, and whether the engine removes the player then.
 * @param tick - The announced leave tick (-1 when no game runs).
 */
export function departureTick(
  engine: RollbackEngine | null,
  member: Member,
  tick: Tick,
): { leaveTick: Tick; removeFromEngine: boolean } {
  if (
    engine &&
    member.role === PlayerRole.Player &&
    engine.hasPlayer(member.playerId) &&
    tick >= 0
  ) {
    return { leaveTick: Math.max(tick, member.joinTick), removeFromEngine: true };
  }
  return { leaveTick: Math.max(tick, 0), removeFromEngine: false };
}

/** What {@link Departures} works with (the session's own parts, no more). */
export type DepartureDeps = {
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly transport: TransportAdapter;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly recording: Recording;
  readonly advantage: FrameAdvantage;
  /**
   * Host: keeps a lost player's slot for its reconnect window (marked away); false when it
   * cannot come back and must leave.
   */
  readonly keepLost?: (
    member: Member,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ) => boolean;
  /**
   * Host: takes what the others hold of a departing player's inputs after a migration, before
   * its leave tick is chosen (see `HostMigration.settle`).
   */
  readonly settle?: (member: Member, engine: RollbackEngine) => void;
};

/**
 * Members leaving: on their own, dropped by the host, lost by the transport or by silence.
 * The host chooses the tick a player's inputs stop counting and tells everyone. Each handler
 * returns why the room ends for the local session (the host left, or removed us), or `null`.
 */
export class Departures {
  /**
   * Host: the slots that reported each member disconnected, and when (weakly held: gone with
   * the member). A report counts for `2 × disconnectTimeout`: a link still broken is reported
   * again once per `disconnectTimeout`, and one that was mended must not corroborate a later
   * break.
   */
  readonly #reports = new WeakMap<Member, Map<number, number>>();

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: DepartureDeps) {}

  /** A `PlayerLeft` message: a member announces its departure, or the host announces one. */
  onPlayerLeft(
    peerId: string,
    message: PlayerLeftMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): string | null {
    const { roster, report } = this.deps;
    if (roster.isHost) {
      // A member may only announce its own departure.
      const sender = roster.byPeer(peerId);
      if (!sender || sender.slot !== message.slot) {
        report.peer(peerId, message.type, 'a member may only announce its own departure');
        return null;
      }
      this.depart(sender, LeaveReason.Left, engine, cfg);
      return null;
    }
    if (!this.#fromHost(peerId, message.type)) return null;
    const member = roster.at(message.slot);
    // Gone already: the host tells a member that reconnected every departure it may have missed.
    if (!member || member.status !== 'present') return null;
    if (member.isHost) return 'the host left the room';
    if (member.isLocal) return 'the host removed this player';
    this.remove(member, message.tick, engine, cfg);
    return null;
  }

  /**
   * Member: the host seats a newcomer in a slot where we still hold another present player. We
   * missed that player's departure with our dropped link (the host reuses a slot only after its
   * player left, and forgets that departure later): it left no later than the newcomer joined.
   */
  onSlotTaken(
    peerId: string,
    wire: WirePlayer,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const { roster } = this.deps;
    const there = roster.at(wire.slot);
    if (peerId !== roster.hostPeerId || roster.isHost || there?.status !== 'present') return;
    if (there.isLocal || there.isHost || there.playerId === wire.playerId) return;
    this.remove(there, wire.joinTick, engine, cfg);
  }

  /** A `DropPlayer` message from the host. */
  onDropPlayer(
    peerId: string,
    message: DropPlayerMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): string | null {
    if (!this.#fromHost(peerId, message.type)) return null;
    const member = this.deps.roster.at(message.slot);
    if (!member) return null;
    if (member.isLocal) return 'the host dropped this player';
    this.remove(member, message.tick, engine, cfg);
    const metadata = message.metadata ? [message.metadata] : [];
    this.deps.emitter.emit('playerDropped', member.playerId, ...metadata);
    return null;
  }

  /** A member is gone (transport closed, or silent past `disconnectTimeout`). */
  onPeerGone(
    peerId: string,
    why: string,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): string | null {
    const { roster, links } = this.deps;
    const member = roster.byPeer(peerId);
    if (!member || member.isLocal) return null;
    if (member.isHost) return `lost the host: ${why}`;
    const hostPeerId = roster.hostPeerId;
    if (roster.isHost) {
      this.depart(member, LeaveReason.Disconnected, engine, cfg);
    } else if (cfg.topology === Topology.Mesh && hostPeerId !== null) {
      // In mesh a player we lost may still reach the host, but we cannot get its inputs any
      // more: ask the host to remove it (at a tick the host chooses for everyone). Its silence
      // is told now: the next report, if it stays silent, after another `disconnectTimeout`.
      const link = links.get(peerId);
      link?.resetLiveness(now);
      link?.markInterrupted();
      const tick = engine ? Math.max(0, engine.getReceivedTick(member.playerId) + 1) : 0;
      links.sendTo(hostPeerId, { type: MessageType.DisconnectReport, slot: member.slot, tick });
    }
    return null;
  }

  /** Host: a mesh player lost its link to another player; that player leaves the room. */
  onDisconnectReport(
    peerId: string,
    slot: number,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    const { roster, report } = this.deps;
    const type = MessageType.DisconnectReport;
    if (!roster.isHost) {
      report.peer(peerId, type, 'only the host receives disconnect reports');
      return;
    }
    if (cfg.topology !== Topology.Mesh) {
      // In star players have no links to each other, so there is nothing they could lose.
      report.peer(peerId, type, 'disconnect reports are for mesh rooms');
      return;
    }
    const reporter = roster.byPeer(peerId);
    const member = roster.at(slot);
    if (!reporter || !member || member.isLocal || member === reporter) return;
    if (member.status !== 'present') return; // already gone
    if (reporter.role !== PlayerRole.Player) {
      report.peer(peerId, type, 'a disconnect report from a spectator');
      return;
    }
    const since = now - 2 * cfg.disconnectTimeout;
    if ((this.#reports.get(reporter)?.get(member.slot) ?? -Infinity) >= since) {
      // Both ends report the link between them broken: one must go, the later joiner.
      const later = reporter.slot > member.slot ? reporter : member;
      this.#lose(later, engine, cfg);
      return;
    }
    // Kept until others or our link agree.
    if (!this.#corroborated(reporter, member, now, since)) return;
    this.#lose(member, engine, cfg);
  }

  /**
   * Host: a player the room lost touch with. One that can reconnect keeps its slot, away: we
   * close our link to it too, so it reconnects with its rejoin token and opens its mesh links
   * again; one that cannot leaves.
   */
  #lose(member: Member, engine: RollbackEngine | null, cfg: SessionConfig): void {
    if (this.deps.keepLost?.(member, engine, cfg) === true) {
      try {
        this.deps.transport.disconnect(member.peerId);
      } catch {
        // Already gone.
      }
      return;
    }
    this.depart(member, LeaveReason.Disconnected, engine, cfg);
  }

  /**
   * Whether a reported disconnect is corroborated: the host's own link to the member is
   * interrupted too, or more than half of the other players (the host counting when its link is
   * interrupted) reported it. One lying member cannot remove a healthy player (when the member
   * reports the reporter too, the link between them is broken for both: the later joiner goes).
   */
  #corroborated(reporter: Member, member: Member, now: number, since: number): boolean {
    const { roster, links } = this.deps;
    let reporters = this.#reports.get(member);
    if (!reporters) {
      reporters = new Map();
      this.#reports.set(member, reporters);
    }
    reporters.set(reporter.slot, now);
    if (links.get(member.peerId)?.interrupted === true) return true;
    let voters = 1; // the host
    let votes = 0;
    for (const m of roster.all()) {
      if (m.status !== 'present' || m.role !== PlayerRole.Player || m.isLocal || m === member) {
        continue;
      }
      voters++;
      if ((reporters.get(m.slot) ?? -Infinity) >= since) votes++;
    }
    return votes * 2 > voters;
  }

  /** Host: a member leaves (on its own or disconnected) at a tick everyone agrees on. */
  depart(
    member: Member,
    reason: LeaveReason,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const tick = this.#leaveTick(member, engine);
    const message: PlayerLeftMessage = {
      type: MessageType.PlayerLeft,
      slot: member.slot,
      tick: Math.max(0, tick),
      reason,
    };
    this.deps.links.broadcast(message, member.peerId);
    this.remove(member, tick, engine, cfg);
    this.deps.transport.disconnect(member.peerId);
  }

  /**
   * Host: `dropPlayer()`: checks the request, then drops the present member of that id.
   * @throws RbnError `'NOT_HOST'`, `'UNKNOWN_PLAYER'` or `'INVALID_ARGUMENT'` (see `Session.dropPlayer`).
   */
  dropPlayer(
    playerId: PlayerId,
    metadata: Uint8Array | undefined,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const { roster } = this.deps;
    if (!roster.isHost)
      throw new RbnError('NOT_HOST', 'dropPlayer: only the host can drop players');
    const member = roster.findPresent(playerId);
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
    this.drop(member, metadata, engine, cfg);
  }

  /** Host: drops a member at a tick it chooses, and tells everyone. */
  drop(
    member: Member,
    metadata: Uint8Array | undefined,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const tick = this.#leaveTick(member, engine);
    this.deps.links.broadcast({
      type: MessageType.DropPlayer,
      slot: member.slot,
      tick: Math.max(0, tick),
      metadata: metadata ?? null,
    });
    this.remove(member, tick, engine, cfg);
    this.deps.emitter.emit('playerDropped', member.playerId, ...(metadata ? [metadata] : []));
  }

  /** Host: the tick a departing member's inputs stop counting (see {@link chooseLeaveTick}). */
  #leaveTick(member: Member, engine: RollbackEngine | null): Tick {
    if (engine) this.deps.settle?.(member, engine);
    return chooseLeaveTick(engine, member);
  }

  /** The local member leaves: the host tells everyone, a member tells the host. */
  announceLeave(engine: RollbackEngine | null): void {
    const { roster, links } = this.deps;
    const message: PlayerLeftMessage = {
      type: MessageType.PlayerLeft,
      slot: roster.localSlot,
      tick: engine ? engine.currentTick : 0,
      reason: LeaveReason.Left,
    };
    const hostPeerId = roster.hostPeerId;
    if (roster.isHost) links.broadcast(message);
    else if (hostPeerId !== null) links.sendTo(hostPeerId, message);
  }

  /** Removes a member from the room; while playing its inputs stop counting from `tick`. */
  remove(member: Member, tick: Tick, engine: RollbackEngine | null, cfg: SessionConfig): void {
    const { roster, links, recording } = this.deps;
    this.deps.advantage.removePeer(member.peerId);
    const { leaveTick, removeFromEngine } = departureTick(engine, member, tick);
    if (removeFromEngine && engine) {
      engine.removePlayer(member.playerId, leaveTick);
      recording.recordLeave(member.playerId, leaveTick);
      // A mesh player holds the player's inputs straight from it, possibly past the leave tick,
      // and counts them until it hears of the departure: the host's settled tick waits for that.
      if (roster.isHost) for (const link of links.list) link.noteLeave(member.slot, leaveTick);
    }
    roster.setTicks(member, { leaveTick });
    const info = member.info;
    // A spectator has no inputs to address by slot: its slot is free at once (no exhaustion).
    roster.depart(member, !engine || member.role !== PlayerRole.Player);
    relink(roster, links, cfg.topology, null);
    this.deps.emitter.emit('playerLeft', info);
  }

  #fromHost(peerId: string, type: MessageType): boolean {
    const { roster } = this.deps;
    if (!roster.isHost && peerId === roster.hostPeerId) return true;
    this.deps.report.peer(peerId, type, `${MessageType[type]} may only come from the host`);
    return false;
  }
}
