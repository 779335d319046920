import type { RollbackEngine } from '@rbn/core';
import { DEFAULT_LIMITS, MessageType, encodeMessage, sameBytes } from '@rbn/protocol';
import type { InputAckEntry, InputMessage, InputRun, Tick } from '@rbn/protocol';
import { acceptsInputFrom } from './away';
import { remoteTickBound } from './frame-advantage';
import type { FrameAdvantage } from './frame-advantage';
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

/** The newest tick a link may receive inputs up to: a spectator gets confirmed inputs only. */
function sendCap(link: Link, roster: Roster, engine: RollbackEngine): Tick {
  // A spectator never predicts, so it never rolls back.
  return roster.byPeer(link.peerId)?.role === PlayerRole.Spectator
    ? engine.confirmedTick
    : Number.POSITIVE_INFINITY;
}

/**
 * Whether an input the link has not seen differs from the one before it (a changed input is
 * what causes rollbacks on the other side, so it goes out at once), and whether anything is
 * pending at all.
 */
function scanPending(
  link: Link,
  roster: Roster,
  engine: RollbackEngine,
  cap: Tick,
): { pending: boolean; changed: boolean } {
  let changed = false;
  let pending = false;
  for (const slot of link.sendSlots) {
    const member = roster.countedPlayer(slot);
    if (!member) continue;
    const upTo = Math.min(inputsUpTo(member, engine), cap);
    if (upTo <= link.acked[slot]!) continue;
    pending = true;
    if (!changed) changed = unsentChange(link, slot, member, engine, upTo);
  }
  return { pending, changed };
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
 * Relay on receipt (a star's host): inputs of `slots` just arrived from `source`; every other
 * link that carries one of those slots gets them at once when one of them changed (unchanged
 * ones wait for the link's frame message).
 */
export function relayInputs(
  source: Link,
  slots: readonly InputRun[],
  links: LinkTable,
  roster: Roster,
  engine: RollbackEngine,
  now: number,
): void {
  for (const link of links.list) {
    if (link === source) continue;
    let changed = false;
    const cap = sendCap(link, roster, engine);
    for (let i = 0; i < slots.length && !changed; i++) {
      const slot = slots[i]!.slot;
      if (link.sends[slot] !== 1) continue;
      const member = roster.countedPlayer(slot);
      if (!member) continue;
      const upTo = Math.min(inputsUpTo(member, engine), cap);
      if (upTo > link.acked[slot]!) changed = unsentChange(link, slot, member, engine, upTo);
    }
    if (changed && link.takeRelay(MAX_RELAYS_PER_FRAME)) {
      sendRuns(link, links, roster, engine, cap, true, now);
    }
  }
}

/** Sends every input the link's peer has not acknowledged, with our acks. */
function sendRuns(
  link: Link,
  links: LinkTable,
  roster: Roster,
  engine: RollbackEngine,
  cap: Tick,
  changed: boolean,
  now: number,
): boolean {
  const runs = unackedRuns(link, roster, engine, cap);
  if (runs.length === 0) return false;
  if (changed) {
    for (const run of runs) {
      link.noteChangeSent(run.slot, run.startTick + run.inputs.length - 1, now);
    }
  }
  const message: InputMessage = {
    type: MessageType.Input,
    senderTick: engine.currentTick,
    acks: acksFor(link, roster, engine),
    runs,
  };
  links.sendBytes(link, encodeMessage(message), false);
  link.acksSent();
  link.heartbeatSent();
  link.noteInputsSent(now);
  return true;
}

/** The runs of every input the link's peer has not acknowledged (at most one run per slot). */
function unackedRuns(link: Link, roster: Roster, engine: RollbackEngine, cap: Tick): InputRun[] {
  const runs: InputRun[] = [];
  const maxRun = DEFAULT_LIMITS.maxInputsPerRun;
  for (const slot of link.sendSlots) {
    const member = roster.countedPlayer(slot);
    if (!member) continue;
    const upTo = Math.min(inputsUpTo(member, engine), cap);
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
    link.noteSent(slot, from + inputs.length - 1);
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
  link: Link,
  links: LinkTable,
  roster: Roster,
  engine: RollbackEngine,
  cfg: SessionConfig,
  now: number,
): void {
  const due = link.countFrame() >= cfg.inputHeartbeatTicks;
  const resend = link.resendDue(now, 1000 / cfg.tickRate, cfg.inputHeartbeatTicks);
  const cap = sendCap(link, roster, engine);
  const { pending, changed } = scanPending(link, roster, engine, cap);
  if (pending && (changed || due || resend)) {
    if (sendRuns(link, links, roster, engine, cap, changed, now)) return;
  }
  if ((link.needsAcks && due) || now - link.lastSendAt >= cfg.keepaliveInterval) {
    sendAck(link, links, roster, engine);
    link.heartbeatSent();
  }
}

/** Sends our acks alone (also the keepalive, in the lobby with no engine). */
export function sendAck(
  link: Link,
  links: LinkTable,
  roster: Roster,
  engine: RollbackEngine | null,
): void {
  const bytes = encodeMessage({
    type: MessageType.InputAck,
    senderTick: engine ? engine.currentTick : 0,
    acks: engine ? acksFor(link, roster, engine) : [],
  });
  links.sendBytes(link, bytes, false);
  link.acksSent();
}

function acksFor(link: Link, roster: Roster, engine: RollbackEngine): InputAckEntry[] {
  const acks: InputAckEntry[] = [];
  for (const slot of link.acceptSlots) {
    const member = roster.at(slot);
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
 * Takes a peer's acks and inputs: acks into the link, inputs the link may carry into the
 * engine. Runs far from our tick, or for slots the peer may not send, are ignored.
 * @returns What to report: the last refused slot and the reach exceeded (-1 when fine).
 */
export function applyInputs(
  link: Link,
  roster: Roster,
  engine: RollbackEngine,
  cfg: SessionConfig,
  acks: readonly InputAckEntry[],
  runs: readonly InputRun[] | null,
): { refused: number; outOfReach: number } {
  for (const ack of acks) link.noteAck(ack.slot, ack.tick);
  let refused = -1;
  let outOfReach = -1;
  if (!runs) return { refused, outOfReach };
  const reach = tickReach(cfg);
  for (const run of runs) {
    if (
      run.startTick > engine.currentTick + reach ||
      run.startTick + run.inputs.length - 1 < engine.currentTick - reach
    ) {
      // No honest peer sends inputs this far from our tick (it would have been dropped for
      // silence first); the engine would ignore them anyway, so say so once per message.
      outOfReach = reach;
      continue;
    }
    if (link.accepts[run.slot] !== 1) {
      refused = run.slot;
      continue;
    }
    const member = roster.countedPlayer(run.slot);
    if (!member) continue;
    const inputs = run.inputs;
    const viaHost = !roster.isHost && link.peerId === roster.hostPeerId;
    for (let i = 0; i < inputs.length; i++) {
      // Inside an away window only the host's decided inputs count (stale ones are no offence).
      if (!acceptsInputFrom(roster, viaHost, run.slot, run.startTick + i)) continue;
      engine.addRemoteInput(member.playerId, run.startTick + i, inputs[i]!);
    }
    link.inputsArrived();
  }
  return { refused, outOfReach };
}

/** What {@link InputExchange} works with (the session's own parts, no more). */
export type InputExchangeDeps = {
  readonly links: LinkTable;
  readonly roster: Roster;
  readonly report: Reporter;
  readonly advantage: FrameAdvantage;
};

/** The input exchange as the session drives it: one flush per link per frame, and receiving. */
export class InputExchange {
  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: InputExchangeDeps) {}

  /** The frame's message on a link: inputs and acks while playing, a keepalive in the lobby. */
  flush(link: Link, engine: RollbackEngine | null, cfg: SessionConfig, now: number): void {
    const { links, roster } = this.deps;
    if (engine) flushInputs(link, links, roster, engine, cfg, now);
    else if (now - link.lastSendAt >= cfg.keepaliveInterval) sendAck(link, links, roster, null);
  }

  /** An `Input` (with runs) or `InputAck` (runs `null`) message from a link's peer. */
  receive(
    link: Link | undefined,
    senderTick: Tick,
    acks: readonly InputAckEntry[],
    runs: readonly InputRun[] | null,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    if (!link || !engine) return;
    const { refused, outOfReach } = applyInputs(link, this.deps.roster, engine, cfg, acks, runs);
    const bound = remoteTickBound(engine, this.deps.roster, cfg);
    if (this.deps.roster.localAway) {
      // While away the local game stands still: the others' ticks say nothing about time sync.
    } else if (senderTick >= 0 && senderTick <= bound) {
      link.noteRemoteTick(senderTick, now);
      // An input message leaves right after the sender's tick (its tick count is exact), while
      // ours is read at any point of a tick (half a tick short on average): correct that bias,
      // or the peer that is ahead would settle half a tick ahead.
      this.deps.advantage.addSample(link, this.deps.roster, senderTick - 0.5, engine);
    } else {
      const text = `senderTick ${senderTick} is beyond any tick it can be at (${bound}); time sync ignores it`;
      this.deps.report.peerThrottled(link.peerId, MessageType.Input, text, now);
    }
    link.checkLost(now, 1000 / cfg.tickRate);
    // A star's host passes changed inputs on at once, not on its next frame.
    if (runs && runs.length > 0 && this.deps.roster.isHost && cfg.topology === Topology.Star) {
      relayInputs(link, runs, this.deps.links, this.deps.roster, engine, now);
    }
    if (refused >= 0) {
      const text = `inputs for slot ${refused}, which this peer may not send`;
      this.deps.report.peer(link.peerId, MessageType.Input, text);
    }
    if (outOfReach >= 0) {
      const text = `inputs more than ${outOfReach} ticks away from tick ${engine.currentTick}`;
      this.deps.report.peer(link.peerId, MessageType.Input, text);
    }
  }
}
