import { ByteReader } from './byte-reader';
import { readCount, readTick, readTickOrNone } from './decode';
import { DecodeError } from './errors';
import { copyBytes, readInputDeltaInto } from './input-delta';
import { resolveLimits } from './internal/resolve-limits';
import type { ProtocolLimits } from './limits';
import { MAX_ECHO_DELAY_MS, MAX_TICK, MessageType } from './messages';
import type { Tick } from './messages';

/** The largest unsigned 32-bit integer. */
const MAX_U32 = 0xffffffff;

/**
 * A reusable decoder for the hot messages, `Input` and `InputAck`: it decodes into typed arrays
 * and one byte slab it keeps from message to message, so receiving inputs allocates nothing per
 * input (no arrays, no run objects). The checks and errors are those of {@link decodeMessage};
 * a message is decoded whole before {@link InputView.read} returns, so a malformed one is
 * rejected before anything of it is used.
 *
 * Inputs are numbered across runs: run `r` holds inputs `runFirst[r]` to
 * `runFirst[r] + runCount[r] - 1`, for ticks from `runStart[r]`.
 *
 * @example
 * ```ts
 * const view = new InputView();
 * const error = view.read(bytes);
 * if (error === null) {
 *   for (let r = 0; r < view.runs; r++) {
 *     for (let i = 0; i < view.runCount[r]!; i++) {
 *       engine.addRemoteInput(playerOf(view.runSlot[r]!), view.runStart[r]! + i, view.input(view.runFirst[r]! + i));
 *     }
 *   }
 * }
 * ```
 */
export class InputView {
  /** The message type read last: `Input` or `InputAck`. */
  type: MessageType.Input | MessageType.InputAck = MessageType.InputAck;
  /** The sender's tick. */
  senderTick: Tick = 0;
  /** The sender's message counter, or -1 when the message has none. */
  seq = -1;
  /** Our `seq` the sender echoes (its newest from us), or -1 when the message has no echo. */
  echoSeq = -1;
  /** With {@link echoSeq}: how long the sender held it, in milliseconds. */
  echoDelay = 0;
  /** Acks in the message. */
  acks = 0;
  /** Per ack: its slot. */
  ackSlot: Uint8Array;
  /** Per ack: its tick (-1: none). */
  ackTick: Int32Array;
  /** Runs in the message (0 for an `InputAck`). */
  runs = 0;
  /** Per run: its slot. */
  runSlot: Uint8Array;
  /** Per run: the tick of its first input. */
  runStart: Int32Array;
  /** Per run: how many inputs it holds. */
  runCount: Int32Array;
  /** Per run: the number of its first input. */
  runFirst: Int32Array;
  #limits: Readonly<ProtocolLimits>;
  #slab = new Uint8Array(0);
  #lengths = new Int32Array(0);
  /** Per input, the slab slot holding its bytes: its own, or its predecessor's when equal. */
  #slots = new Int32Array(0);
  /** Per slab slot, a view of it (cached). */
  #views: (Uint8Array | undefined)[] = [];
  /** The length of each cached view in `views` (-1: none). */
  #viewLengths = new Int32Array(0);
  #stride: number;

  /** @param limits - Limits to enforce (any left out use {@link DEFAULT_LIMITS}). */
  constructor(limits?: Partial<ProtocolLimits>) {
    this.#limits = resolveLimits(limits);
    const players = this.#limits.maxPlayersPerMessage;
    this.ackSlot = new Uint8Array(players);
    this.ackTick = new Int32Array(players);
    this.runSlot = new Uint8Array(players);
    this.runStart = new Int32Array(players);
    this.runCount = new Int32Array(players);
    this.runFirst = new Int32Array(players);
    this.#stride = Math.max(1, this.#limits.maxInputBytes);
  }

  /**
   * Decodes an `Input` or `InputAck` message from untrusted bytes into this view (the previous
   * message's contents are gone).
   * @param bytes - One whole message.
   * @returns `null`, or the {@link DecodeError} (also for any other message type).
   */
  read(bytes: Uint8Array): DecodeError | null {
    const r = new ByteReader(bytes);
    const type = bytes[0];
    r.messageType = type;
    this.acks = 0;
    this.runs = 0;
    try {
      if (type !== MessageType.Input && type !== MessageType.InputAck) {
        r.fail(bytes.length === 0 ? 'empty message' : 'not an Input or InputAck message', 0);
      }
      r.pos = 1;
      this.type = type as MessageType.Input | MessageType.InputAck;
      this.senderTick = readTick(r, 'sender tick');
      this.#readAcks(r);
      if (type === MessageType.Input) this.#readRuns(r);
      this.seq = r.pos === r.end ? -1 : r.u8('seq');
      this.echoSeq = -1;
      if (r.pos !== r.end) {
        this.echoSeq = r.u8('echo seq');
        this.echoDelay = r.varint(MAX_ECHO_DELAY_MS, 'echo delay');
        if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the message`);
      }
    } catch (e) {
      this.acks = 0;
      this.runs = 0;
      this.seq = -1;
      this.echoSeq = -1;
      if (e instanceof DecodeError) return e;
      return new DecodeError(type, r.pos, `internal decoder error: ${String(e)}`);
    }
    return null;
  }

  /**
   * Input number `k` of the message: a view into the slab, valid until the next `read` (an
   * input that repeats the one before it in its run may be the same view).
   * @param k - From 0 to the last run's `runFirst + runCount - 1`.
   * @returns The input's bytes.
   */
  input(k: number): Uint8Array {
    const length = this.#lengths[k]!;
    const at = this.#slots[k]!;
    // The cached view's length is kept apart: reading a view's own `length` costs more here.
    if (this.#viewLengths[at] === length) return this.#views[at]!;
    const start = at * this.#stride;
    const view = this.#slab.subarray(start, start + length);
    this.#views[at] = view;
    this.#viewLengths[at] = length;
    return view;
  }

  #readAcks(r: ByteReader): void {
    const max = this.#limits.maxPlayersPerMessage;
    const n = readCount(r, max, 'maxPlayersPerMessage', 2, 'ack count');
    for (let i = 0; i < n; i++) {
      this.ackSlot[i] = r.u8('ack slot');
      this.ackTick[i] = readTickOrNone(r, 'ack tick');
    }
    this.acks = n;
  }

  #readRuns(r: ByteReader): void {
    const limits = this.#limits;
    const n = readCount(r, limits.maxPlayersPerMessage, 'maxPlayersPerMessage', 3, 'run count');
    const maxInput = limits.maxInputBytes;
    let next = 0;
    for (let i = 0; i < n; i++) {
      this.runSlot[i] = r.u8('run slot');
      const startTick = readTick(r, 'run start tick');
      const countAt = r.pos;
      const count = readCount(r, limits.maxInputsPerRun, 'maxInputsPerRun', 1, 'input count');
      if (count > 0 && startTick + count - 1 > MAX_TICK) {
        r.fail(`run from tick ${startTick} with ${count} inputs goes past tick 2^31 − 1`, countAt);
      }
      this.runStart[i] = startTick;
      this.runCount[i] = count;
      this.runFirst[i] = next;
      if (count > 0) {
        this.#reserve(next + count);
        const lenAt = r.pos;
        const len = r.varint(MAX_U32, 'input length');
        if (len > maxInput) {
          r.fail(`input of ${len} bytes is over maxInputBytes (${maxInput})`, lenAt);
        }
        r.need(len, 'input');
        const slab = this.#slab;
        const stride = this.#stride;
        const slots = this.#slots;
        const lengths = this.#lengths;
        const buf = r.buf;
        copyBytes(buf, r.pos, slab, next * stride, len);
        r.pos += len;
        lengths[next] = len;
        slots[next] = next;
        for (let k = next + 1; k < next + count; k++) {
          const prev = slots[k - 1]!;
          if (r.pos < r.end && buf[r.pos] === 0) {
            // Header 0, the input repeats the one before (most do): it shares its slab slot.
            r.pos++;
            slots[k] = prev;
            lengths[k] = lengths[k - 1]!;
            continue;
          }
          slots[k] = k;
          lengths[k] = readInputDeltaInto(
            r,
            slab,
            prev * stride,
            lengths[k - 1]!,
            k * stride,
            maxInput,
          );
        }
        next += count;
      }
      this.runs = i + 1;
    }
  }

  /** Makes room for `inputs` inputs (the slab grows, never shrinks). */
  #reserve(inputs: number): void {
    if (inputs <= this.#lengths.length) return;
    const capacity = Math.max(inputs, this.#lengths.length * 2, 16);
    const slab = new Uint8Array(capacity * this.#stride);
    slab.set(this.#slab);
    this.#slab = slab;
    const lengths = new Int32Array(capacity);
    lengths.set(this.#lengths);
    this.#lengths = lengths;
    const slots = new Int32Array(capacity);
    slots.set(this.#slots);
    this.#slots = slots;
    this.#views = [];
    this.#viewLengths = new Int32Array(capacity).fill(-1);
  }
}
