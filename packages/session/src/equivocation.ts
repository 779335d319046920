import type { RollbackEngine } from '@rbn/core';
import { MessageType } from '@rbn/protocol';
import type { InputDigestMessage, Tick } from '@rbn/protocol';
import type { Clock } from './internal/clock';
import type { Reporter } from './internal/reporter';
import { tickReach } from './input-exchange';
import type { LinkTable } from './links';
import type { Member, Roster } from './roster';
import { PlayerRole, Topology } from './types';
import type { SessionConfig } from './types';

/**
 * Input equivocation in mesh: a player that sends different inputs for the same tick to
 * different peers makes their states differ for good (desync recovery loads a state, the next
 * differing input breaks it again). Every mesh player digests the confirmed inputs it holds of
 * each player per block of `hashInterval` ticks and tells the host; the host compares them with
 * its own copy and drops the player whose inputs reached the room in two versions, at a tick it
 * chooses and announces (`DropPlayer`). Desync recovery then brings the honest players back to
 * one state.
 */

/** Blocks of own digests the host keeps to compare late reports with. */
const KEPT_BLOCKS = 8;
/** Reports the host holds while its own digest of their block is not ready (bounded). */
const MAX_WAITING = 256;
/** Blocks digested in one frame at most (a late joiner starts at its first full block). */
const MAX_BLOCKS_PER_FRAME = 4;

/**
 * A 32-bit FNV-1a digest of a player's inputs for `count` ticks from `from`, length-prefixed
 * per tick.
 * @returns The digest, or `undefined` when an input of the range is not held.
 */
export function digestInputs(
  engine: RollbackEngine,
  playerId: string,
  from: Tick,
  count: number,
): number | undefined {
  let h = 0x811c9dc5;
  for (let t = from; t < from + count; t++) {
    const input = engine.getInput(playerId, t);
    if (input === undefined) return undefined;
    h = Math.imul(h ^ input.length, 0x01000193);
    for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input[i]!, 0x01000193);
  }
  return h >>> 0;
}

/** Who broke the rule, by the host's reading of a digest that differs from its own. */
export type EquivocationVerdict = {
  /** The member to drop. */
  readonly culprit: Member;
  /** Why, for the error event. */
  readonly why: string;
};

/**
 * Host: who is at fault when `reporter`'s digest of `subject`'s inputs differs from the host's
 * own. The host knows its own inputs, so a wrong digest of them is the reporter's lie; a wrong
 * digest of the reporter's own inputs means it sent the host other inputs than it holds. For a
 * third player the host cannot tell an equivocator from a reporter that lies about it (nothing
 * is signed): it believes each reporter once and drops the subject; a reporter that accuses a
 * second time is dropped itself.
 * @param credited - Whether the reporter has not accused anyone before.
 */
export function judgeEquivocation(
  reporter: Member,
  subject: Member,
  credited: boolean,
): EquivocationVerdict {
  if (subject.isHost) {
    return { culprit: reporter, why: "a digest of the host's inputs that the host never sent" };
  }
  if (subject === reporter) {
    return { culprit: reporter, why: 'inputs that differ from the ones it sent the host' };
  }
  if (!credited) {
    return { culprit: reporter, why: 'a second accusation of sending two versions of inputs' };
  }
  return { culprit: subject, why: 'different inputs for the same ticks to different peers' };
}

/** A report waiting for the host's own digest of its block. */
type Waiting = { readonly reporter: Member; readonly message: InputDigestMessage };

/** What {@link InputDigests} works with (the session's own parts, no more). */
export type InputDigestDeps = {
  readonly roster: Roster;
  readonly links: LinkTable;
  readonly report: Reporter;
  readonly clock: Clock;
  /** Host: drops a member at a tick it chooses and tells everyone. */
  readonly drop: (member: Member) => void;
};

/** Digests of confirmed inputs: sent to the host by mesh players, compared by the host. */
export class InputDigests {
  /** The first tick of the next block to digest, or -1 before the first. */
  #next = -1;
  /** Ticks per block (the room's `hashInterval`). */
  #span = 1;
  /** Host: its own digests by block, then slot. */
  readonly #own = new Map<Tick, Map<number, number>>();
  readonly #waiting: Waiting[] = [];
  /** Host: reporters that accused a player already (weakly held: gone with the member). */
  readonly #accused = new WeakSet<Member>();

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: InputDigestDeps) {}

  /** How many digests and waiting reports are held (bounded). */
  get heldCount(): number {
    let n = this.#waiting.length;
    for (const block of this.#own.values()) n += block.size;
    return n;
  }

  /** Forgets everything (the room ended). */
  reset(): void {
    this.#next = -1;
    this.#own.clear();
    this.#waiting.length = 0;
  }

  /** The frame's work: digests every block confirmed since the last frame (mesh players only). */
  frame(engine: RollbackEngine | null, cfg: SessionConfig): void {
    const { roster } = this.deps;
    if (!engine || cfg.topology !== Topology.Mesh || !roster.localPlays) return;
    const span = (this.#span = cfg.hashInterval);
    const confirmed = engine.confirmedTick;
    if (this.#next < 0) this.#next = (Math.floor(Math.max(confirmed, 0) / span) + 1) * span;
    for (let i = 0; i < MAX_BLOCKS_PER_FRAME && this.#next + span - 1 <= confirmed; i++) {
      this.#digestBlock(engine, this.#next, span);
      this.#next += span;
    }
    if (this.#next + span - 1 <= confirmed) {
      this.#next = (Math.floor(confirmed / span) + 1) * span; // far behind: skip ahead
    }
  }

  #digestBlock(engine: RollbackEngine, from: Tick, span: number): void {
    const { roster, links } = this.deps;
    const hostPeerId = roster.hostPeerId;
    const own = roster.isHost ? new Map<number, number>() : null;
    for (const member of roster.all()) {
      if (!checkable(roster, member, from)) continue;
      const digest = digestInputs(engine, member.playerId, from, span);
      if (digest === undefined) continue;
      if (own) own.set(member.slot, digest);
      else if (hostPeerId !== null) {
        links.sendTo(hostPeerId, {
          type: MessageType.InputDigest,
          slot: member.slot,
          tick: from,
          digest,
        });
      }
    }
    if (!own) return;
    this.#own.set(from, own);
    for (const tick of this.#own.keys())
      if (tick <= from - KEPT_BLOCKS * span) this.#own.delete(tick);
    const ready = this.#waiting.filter((w) => w.message.tick <= from);
    if (ready.length === 0) return;
    this.#waiting.splice(
      0,
      this.#waiting.length,
      ...this.#waiting.filter((w) => w.message.tick > from),
    );
    for (const w of ready) this.#compare(w.reporter, w.message);
  }

  /** Host: a player's digest of a player's inputs. */
  onDigest(
    peerId: string,
    message: InputDigestMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
  ): void {
    const { roster } = this.deps;
    if (!roster.isHost || cfg.topology !== Topology.Mesh) {
      this.#refuse(peerId, 'input digests go to the host of a mesh room');
      return;
    }
    const reporter = roster.byPeer(peerId);
    if (reporter?.role !== PlayerRole.Player) {
      // A member that just left may still have a digest on the way: not a violation.
      if (!roster.hasDeparted(peerId)) this.#refuse(peerId, 'an input digest from a non-player');
      return;
    }
    if (!engine) return;
    const tick = message.tick;
    if (tick % cfg.hashInterval !== 0 || tick > engine.currentTick + tickReach(cfg)) {
      this.#refuse(peerId, `an input digest for tick ${tick}, which starts no block now`);
      return;
    }
    if (this.#next >= 0 && tick < this.#next) this.#compare(reporter, message);
    else if (this.#waiting.length < MAX_WAITING) this.#waiting.push({ reporter, message });
  }

  /** Reports a digest that breaks the rules (at most once a second per peer). */
  #refuse(peerId: string, text: string): void {
    const now = this.deps.clock.now();
    this.deps.report.peerThrottled(peerId, MessageType.InputDigest, text, now);
  }

  #compare(reporter: Member, message: InputDigestMessage): void {
    const { roster, report } = this.deps;
    if (reporter.status !== 'present') return;
    const subject = roster.at(message.slot);
    if (!subject || !checkable(roster, subject, message.tick)) return; // gone, or another lifetime
    const own = this.#own.get(message.tick)?.get(message.slot);
    if (own === undefined || own === message.digest >>> 0) return;
    const verdict = judgeEquivocation(reporter, subject, !this.#accused.has(reporter));
    if (verdict.culprit === subject) this.#accused.add(reporter);
    const ticks = `ticks ${message.tick}..${message.tick + this.#span - 1}`;
    report.peer(
      verdict.culprit.peerId,
      MessageType.InputDigest,
      `${verdict.why} (${subject.playerId}'s inputs of ${ticks}, reported by ${reporter.playerId}); dropped`,
    );
    this.deps.drop(verdict.culprit);
  }
}

/**
 * Whether a member's inputs of the block from `from` are compared: a present player in it, and
 * never away while the room remembers (the host decided its inputs of an away window, and a
 * mesh peer may have held others of its own before it heard: those blocks prove nothing).
 */
function checkable(roster: Roster, member: Member, from: Tick): boolean {
  return (
    roster.awayWindow(member.slot).from < 0 &&
    member.role === PlayerRole.Player &&
    member.status === 'present' &&
    member.leaveTick < 0 &&
    member.joinTick >= 0 &&
    member.joinTick <= from
  );
}
