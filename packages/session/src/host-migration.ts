import type { RollbackEngine } from '@rbn/core';
import { DEFAULT_LIMITS, MessageType } from '@rbn/protocol';
import type {
  HostMigratedMessage,
  InputAckEntry,
  InputRun,
  MigrationQueryMessage,
  MigrationReportMessage,
  Tick,
  TransportAdapter,
} from '@rbn/protocol';
import type { Emitter } from './internal/emitter';
import type { Reporter } from './internal/reporter';
import type { Departures } from './leave';
import type { LinkTable } from './links';
import type { Member, Roster } from './roster';
import { PlayerRole } from './types';
import type { SessionConfig } from './types';

/**
 * A gap between two of our frames longer than this is a stall of ours (a frozen tab), not
 * silence of the members we wait for (see {@link HostMigration.frame}).
 */
const STALL_GAP_MS = 100;

/**
 * Host migration: when the host leaves (says goodbye) or is lost (its link closed, or silent past
 * `disconnectTimeout`), the room goes on under a successor every member computes the same way
 * (see {@link chooseSuccessor}). The successor, once the host is gone from its own view,
 *
 * 1. asks every other member what it holds (`MigrationQuery`, with the successor's newest
 *    received tick per slot; in star it opens the links to the guests first);
 * 2. collects the answers (`MigrationReport`: each member's newest received tick per slot, and
 *    the inputs it holds beyond the successor's: those of the slots nobody can send again — the
 *    old host, departed and away players — count at once, the other players' only once they
 *    cannot send them themselves, see {@link HostMigration.settle}). It waits for every member
 *    it asked, away ones too, for as long as that member's link is alive (see
 *    {@link migrationReady}): a member may have confirmed ticks with old-host inputs the
 *    successor lacks, and announcing without its answer would cut the old host's inputs below
 *    a tick that member confirmed. It stops waiting for a member whose link closed, or that
 *    stayed silent for `disconnectTimeout` while the successor ran (it is gone or frozen: it
 *    comes back like any away or lost member; the successor's own stall is no silence of
 *    theirs), and for everyone at {@link MIGRATION_WAIT_LIMIT} × `disconnectTimeout`, so a
 *    member that keeps its link up but never answers cannot hold the room up forever; such a
 *    member may then hold confirmed states the others do not share, which it sees as a desync
 *    (a misbehaving member harms only itself);
 * 3. announces itself (`HostMigrated`): the old host's inputs count up to `leaveTick - 1`, the
 *    newest it holds once every report is merged, and stop from it. Everyone fills what it
 *    lacked, forgets anything later (retract), removes the old host at that tick and takes the
 *    successor as host. Nobody loses or repeats a tick: every member holds every input up to the
 *    leave tick (the successor relays any it misses later, like any host). Away and back start
 *    over under the new host (see `away.ts`): an away player stays away, hears its window
 *    again from the new host and asks it for the state to come back from.
 *
 * A member accepts a query or an announcement only from the successor of its own view, and only
 * once the host is gone from its own view (it said goodbye, its link closed or went silent);
 * until then it keeps a query aside and refuses an announcement. So a member that lies about
 * losing the host changes nothing. One that answered and then hears the host again (it only
 * stalled) tells the successor it reaches the host and keeps the query aside again; the
 * successor then does not take over (see {@link HostMigration.frame}).
 */

/** A member as the successor rule sees it. */
export type SuccessorCandidate = {
  readonly slot: number;
  /** A player (not a spectator). */
  readonly plays: boolean;
  /** In the room (not departed). */
  readonly present: boolean;
  /** Marked away (its inputs decided by the host). */
  readonly away: boolean;
};

/**
 * The successor of a host that is gone: the lowest slot of a present player that is not away,
 * other than the host's. Every member computes it from the same roster, so all agree.
 * @param members - The room's members.
 * @param hostSlot - The slot of the host that is gone.
 * @returns The successor's slot, or -1 when no player is left to host.
 */
export function chooseSuccessor(members: Iterable<SuccessorCandidate>, hostSlot: number): number {
  let best = -1;
  for (const m of members) {
    if (m.slot === hostSlot || !m.plays || !m.present || m.away) continue;
    if (best < 0 || m.slot < best) best = m.slot;
  }
  return best;
}

/** A member as {@link orphanSlots} sees it. */
export type OrphanCandidate = SuccessorCandidate & {
  /** A player whose inputs count in the game (joined at a known tick). */
  readonly counted: boolean;
};

/**
 * The slots whose inputs nobody can send again once the host is gone: the host's own, departed
 * players' (the host relayed their last inputs) and away players' (the host decided them).
 * Present players that are not away send their own again to the successor.
 * @param members - The room's members.
 * @param hostSlot - The slot of the host that is gone.
 * @returns The slots, in slot order.
 */
export function orphanSlots(members: Iterable<OrphanCandidate>, hostSlot: number): number[] {
  const slots: number[] = [];
  for (const m of members) {
    if (!m.counted) continue;
    if (m.slot === hostSlot || !m.present || m.away) slots.push(m.slot);
  }
  return slots.sort((a, b) => a - b);
}

/** What a member does with a migration message: act on it, keep it aside, or refuse it. */
export type MigrationVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'defer' }
  | { readonly kind: 'refuse'; readonly why: string };

/** Everything {@link judgeMigration} decides from. */
export type MigrationJudgeInput = {
  /** The sender's slot, or -1 when it is no present member. */
  readonly senderSlot: number;
  /** The host slot the message names. */
  readonly namedHostSlot: number;
  /** The room's host slot in the receiver's view. */
  readonly hostSlot: number;
  /** The successor in the receiver's view ({@link chooseSuccessor}). */
  readonly successorSlot: number;
  /** Whether the host is gone from the receiver's own view (goodbye, link closed, silence). */
  readonly hostGone: boolean;
  /** An announcement (`HostMigrated`) rather than a query. */
  readonly announcement: boolean;
};

/**
 * Whether a migration message may count: only from the computed successor, about our host,
 * and only once that host is gone from our own view. A query that comes first waits (the
 * successor may have noticed first); an announcement that comes first is refused (the
 * successor announces only after our report, which we send only once the host is gone).
 * @param input - The sender and the receiver's view.
 * @returns The verdict.
 */
export function judgeMigration(input: MigrationJudgeInput): MigrationVerdict {
  if (input.senderSlot < 0) return { kind: 'refuse', why: 'host migration from a non-member' };
  if (input.namedHostSlot !== input.hostSlot) {
    return { kind: 'refuse', why: `slot ${input.namedHostSlot} is not the host` };
  }
  if (input.senderSlot !== input.successorSlot) {
    const successor = input.successorSlot;
    return { kind: 'refuse', why: `only the successor (slot ${successor}) may take over the host` };
  }
  if (input.hostGone) return { kind: 'accept' };
  if (input.announcement) return { kind: 'refuse', why: 'the host is still in the room' };
  return { kind: 'defer' };
}

/**
 * The successor waits for members that keep their link alive at most this many times
 * `disconnectTimeout` after its query (the bound of the trust rule: no stall forever).
 */
export const MIGRATION_WAIT_LIMIT = 3;

/**
 * Whether the successor has heard enough to announce: no member it still waits for has a live
 * link (every member answered, or its link closed, or it was silent past `disconnectTimeout`),
 * or the wait reached {@link MIGRATION_WAIT_LIMIT} × `disconnectTimeout`.
 * @param liveWaiting - How many members have not answered yet and still have a live link.
 * @param elapsedMs - Time since the query went out.
 * @param timeoutMs - `disconnectTimeout`.
 * @returns Whether to announce now.
 */
export function migrationReady(liveWaiting: number, elapsedMs: number, timeoutMs: number): boolean {
  return liveWaiting === 0 || elapsedMs >= MIGRATION_WAIT_LIMIT * timeoutMs;
}

/** What {@link HostMigration} works with (the session's own parts, no more). */
export type HostMigrationDeps = {
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly transport: TransportAdapter;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly departures: Departures;
  /** A successor took over: away and reconnect start over under the new host. */
  readonly hostReplaced: () => void;
};

type Deferred = { peerId: string; message: MigrationQueryMessage };

const MAX_RUN = DEFAULT_LIMITS.maxInputsPerRun;

/** The host-migration protocol of one session: the successor's side and every member's. */
export class HostMigration {
  /** The slot of the host that is gone from our view, or -1; and since when. */
  #goneSlot = -1;
  #goneAt = 0;
  /** Successor: when the query went out (-1: not collecting). */
  #queriedAt = -1;
  /** Successor: the members that did not answer yet, and the answers' acks by peer. */
  readonly #waiting = new Set<string>();
  /** Successor: every member asked (away ones too). */
  readonly #asked = new Set<string>();
  readonly #acks = new Map<string, InputAckEntry[]>();
  /** Successor: per orphan slot, the lowest tick a member lacked. */
  readonly #lowest = new Map<number, Tick>();
  /**
   * Successor, then host: the reported inputs of present players beyond ours, the run that
   * reaches furthest per player (see {@link HostMigration.settle}).
   */
  readonly #held = new WeakMap<Member, InputRun>();
  /** Successor: members that still reach the host (we do not take over while any does). */
  readonly #hostSeenBy = new Set<string>();
  /** When our last frame ran, and since when we hear (see {@link HostMigration.frame}). */
  #frameAt = 0;
  #hearingSince = 0;
  /** The host said goodbye (it cannot come back in this room). */
  #leftForGood = false;
  /** Member: the successor told us it still reaches the host. */
  #successorSeesHost = false;
  /** A query from the successor that came before we lost the host ourselves. */
  #deferred: Deferred | null = null;
  /** The successor's query we answered (we had lost the host). */
  #answered: Deferred | null = null;

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: HostMigrationDeps) {}

  /** Whether the host is gone from our view and no successor took over yet. */
  get pending(): boolean {
    return this.#goneSlot >= 0;
  }

  /** Everything starts over (a new room). */
  reset(): void {
    this.#goneSlot = -1;
    this.#queriedAt = -1;
    this.#waiting.clear();
    this.#asked.clear();
    this.#acks.clear();
    this.#lowest.clear();
    this.#hostSeenBy.clear();
    this.#leftForGood = false;
    this.#successorSeesHost = false;
    this.#deferred = null;
    this.#answered = null;
  }

  /**
   * Member: the host is gone from our own view. Returns whether a successor will take over
   * (the room goes on; the caller then does not end it).
   * @param leftForGood - The host said goodbye (else its link closed or went silent).
   */
  hostGone(
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
    leftForGood: boolean,
  ): boolean {
    const { roster } = this.deps;
    if (roster.isHost) return false;
    if (leftForGood) this.#leftForGood = true;
    if (this.#goneSlot >= 0) return true;
    const hostSlot = roster.hostSlot;
    const successor = this.#successor(hostSlot);
    if (successor < 0) return false;
    this.#goneSlot = hostSlot;
    this.#goneAt = now;
    const host = roster.at(hostSlot);
    if (host) this.deps.links.get(host.peerId)?.resetLiveness(now);
    if (successor === roster.localSlot) this.#query(engine, now);
    else {
      // Tell the successor; if it still reaches the host, it says so (see `frame`).
      const peerId = roster.at(successor)!.peerId;
      this.#send(peerId, { type: MessageType.MigrationQuery, hostSlot, acks: [] }, () => {});
    }
    const deferred = this.#deferred;
    this.#deferred = null;
    if (deferred) this.#onMessage(deferred.peerId, deferred.message, engine, cfg, now);
    return true;
  }

  /**
   * Whether we heard from the host since we lost it (our own link dropped, not the host): unless
   * it said goodbye, the migration is then off. Members we asked keep our query aside until
   * they lose the host themselves.
   */
  #hostHeard(): boolean {
    if (this.#leftForGood) return false;
    const host = this.deps.roster.at(this.#goneSlot);
    const link = host ? this.deps.links.get(host.peerId) : undefined;
    return link !== undefined && link.lastMessageAt > this.#goneAt;
  }

  /**
   * The frame's work: the successor announces once it heard enough.
   * @param reconnecting - Whether we still try to reach the old host ourselves.
   * @returns Why the room ends for us (the others still reach the host, which no longer has us,
   * and we do not reconnect), or `null`.
   */
  frame(
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
    reconnecting: boolean,
  ): string | null {
    // A successor that did not run for a while (its tab froze) may get what the others sent
    // meanwhile in one burst, stamped long before its next frame: a member's silence counts
    // only from then (else it stops waiting for members that answer at once).
    if (now - this.#frameAt > STALL_GAP_MS) this.#hearingSince = now;
    this.#frameAt = now;
    if (this.#goneSlot < 0) return null;
    if (this.#hostHeard()) {
      // Had we told the successor we lost the host, it must not count that any more: it hears
      // we reach the host, and the query waits, as one that came before we lost it does.
      const answered = this.#answered;
      this.reset();
      if (answered) this.#defer(answered);
      return null;
    }
    if (this.#queriedAt < 0) {
      if (reconnecting || this.#leftForGood) return null;
      // We lost the host alone (it removed us, or our own link dropped), or the successor
      // vanished too (see the README's limits).
      if (this.#successorSeesHost) return 'lost the host, which the other members still reach';
      const late = now - this.#goneAt >= 2 * cfg.disconnectTimeout;
      return late ? 'lost the host, and no successor took over' : null;
    }
    if (this.#hostSeenBy.size > 0) {
      if (reconnecting || this.#leftForGood) return null;
      return 'lost the host, which the other members still reach';
    }
    const elapsed = now - this.#queriedAt;
    if (!migrationReady(this.#liveWaiting(cfg, now), elapsed, cfg.disconnectTimeout)) return null;
    if (this.#acks.size === 0 && !this.#leftForGood) {
      // Nobody else said it lost the host: perhaps only our own network dropped. While we may
      // still reconnect to it we do not take over (two hosts would split the room in two); if we
      // asked others and none answered, the room ends rather than becoming a room of one.
      if (reconnecting) return null;
      if (this.#asked.size > 0) {
        const late = now - this.#queriedAt >= 2 * cfg.disconnectTimeout;
        return late ? 'lost the host, and reached no other member' : null;
      }
    }
    // A host lost without a goodbye may only have stalled (a busy main thread, a paused tab)
    // past its peers' link timeouts, for all of them at once: taking over then would leave it
    // playing on alone. Everyone tries to reconnect to it meanwhile; if it answers, the
    // migration is off (see `#hostHeard`), and a member that answered us says so. A try of ours
    // that the transport refused proves nothing: our own link may be what is down.
    // The grace ends well inside the others' reconnect windows, which end the room for them.
    const graceMs = Math.min(cfg.hostLossGraceMs, cfg.reconnectWindowMs / 2);
    const grace = reconnecting && !this.#leftForGood;
    if (grace && now - this.#goneAt < graceMs) return null;
    this.#announce(engine, cfg);
    return null;
  }

  /** A `MigrationQuery`, `MigrationReport` or `HostMigrated` message. */
  onMessage(
    peerId: string,
    message: MigrationQueryMessage | MigrationReportMessage | HostMigratedMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    const { roster } = this.deps;
    if (message.type === MessageType.MigrationReport) {
      if (this.#queriedAt < 0 && this.#isSuccessor(peerId) && message.hostPresent) {
        this.#successorSeesHost = this.#goneSlot >= 0;
        return;
      }
      this.#onReport(peerId, message, engine);
      return;
    }
    const successorHere =
      message.type === MessageType.MigrationQuery &&
      !roster.isHost &&
      this.#successor(roster.hostSlot) === roster.localSlot &&
      message.hostSlot === roster.hostSlot &&
      (roster.byPeer(peerId) !== undefined || roster.hasDeparted(peerId));
    if (successorHere) {
      // A member lost the host and asks us, its successor: we say whether we still reach it
      // (if not, our own query reaches it or already did). One the host removed hears the
      // same: the host is still there, for the others.
      if (this.#goneSlot < 0) {
        this.deps.links.sendTo(peerId, {
          ...{ type: MessageType.MigrationReport, hostSlot: message.hostSlot, hostPresent: true },
          ...{ acks: [], runs: [] },
        });
      }
      return;
    }
    this.#onMessage(peerId, message, engine, cfg, now);
  }

  #onMessage(
    peerId: string,
    message: MigrationQueryMessage | HostMigratedMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    const { roster, report } = this.deps;
    const sender = roster.byPeer(peerId);
    const hostSlot = roster.hostSlot;
    const verdict = judgeMigration({
      senderSlot: sender ? sender.slot : -1,
      namedHostSlot: message.hostSlot,
      hostSlot,
      successorSlot: roster.isHost ? -1 : this.#successor(hostSlot),
      hostGone: this.#goneSlot === hostSlot,
      announcement: message.type === MessageType.HostMigrated,
    });
    if (verdict.kind === 'refuse') {
      report.peer(peerId, message.type, verdict.why);
      return;
    }
    if (verdict.kind === 'defer') {
      if (message.type === MessageType.MigrationQuery) this.#defer({ peerId, message });
      return;
    }
    if (message.type === MessageType.MigrationQuery) {
      this.#answered = { peerId, message };
      this.#answer(peerId, message, engine);
    } else this.#adopt(peerId, message, engine, cfg, now);
  }

  /**
   * Member: a query from the successor while we reach the host. One at a time: only the
   * successor of our view gets here, so this stays bounded. It hears at once that we still
   * reach the host; our real answer follows if we lose it.
   */
  #defer(query: Deferred): void {
    this.#deferred = query;
    this.deps.links.sendTo(query.peerId, {
      ...{ type: MessageType.MigrationReport, hostSlot: query.message.hostSlot, hostPresent: true },
      ...{ acks: [], runs: [] },
    });
  }

  /** Successor: opens links where needed and asks every other member what it holds. */
  #query(engine: RollbackEngine | null, now: number): void {
    const { roster } = this.deps;
    const message: MigrationQueryMessage = {
      type: MessageType.MigrationQuery,
      hostSlot: this.#goneSlot,
      acks: receivedTicks(roster, engine),
    };
    for (const slot of this.#orphans()) this.#lowest.set(slot, receivedTick(roster, engine, slot));
    this.#queriedAt = now;
    for (const member of roster.remoteMembers.values()) {
      if (member.slot === this.#goneSlot) continue;
      this.#asked.add(member.peerId);
      this.#waiting.add(member.peerId);
      this.#send(member.peerId, message, () => this.#waiting.delete(member.peerId));
    }
  }

  /**
   * Successor: how many members that did not answer yet still have a live link: a connection
   * open and, when it carries a link (mesh, or a star guest we already relayed to), heard
   * within `disconnectTimeout` (or since we ran again after a stall, see `frame`). One we are
   * still connecting to counts for `disconnectTimeout`.
   */
  #liveWaiting(cfg: SessionConfig, now: number): number {
    const { links, transport } = this.deps;
    let live = 0;
    for (const peerId of this.#waiting) {
      if (transport.connectedPeers.has(peerId)) {
        const link = links.get(peerId);
        const heard = link ? Math.max(link.lastRecvAt, this.#hearingSince) : now;
        if (now - heard < cfg.disconnectTimeout) live++;
      } else if (now - this.#queriedAt < cfg.disconnectTimeout) live++;
    }
    return live;
  }

  /** Sends to a member, connecting to it first when needed (star guests have no link yet). */
  #send(peerId: string, message: MigrationQueryMessage, failed: () => void): void {
    const { transport, links } = this.deps;
    if (transport.connectedPeers.has(peerId)) {
      links.sendTo(peerId, message);
      return;
    }
    const sent = { done: false };
    const send = (): void => {
      if (sent.done || this.#goneSlot !== message.hostSlot) return;
      sent.done = true;
      links.sendTo(peerId, message);
    };
    transport.connect(peerId).then(send, (error: unknown) => {
      failed();
      const err = error instanceof Error ? error : new Error(String(error));
      this.deps.report.error('transport', err, peerId);
    });
    // A transport that connects at once can carry the message now.
    if (transport.connectedPeers.has(peerId)) send();
  }

  #isSuccessor(peerId: string): boolean {
    const { roster } = this.deps;
    const slot = roster.byPeer(peerId)?.slot;
    return slot !== undefined && slot === this.#successor(this.#goneSlot);
  }

  /** Member: tells the successor what it holds. */
  #answer(peerId: string, message: MigrationQueryMessage, engine: RollbackEngine | null): void {
    const { roster, links } = this.deps;
    const runs: InputRun[] = [];
    // Every player's inputs but the successor's own: the slots nobody can send again count
    // at once, the others only when their player cannot send them itself (see `settle`).
    if (engine) {
      for (const m of roster.all()) {
        if (roster.countedPlayer(m.slot) !== m || m.peerId === peerId) continue;
        const theirs = message.acks.find((a) => a.slot === m.slot)?.tick ?? -1;
        const upTo = receivedTick(roster, engine, m.slot);
        const run = inputRun(roster, engine, m.slot, theirs + 1, upTo);
        if (run) runs.push(run);
      }
    }
    const answer: MigrationReportMessage = {
      type: MessageType.MigrationReport,
      hostSlot: message.hostSlot,
      hostPresent: false,
      acks: receivedTicks(roster, engine),
      runs,
    };
    links.sendTo(peerId, answer);
  }

  /** Successor: a member's answer; its inputs of the orphan slots go into the engine at once. */
  #onReport(peerId: string, message: MigrationReportMessage, engine: RollbackEngine | null): void {
    const { roster, report } = this.deps;
    const expected = this.#asked.has(peerId);
    if (this.#queriedAt < 0 || !expected || message.hostSlot !== this.#goneSlot) {
      report.peer(peerId, message.type, 'an unexpected host-migration report');
      return;
    }
    this.#waiting.delete(peerId);
    if (message.hostPresent) {
      this.#hostSeenBy.add(peerId);
      return;
    }
    this.#hostSeenBy.delete(peerId);
    this.#acks.set(peerId, message.acks);
    const orphans = this.#orphans();
    for (const ack of message.acks) {
      const lowest = this.#lowest.get(ack.slot);
      if (lowest !== undefined && ack.tick < lowest) this.#lowest.set(ack.slot, ack.tick);
    }
    if (!engine) return;
    for (const run of message.runs) {
      const member = roster.countedPlayer(run.slot);
      if (!member || member.isLocal) {
        report.peer(peerId, message.type, `slot ${run.slot}'s inputs are not the report's to give`);
      } else if (orphans.includes(run.slot)) addRun(engine, member, run);
      else if (end(run) > end(this.#held.get(member))) this.#held.set(member, run);
    }
  }

  /**
   * Host: before it decides `member`'s inputs from the tick after its newest one we hold (away,
   * leave). After a migration another member may hold (and have confirmed with) inputs of it
   * we never got: in star the old host relayed them, in mesh the player sent them straight.
   * They must count here too, and the player's own copies are the ones to trust (a member's
   * report could invent them): while it may still send them we wait; once it cannot (it left,
   * was lost, or sent nothing for `disconnectTimeout`), the reported ones count, as the old
   * host's do. So no window or leave tick ever opens below an input a member holds.
   * @param gone - The player can no longer send its inputs.
   * @returns Whether the host may decide now.
   */
  settle(member: Member, engine: RollbackEngine, gone: boolean): boolean {
    const run = this.#held.get(member);
    if (!gone && engine.getReceivedTick(member.playerId) < end(run)) return false;
    // Kept: given again later, its inputs are ones we hold already.
    if (run) addRun(engine, member, run);
    return true;
  }

  /** Successor: announces itself and takes over. */
  #announce(engine: RollbackEngine | null, cfg: SessionConfig): void {
    const { roster, links } = this.deps;
    const old = roster.at(this.#goneSlot);
    if (!old) return;
    const leaveTick = engine ? Math.max(receivedTick(roster, engine, old.slot) + 1, 0) : -1;
    const runs: InputRun[] = [];
    if (engine) {
      for (const [slot, lowest] of this.#lowest) {
        const upTo = slot === old.slot ? leaveTick - 1 : receivedTick(roster, engine, slot);
        const run = inputRun(roster, engine, slot, lowest + 1, upTo);
        if (run) runs.push(run);
      }
    }
    const message: HostMigratedMessage = {
      type: MessageType.HostMigrated,
      hostSlot: old.slot,
      newHostSlot: roster.localSlot,
      leaveTick: Math.max(leaveTick, 0),
      acks: receivedTicks(roster, engine),
      runs,
    };
    for (const member of roster.remoteMembers.values()) {
      if (member.slot !== old.slot) links.sendTo(member.peerId, message);
    }
    const acks = new Map(this.#acks);
    // Everyone holds what the announcement carries: the orphan slots up to our newest input.
    const settled = runs.map((run) => ({
      slot: run.slot,
      tick: receivedTick(roster, engine, run.slot),
    }));
    for (const slot of this.#lowest.keys()) {
      if (!runs.some((run) => run.slot === slot))
        settled.push({ slot, tick: receivedTick(roster, engine, slot) });
    }
    this.#takeOver(old, roster.localSlot, leaveTick, engine, cfg);
    // Each member's answer says what it holds: the new links send from there.
    for (const link of links.list) {
      for (const ack of acks.get(link.peerId) ?? []) link.noteAck(ack.slot, ack.tick);
      for (const ack of settled) link.noteAck(ack.slot, ack.tick);
    }
  }

  /** Member: the successor announced itself. */
  #adopt(
    peerId: string,
    message: HostMigratedMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    _now: number,
  ): void {
    const { roster } = this.deps;
    const old = roster.at(message.hostSlot);
    if (!old) return;
    if (engine) {
      const orphans = this.#orphans();
      for (const run of message.runs) {
        const member = roster.countedPlayer(run.slot);
        if (member && !member.isLocal && orphans.includes(run.slot)) addRun(engine, member, run);
      }
    }
    const leaveTick = engine ? message.leaveTick : -1;
    this.#takeOver(old, message.newHostSlot, leaveTick, engine, cfg);
    const link = this.deps.links.get(peerId);
    if (link) for (const ack of message.acks) link.noteAck(ack.slot, ack.tick);
  }

  /** Everyone: the old host leaves at `leaveTick` and the member in `newHostSlot` hosts. */
  #takeOver(
    old: Member,
    newHostSlot: number,
    leaveTick: Tick,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const { roster, departures, transport } = this.deps;
    this.reset();
    roster.setHost(newHostSlot);
    if (engine && leaveTick >= 0 && engine.hasPlayer(old.playerId)) {
      engine.retractInputs(old.playerId, leaveTick);
    }
    departures.remove(old, leaveTick, engine, cfg);
    try {
      transport.disconnect(old.peerId);
    } catch {
      // Already gone.
    }
    this.deps.hostReplaced();
    const host = roster.at(newHostSlot);
    if (host) this.deps.emitter.emit('hostChanged', host.playerId, Math.max(leaveTick, 0));
  }

  #successor(hostSlot: number): number {
    const { roster } = this.deps;
    const candidates: SuccessorCandidate[] = [];
    for (const m of roster.all()) candidates.push(candidateOf(roster, m));
    return chooseSuccessor(candidates, hostSlot);
  }

  #orphans(): number[] {
    const { roster } = this.deps;
    const members: OrphanCandidate[] = [];
    for (const m of roster.all()) {
      members.push({ ...candidateOf(roster, m), counted: roster.countedPlayer(m.slot) === m });
    }
    return orphanSlots(members, this.#goneSlot);
  }
}

function candidateOf(roster: Roster, m: Member): SuccessorCandidate {
  return {
    slot: m.slot,
    plays: m.role === PlayerRole.Player,
    present: m.status === 'present',
    away: roster.isAway(m.slot),
  };
}

/**
 * Our newest input of a slot's player (-1: none, or no game). Away, our own inputs from the
 * away tick on do not count (the host decided that slot's inputs; we get them when back).
 */
function receivedTick(roster: Roster, engine: RollbackEngine | null, slot: number): Tick {
  const member = roster.countedPlayer(slot);
  if (!engine || !member) return -1;
  let tick = member.isLocal ? engine.lastLocalInputTick : engine.getReceivedTick(member.playerId);
  if (member.isLocal && roster.isAway(slot))
    tick = Math.min(tick, roster.awayWindow(slot).from - 1);
  if (member.leaveTick >= 0) tick = Math.min(tick, member.leaveTick - 1);
  return Math.max(tick, -1);
}

/** Our newest input per counted slot. */
function receivedTicks(roster: Roster, engine: RollbackEngine | null): InputAckEntry[] {
  const acks: InputAckEntry[] = [];
  if (!engine) return acks;
  for (const m of roster.all()) {
    if (roster.countedPlayer(m.slot) !== m) continue;
    acks.push({ slot: m.slot, tick: receivedTick(roster, engine, m.slot) });
  }
  return acks;
}

/** The inputs of a slot's player from `from` to `upTo` that we hold (at most one run's worth). */
function inputRun(
  roster: Roster,
  engine: RollbackEngine,
  slot: number,
  from: Tick,
  upTo: Tick,
): InputRun | null {
  const member = roster.countedPlayer(slot);
  if (!member) return null;
  const start = Math.max(from, member.joinTick, 0);
  const inputs: Uint8Array[] = [];
  for (let t = start; t <= upTo && inputs.length < MAX_RUN; t++) {
    const input = engine.getInput(member.playerId, t);
    if (input === undefined) break;
    inputs.push(input);
  }
  return inputs.length > 0 ? { slot, startTick: start, inputs } : null;
}

/** The last tick of a run (-1: none). */
function end(run: InputRun | undefined): Tick {
  return run ? run.startTick + run.inputs.length - 1 : -1;
}

/** Gives the engine a run of a player's inputs. */
function addRun(engine: RollbackEngine, member: Member, run: InputRun): void {
  run.inputs.forEach((input, i) =>
    engine.addRemoteInput(member.playerId, run.startTick + i, input),
  );
}
