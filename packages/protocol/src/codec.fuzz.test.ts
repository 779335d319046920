import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode';
import { encodeMessage } from './encode';
import { DecodeError } from './errors';
import { anyMessage } from './internal/test-arbitraries';
import { MessageType } from './messages';

const SEED = 20_261_121;
const CASES = 120_000;

/** mulberry32: a small seeded PRNG, so every run feeds the decoder the same bytes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const typeBytes = Object.values(MessageType).filter((v) => typeof v === 'number');

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('decodeMessage (fuzz)', () => {
  it(`throws nothing but a well-formed DecodeError for ${CASES} random and mutated inputs (seed ${SEED})`, () => {
    const random = prng(SEED);
    const int = (n: number) => Math.floor(random() * n);
    // Valid messages to mutate; big states only make each case slower, not more interesting.
    const corpus = fc
      .sample(anyMessage, { seed: SEED, numRuns: 400 })
      .map((m) => encodeMessage(m))
      .filter((bytes) => bytes.length <= 512);
    const pick = () => corpus[int(corpus.length)]!;

    const problems: string[] = [];
    const counts = { rejected: 0, accepted: 0 };
    // Stack traces are most of the cost of a thrown error and say nothing here: skip them.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let i = 0; i < CASES && problems.length < 5; i++) {
        let bytes: Uint8Array;
        const strategy = i % 6;
        if (strategy === 0) {
          // Random bytes, usually behind a valid type byte.
          bytes = new Uint8Array(int(48));
          for (let j = 0; j < bytes.length; j++) bytes[j] = int(256);
          if (bytes.length > 0 && random() < 0.8) bytes[0] = typeBytes[int(typeBytes.length)]!;
        } else if (strategy === 1) {
          // Bit flips.
          bytes = pick().slice();
          const flips = 1 + int(4);
          for (let f = 0; f < flips && bytes.length > 0; f++) {
            const at = int(bytes.length);
            bytes[at] = bytes[at]! ^ (1 << int(8));
          }
        } else if (strategy === 2) {
          // Truncation.
          const src = pick();
          bytes = src.slice(0, int(src.length));
        } else if (strategy === 3) {
          // Splice: the head of one valid message and the tail of another.
          const a = pick();
          const b = pick();
          const head = a.subarray(0, int(a.length + 1));
          const tail = b.subarray(int(b.length + 1));
          bytes = new Uint8Array(head.length + tail.length);
          bytes.set(head);
          bytes.set(tail, head.length);
        } else if (strategy === 4) {
          // Overwrite a few bytes with values that stress varints and lengths.
          bytes = pick().slice();
          const hits = 1 + int(3);
          for (let h = 0; h < hits && bytes.length > 1; h++) {
            bytes[1 + int(bytes.length - 1)] = [0x00, 0x7f, 0x80, 0xff, 0x40, 0x01][int(6)]!;
          }
        } else {
          // Insert or delete a byte, or append garbage.
          const src = pick();
          const at = int(src.length + 1);
          const r = int(3);
          if (r === 0) {
            bytes = new Uint8Array(src.length + 1);
            bytes.set(src.subarray(0, at));
            bytes[at] = int(256);
            bytes.set(src.subarray(at), at + 1);
          } else if (r === 1 && src.length > 0) {
            bytes = new Uint8Array(src.length - 1);
            bytes.set(src.subarray(0, Math.min(at, src.length - 1)));
            bytes.set(src.subarray(Math.min(at, src.length - 1) + 1), Math.min(at, src.length - 1));
          } else {
            bytes = new Uint8Array(src.length + 1 + int(4));
            bytes.set(src);
          }
        }

        try {
          const msg = decodeMessage(bytes);
          counts.accepted++;
          // Whatever the decoder accepts must be a valid message: it encodes, and round-trips.
          const again = decodeMessage(encodeMessage(msg));
          if (JSON.stringify(again, replacer) !== JSON.stringify(msg, replacer)) {
            problems.push(
              `case ${i}: ${toHex(bytes)} decoded to a message that does not round-trip`,
            );
          }
        } catch (e) {
          counts.rejected++;
          if (!(e instanceof DecodeError)) {
            problems.push(`case ${i}: ${toHex(bytes)} threw ${String(e)}`);
          } else if (
            e.messageType !== (bytes.length === 0 ? undefined : bytes[0]) ||
            !Number.isInteger(e.offset) ||
            e.offset < 0 ||
            e.offset > bytes.length ||
            e.reason.length === 0 ||
            e.reason.startsWith('internal') ||
            e.code !== 'DECODE_ERROR'
          ) {
            problems.push(
              `case ${i}: ${toHex(bytes)} gave a malformed DecodeError ` +
                `(type ${e.messageType}, offset ${e.offset}, reason ${e.reason})`,
            );
          }
        }
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    expect(problems, `fuzz seed ${SEED}`).toEqual([]);
    expect(counts.accepted + counts.rejected).toBe(CASES);
    // The mutations must mostly produce bad bytes, or the fuzz test tests nothing.
    expect(counts.rejected).toBeGreaterThan(CASES / 2);
  });
});

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Object.is(value, -0)) return '-0';
  return value;
}
