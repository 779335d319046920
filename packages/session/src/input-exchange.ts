import type { RollbackEngine } from '@rbn/core';
import { DEFAULT_LIMITS, InputView, InputWriter, MessageType, sameBytes } from '@rbn/protocol';
import type { Tick } from '@rbn/protocol';
import { AutoDelay } from './auto-delay';
import { acceptsInputFrom } from './away';
import { DEFAULT_SESSION_CONFIG } from './config';
import { remoteTickBound } from './frame-advantage';
import type { FrameAdvantage } from './frame-advantage';
import { DeltaStream } from './internal/delta-stream';
import type { Link } from './internal/link';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import type { Member, Roster } from './roster';
import { PlayerRole, Topology } from './types';
import type { SessionConfig } from './types';

/**
 * Input exchange, the hot path: what goes out on each link every frame (inputs the peer has not
 * acknowledged, our acks, keepalives) and what comes in (inputs into the engine, acks into the
 * link). Plain functions over their arguments; nothing here allocates a closure per tick.
 */

/** Relays on receipt per link per frame; further changes wait for the link's frame message. */
const MAX_RELAYS_PER_FRAME = 2;

/** The newest tick whose input of `member` we hold and may pass on. */
function inputsUpTo(member: Member, engine: RollbackEngine): Tick {
  let upTo = member.isLocal ? engine.lastLocalInputTick : engine.getReceivedTick(member.playerId);
  if (member.leaveTick >= 0 && upTo >= member.leaveTick) upTo = member.leaveTick - 1;
  return upTo;
}

/**
 * The newest tick a link may receive inputs up to: a spectator gets confirmed inputs only, and
 * a peer that takes every player's inputs from us (a star guest, a spectator) gets none of a
 * newcomer's join tick or later before it acknowledges the newcomer's slot: inputs can overtake
 * the reliable `PlayerJoined`, and it would play those ticks without the newcomer.
 */
function sendCap(link: Link, roster: Roster, engine: RollbackEngine): Tick {
  // A spectator never predicts, so it never rolls back.
  let cap =
    roster.linkMember(link)?.role === PlayerRole.Spectator
      ? engine.confirmedTick
      : Number.POSITIVE_INFINITY;
  if (!roster.isHost) return cap;
  const players = roster.remotePlayers;
  for (let k = 0; k < players.length; k++) {
    const m = players[k]!;
    if (m.joinTick <= 0 || link.sends[m.slot] !== 1 || link.acked[m.slot]! >= m.joinTick - 1) {
      continue;
    }
    cap = Math.min(cap, m.joinTick - 1);
  }
  return cap;
}

/**
 * Whether an input the link has not seen differs from the one before it (a changed input is
 * what causes rollbacks on the other side, so it goes out at once), and whether anything is
 * pending at all.
 */
type Pending = { pending: boolean; changed: boolean };

/** {@link scanPending}'s result, reused (the hot path allocates nothing per frame). */
const scanned: Pending = { pending: false, changed: false };

function scanPending(link: Link, roster: Roster, engine: RollbackEngine, cap: Tick): Pending {
  let changed = false;
  let pending = false;
  const slots = link.sendSlots;
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k]!;
    const member = roster.countedPlayer(slot);
    if (!member) continue;
    const upTo = Math.min(inputsUpTo(member, engine), cap);
    if (upTo <= link.acked[slot]!) continue;
    pending = true;
    if (!changed) changed = unsentChange(link, slot, member, engine, upTo);
  }
  scanned.pending = pending;
  scanned.changed = changed;
  return scanned;
}

/**
 * Whether an input of `slot` up to `upTo` that has not gone out on the link differs from the
 * input before it.
 */
function unsentChange(
  link: Link,
  slot: number,
  member: Member,
  engine: RollbackEngine,
  upTo: Tick,
): boolean {
  // Ticks up to scannedUpTo were compared on an earlier frame and repeat their predecessor:
  // only the newest ones need a look.
  const acked = link.acked[slot]!;
  let t = Math.max(link.sentUpTo[slot]!, link.scannedUpTo[slot]!, acked, member.joinTick - 1) + 1;
  if (t > upTo) return false;
  let previous = t > member.joinTick ? engine.getInput(member.playerId, t - 1) : undefined;
  for (; t <= upTo; t++) {
    const input = engine.getInput(member.playerId, t);
    if (input === undefined) return false;
    if (previous === undefined || !sameBytes(input, previous)) return true;
    link.noteScanned(slot, t);
    previous = input;
  }
  return false;
}

/**
 * Relay on receipt (a star's host): a changed input of one of the slots `source` sends us just
 * arrived; every other link that carries one of those slots gets their inputs at once when one
 * it has not seen changed (unchanged ones wait for the link's frame message). The relay carries
 * only those slots: what else the link has not acknowledged goes in the link's next frame
 * message, which follows on the next frame anyway (the copy that makes a lost relay cost one
 * frame). So a relay does not restart the link's heartbeat: a guest that acknowledges every
 * relay before our next frame gets no copy, and frequent relays would otherwise hold back the
 * others' unchanged inputs for good.
 */
export function relayInputs(
  send: LinkSend,
  source: Link,
  engine: RollbackEngine,
  now: number,
): void {
  const { links, roster } = send;
  const list = links.list;
  const slots = source.acceptSlots;
  for (let k = 0; k < list.length; k++) {
    const link = list[k]!;
    if (link === source) continue;
    let changed = false;
    const cap = send.on(link, engine, null, now).cap;
    for (let i = 0; i < slots.length && !changed; i++) {
      const slot = slots[i]!;
      if (link.sends[slot] !== 1) continue;
      const member = roster.countedPlayer(slot);
      if (!member) continue;
      const upTo = Math.min(inputsUpTo(member, engine), cap);
      if (upTo > link.acked[slot]!) changed = unsentChange(link, slot, member, engine, upTo);
    }
    if (changed && link.takeRelay(MAX_RELAYS_PER_FRAME)) sendRuns(send, true, false, source);
  }
}

/**
 * The encoder of every input and ack message: each is begun and finished before it is sent,
 * so one writer serves every session of the page.
 */
const writer = new InputWriter();

/** `settled` of a send whose acks carry no settled tick (ticks are -1 or more). */
const NOT_SETTLING = -2;
/** {@link LinkSend}'s `settled` before it is first read in a send. */
const UNKNOWN = -3;

/** What a send's acks carry besides the received ticks (see {@link writeAcks}). */
type AckContext = {
  readonly settled: Tick;
  readonly meshHostLink: boolean;
  /** The time, and how often our messages echo the peer's (see `Link.echoDue`). */
  readonly now: number;
  readonly pingInterval: number;
};

/**
 * One session's send on one link, set up once per frame (or relay) with what is per link:
 * what {@link sendRuns}, {@link writeRuns} and {@link writeAcks} need. One reused object per
 * session: the hot path allocates nothing per frame.
 */
export class LinkSend {
  link: Link = undefined as unknown as Link;
  engine: RollbackEngine = undefined as unknown as RollbackEngine;
  /** The newest tick the link may receive inputs up to (see {@link sendCap}). */
  cap: Tick = 0;
  now = 0;
  /** The session's `pingInterval`: how often our messages echo the peer's (see `Link.echoDue`). */
  pingInterval = DEFAULT_SESSION_CONFIG.pingInterval;
  #cfg: SessionConfig | null = null;
  #settled: Tick = UNKNOWN;
  /** Per slot, its inputs encoded once for every link. */
  readonly streams: DeltaStream[] = [];

  /**
   * @param links - The session's links.
   * @param roster - The session's roster.
   */
  constructor(
    readonly links: LinkTable,
    readonly roster: Roster,
  ) {}

  /**
   * Sets up a send on `link`. What only a message's acks need (see {@link settled} and
   * {@link meshHostLink}) waits until one is written: most frames send nothing.
   * @param cfg - The session's config, or `null` for a relay on receipt (a star's: its acks
   *   carry no settled tick, and it is no mesh member's link to its host).
   */
  on(link: Link, engine: RollbackEngine, cfg: SessionConfig | null, now: number): this {
    this.link = link;
    this.engine = engine;
    this.cap = sendCap(link, this.roster, engine);
    this.now = now;
    this.#cfg = cfg;
    if (cfg) this.pingInterval = cfg.pingInterval;
    this.#settled = UNKNOWN;
    return this;
  }

  /** Sets up a keepalive in the lobby (no engine, no acks): only its time and echo matter. */
  idle(cfg: SessionConfig, now: number): this {
    this.now = now;
    this.pingInterval = cfg.pingInterval;
    return this;
  }

  /** Whether the link is a mesh member's link to its host (see {@link meshAckCap}). */
  get meshHostLink(): boolean {
    const { roster } = this;
    return (
      this.#cfg?.topology === Topology.Mesh &&
      roster.localPlays &&
      !roster.isHost &&
      this.link.peerId === roster.hostPeerId
    );
  }

  /**
   * The tick our acks carry as settled ({@link settledFor}, once per send), or
   * {@link NOT_SETTLING}: only a mesh host's acks to a player carry it (see {@link writeAcks}),
   * who holds the others' inputs straight from them.
   */
  get settled(): Tick {
    if (this.#settled === UNKNOWN) {
      const { link, roster } = this;
      this.#settled =
        roster.isHost &&
        this.#cfg?.topology === Topology.Mesh &&
        roster.linkMember(link)?.role === PlayerRole.Player
          ? settledFor(link, roster, this.engine)
          : NOT_SETTLING;
    }
    return this.#settled;
  }
}

/**
 * Sends every input the link's peer has not acknowledged, with our acks.
 * @param beat - Whether the message restarts the heartbeat: a resend does not, so a resend and
 *   the heartbeat after a lost message are two chances, not one.
 * @param only - A relay's source: only the slots it sends us go (see {@link relayInputs}).
 */
function sendRuns(f: LinkSend, changed: boolean, beat = true, only?: Link): boolean {
  // Read before sending: a transport that delivers at once may reenter the session.
  const { link, engine, now } = f;
  writer.begin(MessageType.Input, engine.currentTick);
  writeAcks(link, f.roster, engine, f);
  if (writeRuns(f, changed, only) === 0) return false;
  f.links.sendBytes(link, finishFor(link, now, f.pingInterval), false);
  link.acksSent();
  if (beat) link.heartbeatSent();
  // A relay carries none of our own inputs: it is no message to probe for them.
  link.noteInputsSent(now, only ? -1 : f.roster.localSlot);
  return true;
}

/**
 * Writes the runs of every input the link's peer has not acknowledged (at most one run per
 * slot) straight from the engine's buffers.
 * @param only - A relay's source: only the slots it sends us are written.
 * @returns How many runs were written.
 */
function writeRuns(f: LinkSend, changed: boolean, only?: Link): number {
  const { link, roster, engine, cap, now } = f;
  let runs = 0;
  const slots = link.sendSlots;
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k]!;
    if (only && only.accepts[slot] !== 1) continue;
    const member = roster.countedPlayer(slot);
    if (!member) continue;
    const upTo = Math.min(inputsUpTo(member, engine), cap);
    const from = Math.max(link.acked[slot]! + 1, member.joinTick);
    if (upTo < from) continue;
    const stream = (f.streams[slot] ??= new DeltaStream(slot));
    const last = stream.write(writer, engine, member.playerId, from, upTo);
    if (last < from) continue;
    link.noteSent(slot, last);
    if (changed) link.noteChangeSent(slot, last, now);
    runs++;
  }
  return runs;
}

/**
 * Sends this link's one message of the frame, if any. Inputs go out at once when one of them
 * changed, and again on the next frame (and on every frame once its acknowledgement is overdue)
 * until the peer acknowledges the change, so a lost packet costs a frame; an unchanged input
 * goes out every `inputHeartbeatTicks` frames so the peer can confirm. Each message carries
 * every input the peer has not acknowledged, and our acks. With no inputs to send, a
 * bare ack goes out on the same heartbeat when the peer needs our acks, and a keepalive when
 * the link is idle.
 */
export function flushInputs(
  send: LinkSend,
  link: Link,
  engine: RollbackEngine,
  cfg: SessionConfig,
  now: number,
): void {
  const due = link.countFrame() >= cfg.inputHeartbeatTicks;
  const toHost = link.peerId === send.roster.hostPeerId;
  const resend = link.resendDue(now, 1000 / cfg.tickRate, cfg.inputHeartbeatTicks, toHost);
  const f = send.on(link, engine, cfg, now);
  const { pending, changed } = scanPending(link, send.roster, engine, f.cap);
  if (pending && (changed || due || resend) && sendRuns(f, changed, changed || due)) return;
  if ((link.needsAcks && due) || now - link.lastSendAt >= cfg.keepaliveInterval) {
    sendAck(link, send.links, send.roster, engine, f);
    link.heartbeatSent();
  }
}

/**
 * Sends our acks alone (also the keepalive, in the lobby with no engine: then it carries none).
 * @param acks - What the acks carry: the tick we settled, for a mesh host's acks to a player
 *   (else {@link NOT_SETTLING}), whether the link is a mesh member's link to its host, and the
 *   time and echo interval of the message.
 */
export function sendAck(
  link: Link,
  links: LinkTable,
  roster: Roster,
  engine: RollbackEngine | null,
  acks: AckContext,
): void {
  writer.begin(MessageType.InputAck, engine ? engine.currentTick : 0);
  if (engine) writeAcks(link, roster, engine, acks);
  links.sendBytes(link, finishFor(link, acks.now, acks.pingInterval), false);
  link.acksSent();
}

/** Ends the writer's message to `link`: its `seq`, and an echo of the peer's when one is due. */
function finishFor(link: Link, now: number, pingInterval: number): Uint8Array {
  const echo = link.echoDue(now, pingInterval);
  return writer.finish(link.nextSeq(now), true, echo, echo < 0 ? 0 : link.echoDelay(now));
}

/**
 * The tick a mesh host tells a player it settled: its confirmed tick, but short of any away
 * window the player may not have heard of yet (its own while open, or another player's whose
 * stand-ins from the host it has not acknowledged) and of any departure it may not have heard
 * of yet: until then it may hold that player's own inputs there, straight from it.
 */
function settledFor(link: Link, roster: Roster, engine: RollbackEngine): Tick {
  let settled = engine.confirmedTick;
  for (const m of roster.remotePlayers) {
    const from = roster.awayFrom(m.slot);
    if (from < 0) continue;
    const own = m.peerId === link.peerId;
    if ((own && roster.isAway(m.slot)) || (!own && link.acked[m.slot]! < from)) {
      settled = Math.min(settled, from - 1);
    }
  }
  const slots = link.sendSlots;
  for (let k = 0; k < slots.length; k++) {
    const leave = link.unheardLeave(slots[k]!);
    if (leave >= 0) settled = Math.min(settled, leave - 1);
  }
  return settled;
}

/**
 * The newest tick of another player's inputs a mesh member acknowledges to the host. The member
 * holds that player's inputs straight from it and takes them from the host only inside away
 * windows. The host opens a window at the tick after the newest input of the player it holds,
 * and the member then drops its own copies from there: an ack that counted them would make the
 * host skip stand-ins the member needs. So outside an open window the ack goes no further than
 * the host's settled tick (the host holds every input up to it) or the end of the player's last
 * window (those came from the host).
 */
function meshAckCap(link: Link, roster: Roster, slot: number): Tick {
  if (roster.isAway(slot)) return Number.POSITIVE_INFINITY;
  return Math.max(roster.backAt(slot) - 1, link.acked[roster.hostSlot]!);
}

/**
 * Writes our acks for the link's peer: every slot it sends us. With `settled` not
 * {@link NOT_SETTLING} (a mesh host to a player, see {@link settledFor}) one more entry, for our
 * own slot, carries it: we decide no input up to it any more (an away player's), so the guest
 * may confirm up to it.
 */
function writeAcks(link: Link, roster: Roster, engine: RollbackEngine, acks: AckContext): void {
  const { settled, meshHostLink } = acks;
  if (settled !== NOT_SETTLING) writer.ack(roster.localSlot, settled);
  const slots = link.acceptSlots;
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k]!;
    const member = roster.at(slot);
    if (!member || member.joinTick < 0) continue;
    let tick = engine.getReceivedTick(member.playerId);
    if (meshHostLink && !member.isHost) tick = Math.min(tick, meshAckCap(link, roster, slot));
    // Away: the host's stand-ins are not the member's inputs; acking them would let a member
    // that has not heard it is away confirm its own inputs there.
    if (roster.isHost && roster.isAway(slot)) tick = Math.min(tick, roster.awayFrom(slot) - 1);
    if (member.leaveTick >= 0) {
      // A departed player: once every input before its leave tick counted, nothing more of
      // it is needed (the engine may have forgotten it already). The ack says the leave tick
      // itself: a mesh host learns so that we heard of the departure (see settledFor).
      const last = member.leaveTick - 1;
      if (tick >= last || engine.confirmedTick >= last) tick = member.leaveTick;
    }
    writer.ack(slot, tick);
  }
}

/** How many inputs the link's peer has not acknowledged. */
export function pendingInputs(link: Link, roster: Roster, engine: RollbackEngine | null): number {
  if (!engine) return 0;
  let pending = 0;
  const cap = sendCap(link, roster, engine);
  for (const slot of link.sendSlots) {
    const member = roster.countedPlayer(slot);
    if (!member) continue;
    const upTo = Math.min(inputsUpTo(member, engine), cap);
    const from = Math.max(link.acked[slot]! + 1, member.joinTick);
    if (upTo >= from) pending += upTo - from + 1;
  }
  return pending;
}

/**
 * How far (in ticks) from our current tick an honest peer's inputs or hashes can be: its
 * speculation window, plus the ticks of `disconnectTimeout` (a peer silent longer is dropped),
 * plus one full run of resent inputs.
 */
export function tickReach(cfg: SessionConfig): number {
  return (
    cfg.maxSpeculationTicks +
    Math.ceil((cfg.disconnectTimeout * cfg.tickRate) / 1000) +
    DEFAULT_LIMITS.maxInputsPerRun
  );
}

/**
 * What {@link applyInputs} found: the last refused slot and the reach exceeded (-1 when fine),
 * and, on a star's host, whether an input it added differs from the one before it: that is
 * what the host relays at once (a message that only repeats inputs, or adds unchanged ones,
 * waits for the frame). Reused.
 */
type Applied = { refused: number; outOfReach: number; changed: boolean };

/**
 * Takes a peer's acks and inputs (decoded into `view`): acks into the link, inputs the link may
 * carry straight from the view into the engine. Runs far from our tick, or for slots the peer
 * may not send, are ignored.
 * @param out - Receives what it found (see {@link Applied}).
 */
export function applyInputs(
  link: Link,
  roster: Roster,
  engine: RollbackEngine,
  cfg: SessionConfig,
  view: InputView,
  out: Applied,
): void {
  for (let i = 0; i < view.acks; i++) link.noteAck(view.ackSlot[i]!, view.ackTick[i]!);
  out.refused = -1;
  out.outOfReach = -1;
  out.changed = false;
  if (view.runs === 0) return;
  const reach = tickReach(cfg);
  const now = engine.currentTick;
  const viaHost = !roster.isHost && link.peerId === roster.hostPeerId;
  // Only a star's host relays: only it needs to know.
  const relays = roster.isHost && cfg.topology === Topology.Star;
  for (let r = 0; r < view.runs; r++) {
    const slot = view.runSlot[r]!;
    const start = view.runStart[r]!;
    const count = view.runCount[r]!;
    if (start > now + reach || start + count - 1 < now - reach) {
      // No honest peer sends inputs this far from our tick (it would have been dropped for
      // silence first); the engine would ignore them anyway, so say so once per message.
      out.outOfReach = reach;
      continue;
    }
    if (link.accepts[slot] !== 1) {
      // A mesh host's stand-ins of a player can overtake the `PlayerAway` that makes us take
      // that slot from it: no offence, and it sends them again once we acknowledge the slot.
      if (!viaHost || !roster.countedPlayer(slot)) out.refused = slot;
      continue;
    }
    const member = roster.countedPlayer(slot);
    if (!member) continue;
    const first = view.runFirst[r]!;
    const id = member.playerId;
    // Most of a run repeats inputs we hold (it carries all we have not acknowledged yet).
    const held = engine.getReceivedTick(id);
    // Inside an away window only the host's decided inputs count (stale ones are no offence);
    // a slot that never was away (the usual case) needs no check per input.
    const check = !viaHost && roster.awayFrom(slot) >= 0;
    for (let i = Math.max(0, held + 1 - start); i < count; i++) {
      if (check && !acceptsInputFrom(roster, viaHost, slot, start + i)) continue;
      const input = view.input(first + i);
      engine.addRemoteInput(id, start + i, input);
      if (relays && !out.changed) {
        const previous = i > 0 ? view.input(first + i - 1) : engine.getInput(id, start + i - 1);
        out.changed = previous === undefined || !sameBytes(input, previous);
      }
    }
    link.inputsArrived();
  }
}

/** What {@link InputExchange} works with (the session's own parts, no more). */
export type InputExchangeDeps = {
  readonly links: LinkTable;
  readonly roster: Roster;
  readonly report: Reporter;
  readonly advantage: FrameAdvantage;
  /** Whether the local game advances (not while the local member is away). */
  readonly localPlays: () => boolean;
};

/** The input exchange as the session drives it: one flush per link per frame, and receiving. */
export class InputExchange {
  /** @param deps - The session's parts this uses. */
  constructor(deps: InputExchangeDeps) {
    this.#deps = deps;
    this.#send = new LinkSend(deps.links, deps.roster);
  }

  readonly #deps: InputExchangeDeps;
  readonly #applied: Applied = { refused: -1, outOfReach: -1, changed: false };
  readonly #view = new InputView();
  readonly #send: LinkSend;
  /** The automatic input delay (`inputDelayTicks: 'auto'`), run by the session every frame. */
  readonly autoDelay = new AutoDelay();

  /** The room ended: the encoded inputs go, and with them the last engine they came from. */
  reset(): void {
    this.#send.streams.length = 0;
  }

  /** The frame's message on a link: inputs and acks while playing, a keepalive in the lobby. */
  flush(link: Link, engine: RollbackEngine | null, cfg: SessionConfig, now: number): void {
    const { links, roster } = this.#deps;
    if (engine) flushInputs(this.#send, link, engine, cfg, now);
    else if (now - link.lastSendAt >= cfg.keepaliveInterval) {
      sendAck(link, links, roster, null, this.#send.idle(cfg, now));
    }
  }

  /**
   * The bytes of a message from `peerId`, if an `Input` or `InputAck`: decoded into the
   * exchange's reused view (a malformed one is reported and changes nothing), then received.
   * @returns Whether the bytes were such a message (else the session decodes them).
   */
  receiveBytes(
    peerId: string,
    bytes: Uint8Array,
    link: Link | undefined,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): boolean {
    const type = bytes[0];
    if (type !== MessageType.Input && type !== MessageType.InputAck) return false;
    const view = this.#view;
    const error = view.read(bytes);
    if (error) {
      this.#deps.report.error('protocol', error, peerId);
      return true;
    }
    try {
      this.receive(link, view, engine, cfg, now);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.#deps.report.error('session', err, peerId, view.type);
    }
    return true;
  }

  /**
   * A guest confirms a tick only once the host can no longer decide an input of it: the host
   * decides an away player's inputs from the tick after the newest it received. In star every
   * other player's input comes through the host, so the host's ack of the guest's own inputs is
   * that bound; in mesh the guest holds the others' inputs straight from them, so the bound is
   * the host's confirmed tick (its ack entry for its own slot, see `writeAcks`).
   */
  capConfirmation(engine: RollbackEngine, cfg: SessionConfig): void {
    const { roster, links } = this.#deps;
    if (roster.isHost || !roster.localPlays) {
      engine.confirmationCap = Number.POSITIVE_INFINITY;
      return;
    }
    const host = roster.hostPeerId === null ? undefined : links.get(roster.hostPeerId);
    const slot = cfg.topology === Topology.Mesh ? roster.hostSlot : roster.localSlot;
    const acked = host && slot >= 0 ? host.acked[slot]! : -1;
    const cap = engine.confirmationCap;
    engine.confirmationCap = cap === Number.POSITIVE_INFINITY ? acked : Math.max(cap, acked);
  }

  /** An `Input` or `InputAck` message from a link's peer, decoded into `view`. */
  receive(
    link: Link | undefined,
    view: InputView,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    if (!link) return;
    if (view.echoSeq >= 0) {
      // The peer echoed one of our messages: a round-trip sample, in place of a pong.
      const sample = link.takeEcho(view.echoSeq, view.echoDelay, now);
      if (sample >= 0) link.addRttSample(sample);
    }
    if (!engine) return;
    const senderTick = view.senderTick;
    link.noteReceivedSeq(view.seq < 0 ? undefined : view.seq, now);
    // While away the local game stands still: inputs wait for the state it comes back to.
    if (!this.#deps.localPlays()) view.runs = 0;
    const applied = this.#applied;
    applyInputs(link, this.#deps.roster, engine, cfg, view, applied);
    const { refused, outOfReach } = applied;
    const bound = remoteTickBound(engine, this.#deps.roster, cfg);
    if (this.#deps.roster.localAway || !this.#deps.localPlays()) {
      // While away (or reconnecting) the local game stands still: the others' ticks say nothing
      // about time sync.
    } else if (senderTick >= 0 && senderTick <= bound) {
      link.noteRemoteTick(senderTick, now);
      // An input message leaves right after the sender's tick (its tick count is exact), while
      // ours is read at any point of a tick (half a tick short on average): correct that bias,
      // or the peer that is ahead would settle half a tick ahead.
      this.#deps.advantage.addSample(link, this.#deps.roster, senderTick - 0.5, engine);
    } else {
      const text = `senderTick ${senderTick} is beyond any tick it can be at (${bound}); time sync ignores it`;
      this.#deps.report.peerThrottled(link.peerId, MessageType.Input, text, now);
    }
    link.checkLost(now, 1000 / cfg.tickRate, this.#deps.roster.localSlot);
    // A star's host passes changed inputs on at once, not on its next frame (only it sets
    // `changed`, see applyInputs).
    if (applied.changed) relayInputs(this.#send, link, engine, now);
    if (refused >= 0) {
      const text = `inputs for slot ${refused}, which this peer may not send`;
      this.#deps.report.peer(link.peerId, MessageType.Input, text);
    }
    if (outOfReach >= 0) {
      const text = `inputs more than ${outOfReach} ticks away from tick ${engine.currentTick}`;
      this.#deps.report.peer(link.peerId, MessageType.Input, text);
    }
  }
}
