import { ByteWriter } from './byte-writer';
import { RbnError } from './errors';
import { writeInputDelta } from './input-delta';
import { DEFAULT_LIMITS } from './limits';
import { MAX_ECHO_DELAY_MS, MAX_TICK, MessageType } from './messages';
import type { Tick } from './messages';

const EMPTY = new Uint8Array(0);

/**
 * A reusable encoder for the hot messages, `Input` and `InputAck`, written field by field from
 * the sender's own buffers: no message object, no run objects, no input arrays. The bytes are
 * those {@link encodeMessage} writes for the same message. The sender's data is trusted (its own
 * inputs and acks), so only the limits the receiver enforces are checked; a violation throws
 * `RbnError` `'ENCODE_ERROR'` (a caller bug).
 *
 * Call order: {@link begin}, {@link ack} per ack, then for an `Input` {@link run} per run with
 * {@link input} per input, and {@link finish}.
 * @example
 * ```ts
 * const w = new InputWriter();
 * w.begin(MessageType.Input, 102);
 * w.ack(0, 101);
 * w.run(1, 100, 2);
 * w.input(new Uint8Array([1, 0]));
 * w.input(new Uint8Array([1, 2]));
 * const bytes = w.finish(7);
 * ```
 */
export class InputWriter {
  readonly #w = new ByteWriter(256);
  #type: MessageType = MessageType.InputAck;
  #ackCountAt = 0;
  #acks = 0;
  #runCountAt = -1;
  #runs = 0;
  #left = 0;
  #prev: Uint8Array = EMPTY;
  #first = false;
  /** Views of the buffer `viewsOf` by length, for {@link finish} with `shared`. */
  #views: Uint8Array[] = [];
  #viewsOf: Uint8Array | null = null;

  /**
   * Starts a message.
   * @param type - `Input` or `InputAck`.
   * @param senderTick - The sender's current tick.
   */
  begin(type: MessageType.Input | MessageType.InputAck, senderTick: Tick): void {
    const w = this.#w;
    w.reset();
    this.#type = type;
    w.u8(type);
    w.varint(checkTick(senderTick, 'senderTick'));
    // Counts are at most maxPlayersPerMessage (64): one varint byte, patched in later.
    this.#ackCountAt = w.pos;
    w.u8(0);
    this.#acks = 0;
    this.#runCountAt = -1;
    this.#runs = 0;
    this.#left = 0;
  }

  /**
   * Adds an ack: every input of `slot` up to `tick` arrived.
   * @param slot - 0–255.
   * @param tick - The tick, or -1 for none.
   */
  ack(slot: number, tick: Tick): void {
    if (this.#runCountAt >= 0 || this.#acks >= DEFAULT_LIMITS.maxPlayersPerMessage) {
      throw fail(`ack after the runs began or over maxPlayersPerMessage`);
    }
    this.#w.u8(slot);
    this.#w.varint(tick === -1 ? 0 : checkTick(tick, 'ack tick') + 1);
    this.#acks++;
  }

  /**
   * Starts a run of `count` inputs of `slot` from `startTick` (an `Input` only); give them
   * with {@link input}.
   */
  run(slot: number, startTick: Tick, count: number): void {
    const w = this.#w;
    if (this.#type !== MessageType.Input || this.#left !== 0) {
      throw fail('run in an InputAck, or before the last run was complete');
    }
    if (this.#runs >= DEFAULT_LIMITS.maxPlayersPerMessage) {
      throw fail('more runs than maxPlayersPerMessage');
    }
    if (count < 0 || count > DEFAULT_LIMITS.maxInputsPerRun) {
      throw fail(`run of ${count} inputs is over maxInputsPerRun`);
    }
    if (count > 0) checkTick(startTick + count - 1, 'run last tick');
    if (this.#runCountAt < 0) {
      this.#runCountAt = w.pos;
      w.u8(0);
    }
    w.u8(slot);
    w.varint(checkTick(startTick, 'run start tick'));
    w.varint(count);
    this.#runs++;
    this.#left = count;
    this.#first = true;
  }

  /** The next input of the current run (a view is fine: it is written at once). */
  input(input: Uint8Array): void {
    if (this.#left <= 0) throw fail('more inputs than the run announced');
    if (input.length > DEFAULT_LIMITS.maxInputBytes) {
      throw fail(`input of ${input.length} bytes is over maxInputBytes`);
    }
    const w = this.#w;
    if (this.#first) {
      w.varint(input.length);
      w.bytes(input);
      this.#first = false;
    } else {
      writeInputDelta(w, this.#prev, input);
    }
    this.#prev = input;
    this.#left--;
  }

  /**
   * The rest of the current run after its first input: `count` inputs already encoded as
   * {@link input} encodes them (each against the one before), `bytes[start, end)`.
   */
  encoded(count: number, bytes: Uint8Array, start: number, end: number): void {
    if (this.#first || count !== this.#left) throw fail('encoded inputs not ending the run');
    const w = this.#w;
    w.ensure(end - start);
    // A local cursor: storing `w.pos` on every byte costs more than the copy.
    const b = w.buf;
    let p = w.pos;
    for (let i = start; i < end; i++) b[p++] = bytes[i]!;
    w.pos = p;
    this.#left = 0;
  }

  /**
   * Ends the message.
   * @param seq - The message counter (0–255), or -1 to leave it out.
   * @param shared - Return a view of the writer's own buffer instead of a copy: valid until
   *   the next {@link begin} (enough to hand to a transport, which copies or sends at once).
   *   A later message of the same length may come back as the same view object.
   * @param echoSeq - The echo's `seq` (0–255, only with `seq`), or -1 to leave it out.
   * @param echoDelay - With `echoSeq`: how long it was held, in milliseconds.
   * @returns The message's bytes: a new array, or with `shared` the writer's view.
   */
  finish(seq: number, shared = false, echoSeq = -1, echoDelay = 0): Uint8Array {
    if (this.#left !== 0) throw fail('the last run is missing inputs');
    const w = this.#w;
    w.buf[this.#ackCountAt] = this.#acks;
    if (this.#type === MessageType.Input) {
      if (this.#runCountAt < 0) w.u8(0);
      else w.buf[this.#runCountAt] = this.#runs;
    }
    if (seq >= 0) w.u8(seq & 0xff);
    if (echoSeq >= 0) {
      if (seq < 0 || !(echoDelay >= 0 && echoDelay <= MAX_ECHO_DELAY_MS)) {
        throw fail(`an echo needs a seq and a delay of 0–${MAX_ECHO_DELAY_MS} ms`);
      }
      w.u8(echoSeq & 0xff);
      w.varint(Math.floor(echoDelay));
    }
    this.#prev = EMPTY;
    if (!shared) return w.finish();
    // A view per message length, made once per buffer: a new view per message cost more than
    // the rest of `finish` (messages come in a handful of lengths).
    if (this.#viewsOf !== w.buf) {
      this.#viewsOf = w.buf;
      this.#views = [];
    }
    return (this.#views[w.pos] ??= w.view());
  }
}

function fail(problem: string): RbnError {
  return new RbnError('ENCODE_ERROR', `InputWriter: ${problem}`);
}

function checkTick(tick: Tick, what: string): Tick {
  if (!Number.isInteger(tick) || tick < 0 || tick > MAX_TICK) {
    throw fail(`${what} ${tick} is not a tick (0 to 2^31 − 1)`);
  }
  return tick;
}
