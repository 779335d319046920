import type { Member } from '../roster';
import type { NetworkStats } from '../types';

/** The most slots a room can address (one byte on the wire). */
export const SLOT_COUNT = 256;

/** How many recent pings a link remembers to match pongs against. */
export const PING_MEMORY = 32;

/**
 * When a changed input goes out again while unacknowledged, as a bit mask of frames after its
 * first message (bit i: i frames after). On a link with no sign of loss, the next frame: one
 * lost packet then costs one frame.
 */
export const RESEND_SCHEDULE = 0b10;
/**
 * The same on a lossy link: the next frame and the third. Of the three copies any two may be
 * lost for at most a frame more than sending on every frame would cost (the third copy skips a
 * frame, so a burst of loss in time does not take it with the first two); a change waits for a
 * late resend only when all three are lost, about once in 8 000 changes at 5 % loss. A copy on
 * the second frame too would save that frame for one more message per change (7.5 a second per
 * link when an input changes every 8 frames).
 */
export const LOSSY_RESEND_SCHEDULE = 0b1010;
/** How long one lost message from the peer keeps a link lossy, in ms. */
export const LOSS_MEMORY_MS = 30_000;
/** A message missing after this many newer ones arrived counts as lost (not reordered). */
export const REORDER_WINDOW = 4;

/** `Link.#probeAt` with no message probed. */
const NO_PROBE = -1;
/** In place of a send time: a `seq` of ours not sent yet, or echoed already (see `Link.takeEcho`). */
const NO_ECHO = -1;
/** An echo held longer than this is not sent (the peer's next message is echoed instead). */
export const ECHO_HOLD_LIMIT_MS = 1000;
/** Round-trip samples from a minute on are not used. */
export const MAX_RTT_SAMPLE_MS = 60_000;

/**
 * The session's state for one remote peer it exchanges messages with: which players' inputs go
 * each way, what the peer acknowledged, RTT, traffic counters and liveness.
 */
export class Link {
  #sendSlots: number[] = [];
  /** Slots whose inputs we send on this link (1), by slot. */
  readonly sends = new Uint8Array(SLOT_COUNT);
  /** Slots whose inputs we accept from this link (anything else is refused). */
  readonly accepts = new Uint8Array(SLOT_COUNT);
  #acceptSlots: number[] = [];
  /** Per slot, the highest tick the peer acknowledged (every input up to it arrived). */
  readonly acked = new Int32Array(SLOT_COUNT).fill(-1);
  #ackDirty = false;
  /** Per slot, the leave tick the peer may not have heard of (see {@link Link.noteLeave}). */
  readonly #leaves = new Int32Array(SLOT_COUNT).fill(-1);
  /** Per slot, the highest tick whose input went out in a message on this link. */
  readonly sentUpTo = new Int32Array(SLOT_COUNT).fill(-1);
  /**
   * Per slot, the highest tick whose input was checked (on a frame with nothing to send) and
   * found equal to the tick before it, so the next frame's change check starts after it.
   */
  readonly scannedUpTo = new Int32Array(SLOT_COUNT).fill(-1);
  /**
   * Per slot, the newest tick of a message sent because an input changed: until the peer
   * acknowledges it, it goes out again (see {@link Link.resendDue}).
   */
  readonly #changeSentUpTo = new Int32Array(SLOT_COUNT).fill(-1);
  #changeSentAt = 0;
  #inputsSentAt = 0;
  /**
   * The oldest input message carrying our own slot's inputs that the peer has not shown it
   * received: when it left ({@link NO_PROBE}: none), and our newest input it carried.
   */
  #probeAt = NO_PROBE;
  #probeTick = -1;
  #resendNextFrame = false;
  /** Frames from the next one on in which an unacknowledged change goes out again (bit 0: next). */
  #resendSchedule = 0;
  /** Until when the link counts as lossy (see {@link LOSS_MEMORY_MS}). */
  #lossyUntil = -Infinity;
  /** Our next input/ack message's `seq`. */
  #sendSeq = 0;
  /** The newest `seq` received from the peer (-1 before the first). */
  #recvSeq = -1;
  /** When `#recvSeq` arrived. */
  #recvSeqAt = 0;
  /** Per `seq` of ours, when it went out, or {@link NO_ECHO}. */
  readonly #seqSentAt = new Float64Array(256).fill(NO_ECHO);
  /** When we last sent an echo, and last took one from the peer. */
  #echoSentAt = -Infinity;
  #echoHeardAt = -Infinity;
  /** Bit i: message `#recvSeq - i` has not arrived (yet: it may come late, out of order). */
  #recvMissing = 0;
  /** Input/ack messages of the peer that never arrived (counted {@link REORDER_WINDOW} late). */
  lostMessages = 0;
  #framesSinceInputSend = 0;
  #relaysThisFrame = 0;
  #lastSendAt = -Infinity;
  #lastPingAt = -Infinity;
  #lastRecvAt: number;
  /** When a message last arrived (never reset, unlike `#lastRecvAt`). */
  #lastMessageAt = Number.NEGATIVE_INFINITY;
  #interrupted = false;
  #rtt = 0;
  #rttDeviation = 0;
  #hasRtt = false;
  /** The peer's tick as last reported, and when we learnt it. */
  #remoteTick = -1;
  #remoteTickAt = 0;

  #bytesSent = 0;
  #bytesReceived = 0;
  #messagesSent = 0;
  #messagesReceived = 0;
  #windowAt: number;
  #windowBytesSent = 0;
  #windowBytesReceived = 0;
  #windowMessagesSent = 0;
  #windowMessagesReceived = 0;
  #bytesSentPerSecond = 0;
  #bytesReceivedPerSecond = 0;
  #messagesSentPerSecond = 0;
  #messagesReceivedPerSecond = 0;

  /** Timestamps of our newest pings, oldest first (a pong must answer one of them). */
  readonly #pings = new Float64Array(PING_MEMORY).fill(-1);
  /** Per entry of `pings`: 1 once answered. */
  readonly #pingAnswered = new Uint8Array(PING_MEMORY);
  #pingNext = 0;

  /** The roster's member for this peer, as of roster version {@link Link.rosterVersion} (see `Roster.linkMember`). */
  rosterMember: Member | undefined = undefined;
  /** The roster version {@link Link.rosterMember} was looked up at (-1: never). */
  rosterVersion = -1;

  /** Sync responses sent to this peer (rate limit). */
  #lastSyncSentAt = -Infinity;

  constructor(
    readonly peerId: string,
    now: number,
  ) {
    this.#lastRecvAt = now;
    this.#windowAt = now;
  }

  /** Slots whose inputs we send on this link. */
  get sendSlots(): readonly number[] {
    return this.#sendSlots;
  }

  /** Slots we acknowledge on this link (the accepted ones, as a list). */
  get acceptSlots(): readonly number[] {
    return this.#acceptSlots;
  }

  /** The smoothed round-trip time in milliseconds (0 before the first sample). */
  get rtt(): number {
    return this.#rtt;
  }

  /** The smoothed mean deviation of RTT samples from the smoothed RTT, in ms (jitter). */
  get rttDeviation(): number {
    return this.#rttDeviation;
  }

  /** Whether an RTT sample arrived yet. */
  get hasRtt(): boolean {
    return this.#hasRtt;
  }

  /** Whether the peer is silent past the notify threshold (until it is heard again). */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  /** When we last heard from the peer. */
  get lastRecvAt(): number {
    return this.#lastRecvAt;
  }

  /**
   * When a message last arrived on this link, or `-Infinity`: unlike {@link Link.lastRecvAt},
   * never moved by a new link or {@link Link.resetLiveness}, so it says the peer was heard.
   */
  get lastMessageAt(): number {
    return this.#lastMessageAt;
  }

  /** When we last sent to the peer. */
  get lastSendAt(): number {
    return this.#lastSendAt;
  }

  /** Sets which slots' inputs go each way on this link. */
  assignSlots(send: number[], accept: number[]): void {
    this.#sendSlots = send;
    this.sends.fill(0);
    for (const slot of send) this.sends[slot] = 1;
    this.accepts.fill(0);
    for (const slot of accept) this.accepts[slot] = 1;
    this.#acceptSlots = accept;
  }

  /** The peer acknowledged every input of `slot` up to `tick`. */
  noteAck(slot: number, tick: number): void {
    if (tick > this.acked[slot]!) this.acked[slot] = tick;
  }

  /**
   * A player left at `tick` (host): until the peer acknowledges its slot up to that tick, it may
   * not have heard, and count that player's inputs from there on (see {@link unheardLeave}).
   */
  noteLeave(slot: number, tick: number): void {
    this.#leaves[slot] = tick;
  }

  /**
   * The leave tick of the player in `slot` that the peer may not have heard of yet, or -1 (a
   * peer that heard acknowledges the slot up to the leave tick itself).
   */
  unheardLeave(slot: number): number {
    const tick = this.#leaves[slot]!;
    if (tick >= 0 && this.acked[slot]! >= tick) this.#leaves[slot] = -1;
    return this.#leaves[slot]!;
  }

  /** Starts the acknowledgements of `slot` at `tick` (a new game, or a state the peer loads). */
  resetAck(slot: number, tick: number): void {
    this.acked[slot] = tick;
    this.#changeSentUpTo[slot] = -1;
  }

  /**
   * A game starts: the peer holds no input of a slot before its join tick.
   * @param joinTickOf - Each slot's join tick (`undefined` for an empty slot).
   */
  startAcks(joinTickOf: (slot: number) => number | undefined): void {
    for (const slot of this.#sendSlots) {
      const joinTick = joinTickOf(slot);
      if (joinTick !== undefined) this.acked[slot] = joinTick - 1;
      this.#changeSentUpTo[slot] = -1;
    }
    this.#resendNextFrame = false;
    this.#resendSchedule = 0;
    this.#probeAt = NO_PROBE;
  }

  /** Whether the link showed a sign of loss in the last {@link LOSS_MEMORY_MS}. */
  lossyAt(now: number): boolean {
    return now < this.#lossyUntil;
  }

  /** A message on the link was lost: for {@link LOSS_MEMORY_MS}, changes go out more often. */
  #noteLoss(now: number): void {
    this.#lossyUntil = now + LOSS_MEMORY_MS;
  }

  /** The `seq` of our next input/ack message on this link (counts it as sent at `now`). */
  nextSeq(now: number): number {
    const seq = this.#sendSeq;
    this.#sendSeq = (seq + 1) & 0xff;
    this.#seqSentAt[seq] = now;
    return seq;
  }

  /**
   * The echo our next input/ack message carries (the peer's round-trip time, in place of its
   * pings): the newest `seq` we received, at most once per `intervalMs`, counted as sent.
   * @returns The `seq` to echo, or -1 when no echo is due; its delay is {@link echoDelay}.
   */
  echoDue(now: number, intervalMs: number): number {
    if (this.#recvSeq < 0 || this.#recvSeqAt <= this.#echoSentAt) return -1;
    if (now - this.#echoSentAt < intervalMs || now - this.#recvSeqAt > ECHO_HOLD_LIMIT_MS)
      return -1;
    this.#echoSentAt = now;
    return this.#recvSeq;
  }

  /** How long we have held the newest `seq` received, in whole milliseconds. */
  echoDelay(now: number): number {
    return Math.floor(now - this.#recvSeqAt);
  }

  /**
   * The peer echoed our message `seq`, held `delay` ms: a round-trip sample, and the peer's
   * pings are not needed while echoes come (see {@link startPing}). An echo that fits no
   * message of ours is not used, and not an error: it may answer a message of the link before
   * a reconnect, or one whose `seq` 256 newer messages of ours took over. A false echo can only
   * move this link's round-trip estimate, as a peer that delays its pongs could.
   * @returns The sample in ms, or -1 (an echo answered before, or that fits no message of ours).
   */
  takeEcho(seq: number, delay: number, now: number): number {
    const sentAt = this.#seqSentAt[seq]!;
    const sample = now - sentAt - delay;
    if (sentAt === NO_ECHO || sample < 0 || sample >= MAX_RTT_SAMPLE_MS) return -1;
    this.#seqSentAt[seq] = NO_ECHO;
    this.#echoHeardAt = now;
    return sample;
  }

  /**
   * The peer's input/ack message number `seq` arrived. A number skipped and still missing
   * {@link REORDER_WINDOW} messages later was lost: the link counts as lossy (loss is assumed
   * to go both ways, so our changes go out more often too).
   */
  noteReceivedSeq(seq: number | undefined, now: number): void {
    if (seq === undefined) return;
    if (this.#recvSeq < 0) {
      this.#recvSeq = seq;
      this.#recvSeqAt = now;
      return;
    }
    const ahead = (seq - this.#recvSeq) & 0xff;
    if (ahead === 0) return; // a duplicate
    if (ahead >= 128) {
      // Older than the newest: a late arrival fills its gap.
      const back = 256 - ahead;
      if (back < 32) this.#recvMissing &= ~(1 << back);
      return;
    }
    let lost = 0;
    for (let i = 0; i < ahead; i++) {
      this.#recvMissing = (this.#recvMissing << 1) | (i < ahead - 1 ? 1 : 0);
      if ((this.#recvMissing & (1 << REORDER_WINDOW)) !== 0) lost++;
      this.#recvMissing &= (1 << REORDER_WINDOW) - 1;
    }
    this.#recvSeq = seq;
    this.#recvSeqAt = now;
    if (lost > 0) {
      this.lostMessages += lost;
      this.#noteLoss(now);
    }
  }

  /** Inputs of `slot` up to `tick` went out on this link. */
  noteSent(slot: number, tick: number): void {
    if (tick > this.sentUpTo[slot]!) this.sentUpTo[slot] = tick;
  }

  /**
   * A message went out because an input changed, carrying `slot`'s inputs up to `tick`: it
   * goes out again on the frames of {@link RESEND_SCHEDULE} (or {@link LOSSY_RESEND_SCHEDULE}
   * on a lossy link) unless acknowledged by then.
   */
  noteChangeSent(slot: number, tick: number, now: number): void {
    if (tick > this.#changeSentUpTo[slot]!) this.#changeSentUpTo[slot] = tick;
    this.#changeSentAt = now;
    this.#resendSchedule = (this.lossyAt(now) ? LOSSY_RESEND_SCHEDULE : RESEND_SCHEDULE) >>> 1;
  }

  /**
   * An input message went out (a change, its resend or a heartbeat): it carries the change.
   * @param ownSlot - Our own slot, or -1 when we play none or the message carries none of our
   *   inputs (a star host's relay).
   */
  noteInputsSent(now: number, ownSlot: number): void {
    this.#inputsSentAt = now;
    if (this.#probeAt !== NO_PROBE || ownSlot < 0) return;
    const sent = this.sentUpTo[ownSlot]!;
    if (sent > this.acked[ownSlot]!) {
      this.#probeAt = now;
      this.#probeTick = sent;
    }
  }

  /**
   * A message from the peer arrived (its acks applied): when it left the peer after an input
   * message of ours must have arrived there (the RTT, four of its deviations and a frame later)
   * and still does not acknowledge what that message carried, the message was lost: our inputs
   * go out again on the next frame. That holds for our last message when it carried a change,
   * and for the oldest one carrying our own slot's inputs even when they repeat (a heartbeat:
   * the host marks a player away whose inputs stop coming, and the others confirm with them).
   * @param ownSlot - Our own slot, or -1 when we play none.
   */
  checkLost(now: number, frameMs: number, ownSlot: number): void {
    if (!this.#hasRtt) return;
    // As TCP's retransmission timeout: the smoothed RTT and four deviations (the RTT may just
    // have grown), and a frame (the peer sends on its frames).
    const late = this.#rtt + 4 * this.#rttDeviation + frameMs;
    if (this.#probeAt !== NO_PROBE) {
      if (ownSlot < 0 || this.acked[ownSlot]! >= this.#probeTick) this.#probeAt = NO_PROBE;
      else if (now - this.#probeAt > late) return this.#probeLost();
    }
    if (now - this.#inputsSentAt > late && this.#changeUnacked()) this.#resendNextFrame = true;
  }

  /** The probed message was lost: our inputs go out on the next frame, probed in turn. */
  #probeLost(): void {
    this.#probeAt = NO_PROBE;
    this.#resendNextFrame = true;
  }

  /** Whether the peer has not acknowledged a change we sent it, of any slot. */
  #changeUnacked(): boolean {
    const slots = this.#sendSlots;
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k]!;
      if (this.acked[slot]! < this.#changeSentUpTo[slot]!) return true;
    }
    return false;
  }

  /**
   * Whether inputs must go out again now: on the frame after a message from the peer shows one
   * of ours lost ({@link checkLost}); on a link to the host, which marks a player away whose
   * inputs stop coming, once the acknowledgement of the oldest message carrying our own inputs
   * is overdue (more than the RTT, a heartbeat and two frames after it went out: then once, and
   * again each time the one sent instead is overdue; not to others, which may tick slower and
   * ack later without harm); and while a changed input is not acknowledged, on the frames its
   * resend schedule names (see {@link noteChangeSent}: a lost packet then costs one frame) and
   * on every frame once its acknowledgement is overdue.
   */
  resendDue(now: number, frameMs: number, heartbeatFrames: number, toHost: boolean): boolean {
    // The peer acknowledges with its own messages, at least every heartbeat.
    const overdue = this.#rtt + (heartbeatFrames + 2) * frameMs;
    if (toHost && this.#hasRtt && this.#probeAt !== NO_PROBE && now - this.#probeAt > overdue) {
      this.#probeLost();
    }
    const lost = this.#resendNextFrame;
    const scheduled = (this.#resendSchedule & 1) === 1;
    this.#resendNextFrame = false;
    this.#resendSchedule >>>= 1;
    if (!this.#changeUnacked()) {
      this.#resendSchedule = 0;
      return lost;
    }
    return lost || scheduled || (this.#hasRtt && now - this.#changeSentAt > overdue);
  }

  /** Inputs of `slot` up to `tick` were compared and repeat their predecessor. */
  noteScanned(slot: number, tick: number): void {
    this.scannedUpTo[slot] = tick;
  }

  /** Inputs arrived on this link: the peer needs our acks. */
  inputsArrived(): void {
    this.#ackDirty = true;
  }

  /** Whether inputs arrived since our last acks. */
  get needsAcks(): boolean {
    return this.#ackDirty;
  }

  /** Our acks went out (with inputs or alone). */
  acksSent(): void {
    this.#ackDirty = false;
  }

  /**
   * Counts a frame for the input heartbeat.
   * @returns Frames since the last input or ack message went out.
   */
  countFrame(): number {
    this.#relaysThisFrame = 0;
    return ++this.#framesSinceInputSend;
  }

  /**
   * Takes one of the frame's relays on receipt (at most `max` per frame, so a peer flooding
   * changed inputs cannot make the host flood the others).
   * @returns Whether a relay may go out now.
   */
  takeRelay(max: number): boolean {
    if (this.#relaysThisFrame >= max) return false;
    this.#relaysThisFrame++;
    return true;
  }

  /** An input or ack message went out: the heartbeat starts over. */
  heartbeatSent(): void {
    this.#framesSinceInputSend = 0;
  }

  /**
   * Starts a ping when one is due: not while the peer's echoes come.
   * @returns The ping's timestamp, or -1 when no ping is due.
   */
  startPing(now: number, intervalMs: number): number {
    if (now - this.#lastPingAt < intervalMs) return -1;
    // While the peer echoes our input messages, its echoes measure the round trip.
    if (now - this.#echoHeardAt < 2 * intervalMs) return -1;
    this.#lastPingAt = now;
    const timestamp = Math.floor(now) >>> 0;
    this.#notePing(timestamp);
    return timestamp;
  }

  /** The peer reported its tick. */
  noteRemoteTick(tick: number, now: number): void {
    this.#remoteTick = tick;
    this.#remoteTickAt = now;
  }

  /** The peer went silent past the notify threshold. */
  markInterrupted(): void {
    this.#interrupted = true;
  }

  /** Liveness starts over (after a start, a resume or a load): the peer counts as just heard. */
  resetLiveness(now: number): void {
    this.#lastRecvAt = now;
    this.#interrupted = false;
  }

  /** We sent our state to the peer. */
  noteSyncSent(now: number): void {
    this.#lastSyncSentAt = now;
  }

  /** Whether we sent our state to the peer less than `ms` ago. */
  syncSentWithin(now: number, ms: number): boolean {
    return now - this.#lastSyncSentAt < ms;
  }

  /** Remembers a ping we sent (the newest {@link PING_MEMORY} are kept). */
  #notePing(timestamp: number): void {
    this.#pings[this.#pingNext] = timestamp;
    this.#pingAnswered[this.#pingNext] = 0;
    this.#pingNext = (this.#pingNext + 1) % PING_MEMORY;
  }

  /**
   * Matches a pong to one of our recent pings.
   * @returns `'ok'` the first time a ping is answered, `'duplicate'` for a repeated answer,
   *   `'unknown'` when it answers no ping we remember (forged or very late).
   */
  takePing(timestamp: number): 'ok' | 'duplicate' | 'unknown' {
    for (let i = 0; i < PING_MEMORY; i++) {
      if (this.#pings[i] !== timestamp) continue;
      if (this.#pingAnswered[i] === 1) return 'duplicate';
      this.#pingAnswered[i] = 1;
      return 'ok';
    }
    return 'unknown';
  }

  /** Counts a message sent. */
  countSent(bytes: number, now: number): void {
    this.#bytesSent += bytes;
    this.#messagesSent++;
    this.#lastSendAt = now;
  }

  /**
   * Counts a message received; the peer is live again.
   * @returns Whether the link was interrupted until this message.
   */
  countReceived(bytes: number, now: number): boolean {
    this.#bytesReceived += bytes;
    this.#messagesReceived++;
    this.#lastRecvAt = now;
    this.#lastMessageAt = now;
    const wasInterrupted = this.#interrupted;
    this.#interrupted = false;
    return wasInterrupted;
  }

  /**
   * Folds an RTT sample into the smoothed RTT (first sample taken as is, then 1/8 weight) and
   * its deviation (1/4 weight).
   */
  addRttSample(sample: number): void {
    if (!this.#hasRtt) {
      this.#rtt = sample;
      this.#hasRtt = true;
    } else {
      this.#rttDeviation += (Math.abs(sample - this.#rtt) - this.#rttDeviation) / 4;
      this.#rtt += (sample - this.#rtt) / 8;
    }
  }

  /** Recomputes the per-second rates once at least a second passed since the last window. */
  rollWindow(now: number): void {
    const elapsed = now - this.#windowAt;
    if (elapsed < 1000) return;
    const scale = 1000 / elapsed;
    this.#bytesSentPerSecond = (this.#bytesSent - this.#windowBytesSent) * scale;
    this.#bytesReceivedPerSecond = (this.#bytesReceived - this.#windowBytesReceived) * scale;
    this.#messagesSentPerSecond = (this.#messagesSent - this.#windowMessagesSent) * scale;
    this.#messagesReceivedPerSecond =
      (this.#messagesReceived - this.#windowMessagesReceived) * scale;
    this.#windowBytesSent = this.#bytesSent;
    this.#windowBytesReceived = this.#bytesReceived;
    this.#windowMessagesSent = this.#messagesSent;
    this.#windowMessagesReceived = this.#messagesReceived;
    this.#windowAt = now;
  }

  /**
   * The peer's current tick, estimated from its last report, the time since and half the RTT.
   * @param now - The local clock.
   * @param ticksPerMs - The room's tick rate per millisecond.
   */
  estimateRemoteTick(now: number, ticksPerMs: number, maxSilenceMs = Infinity): number {
    if (this.#remoteTick < 0) return -1;
    // A peer we have not heard from for a while is not assumed to keep advancing.
    const elapsed = Math.min(now - this.#remoteTickAt, maxSilenceMs);
    return this.#remoteTick + (elapsed + this.#rtt / 2) * ticksPerMs;
  }

  stats(
    localTick: number,
    now: number,
    ticksPerMs: number,
    pendingInputs: number,
    maxSilenceMs = Infinity,
  ): NetworkStats {
    const remote = this.estimateRemoteTick(now, ticksPerMs, maxSilenceMs);
    const behind = remote < 0 ? 0 : Math.round(remote - localTick);
    return {
      rtt: this.#rtt,
      bytesSentPerSecond: this.#bytesSentPerSecond,
      bytesReceivedPerSecond: this.#bytesReceivedPerSecond,
      messagesSentPerSecond: this.#messagesSentPerSecond,
      messagesReceivedPerSecond: this.#messagesReceivedPerSecond,
      bytesSent: this.#bytesSent,
      bytesReceived: this.#bytesReceived,
      messagesSent: this.#messagesSent,
      messagesReceived: this.#messagesReceived,
      localFramesBehind: behind,
      remoteFramesBehind: -behind,
      pendingInputs,
    };
  }
}
