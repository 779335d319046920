import type { ByteReader } from './byte-reader';
import { copyOf } from './byte-reader';
import type { ByteWriter } from './byte-writer';

/**
 * The input-delta format shared by the wire codec (each input after the first of an `Input` run)
 * and the session's replay format: one varint header, then XOR/RLE tokens or raw bytes. See the
 * package README's "Input deltas" for the layout byte by byte.
 */

/** The largest unsigned 32-bit integer. */
const MAX_U32 = 0xffffffff;
/** A delta token covers 1–64 bytes (6 bits of length − 1). */
const MAX_TOKEN_RUN = 64;

/** Bytes a varint of `v` takes. */
function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Byte `i` of `cur` XOR byte `i` of `prev`, where `prev` reads as 0 past its end. */
function xorAt(cur: Uint8Array, prev: Uint8Array, i: number): number {
  return cur[i]! ^ (i < prev.length ? prev[i]! : 0);
}

/**
 * Writes `cur` as an input delta against `prev` (header `0` when equal, else XOR/RLE tokens, or
 * the raw bytes when that is no larger). `prev` reads as zero past its end, so any earlier input
 * (or an empty array, for the first one) works as the base.
 *
 * @param w - The writer to append to.
 * @param prev - The previous input (the base of the delta).
 * @param cur - The input to write.
 * @example
 * ```ts
 * const w = new ByteWriter(16);
 * writeInputDelta(w, new Uint8Array([1, 0]), new Uint8Array([1, 2]));
 * const back = readInputDelta(new ByteReader(w.finish()), new Uint8Array([1, 0]), 64); // [1, 2]
 * ```
 */
export function writeInputDelta(w: ByteWriter, prev: Uint8Array, cur: Uint8Array): void {
  const len = cur.length;
  if (len === prev.length) {
    let same = true;
    for (let j = 0; j < len; j++) {
      if (cur[j] !== prev[j]) {
        same = false;
        break;
      }
    }
    if (same) {
      w.u8(0);
      return;
    }
  }
  // Worst case: header (≤ 5) + one token per byte + every byte literal.
  w.ensure(5 + 2 * len);
  const start = w.pos;
  w.varint(2 * len + 1);
  const b = w.buf;
  let p = w.pos;
  let j = 0;
  while (j < len) {
    // A token covers up to 64 bytes whose XOR is all zero (unchanged) or all non-zero (literal).
    const zero = xorAt(cur, prev, j) === 0;
    let k = 1;
    while (k < MAX_TOKEN_RUN && j + k < len && (xorAt(cur, prev, j + k) === 0) === zero) k++;
    if (zero) {
      b[p++] = (k - 1) << 1;
    } else {
      b[p++] = ((k - 1) << 1) | 1;
      for (let m = 0; m < k; m++) b[p++] = xorAt(cur, prev, j + m);
    }
    j += k;
  }
  const rawHeader = 2 * len + 2;
  const rawCost = varintSize(rawHeader) + len;
  if (p - start >= rawCost) {
    // Raw is no larger: write the input as it is.
    w.pos = start;
    w.varint(rawHeader);
    w.bytes(cur);
  } else {
    w.pos = p;
  }
}

/**
 * Reads one input delta written by {@link writeInputDelta} from untrusted bytes: the length is
 * checked against `maxInput` before anything is allocated, tokens may not run past the input,
 * and reserved token bytes are rejected.
 *
 * @param r - The reader, positioned at the delta's header.
 * @param prev - The previous input (the base of the delta).
 * @param maxInput - The largest input length accepted, in bytes.
 * @returns The input, as a new array owned by the caller.
 * @throws DecodeError (through `r.fail`) for a malformed or over-limit delta.
 */
export function readInputDelta(r: ByteReader, prev: Uint8Array, maxInput: number): Uint8Array {
  const at = r.pos;
  const h = r.varint(MAX_U32, 'input header');
  if (h === 0) return copyOf(prev, 0, prev.length);
  // Even header 2n + 2: n raw bytes follow. Odd header 2n + 1: XOR/RLE tokens for n bytes follow.
  const isRaw = (h & 1) === 0;
  const n = isRaw ? (h - 2) / 2 : (h - 1) / 2;
  if (n > maxInput) r.fail(`input of ${n} bytes is over maxInputBytes (${maxInput})`, at);
  if (isRaw) return r.bytes(n, 'input');
  const out = new Uint8Array(n);
  out.set(n < prev.length ? prev.subarray(0, n) : prev);
  readXorTokens(r, out, 0, n);
  return out;
}

/**
 * Reads the XOR/RLE tokens of a delta covering `n` bytes and XORs them into `out` from `at`
 * (which holds the previous input, zero past its end).
 */
function readXorTokens(r: ByteReader, out: Uint8Array, at: number, n: number): void {
  const b = r.buf;
  let j = 0;
  while (j < n) {
    const tokenAt = r.pos;
    const t = r.u8('delta token');
    if (t >= 0x80) r.fail(`delta token 0x${t.toString(16)} has its reserved high bit set`, tokenAt);
    const k = (t >> 1) + 1;
    if (k > n - j) r.fail(`delta token covers ${k} bytes but only ${n - j} remain`, tokenAt);
    if ((t & 1) === 1) {
      r.need(k, 'delta literal');
      const p = r.pos;
      for (let m = 0; m < k; m++) out[at + j + m]! ^= b[p + m]!;
      r.pos = p + k;
    }
    j += k;
  }
}

/**
 * Copies `n` bytes from `src` at `from` to `dst` at `to` (the ranges may be in one array, as
 * long as they do not overlap); a plain loop beats `set` or `copyWithin` for the usual tiny
 * inputs, and allocates no subarray.
 * @internal
 */
export function copyBytes(
  src: Uint8Array,
  from: number,
  dst: Uint8Array,
  to: number,
  n: number,
): void {
  if (n > 16) {
    dst.set(src.subarray(from, from + n), to);
    return;
  }
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

/**
 * {@link readInputDelta} into a slab instead of a new array: the previous input is
 * `slab[prevAt, prevAt + prevLength)`, the new one is written at `at` (the caller makes room
 * for `maxInput` bytes there). Same checks and errors.
 * @returns The new input's length.
 * @internal
 */
export function readInputDeltaInto(
  r: ByteReader,
  slab: Uint8Array,
  prevAt: number,
  prevLength: number,
  at: number,
  maxInput: number,
): number {
  const headerAt = r.pos;
  const h = r.varint(MAX_U32, 'input header');
  if (h === 0) {
    copyBytes(slab, prevAt, slab, at, prevLength);
    return prevLength;
  }
  const isRaw = (h & 1) === 0;
  const n = isRaw ? (h - 2) / 2 : (h - 1) / 2;
  if (n > maxInput) r.fail(`input of ${n} bytes is over maxInputBytes (${maxInput})`, headerAt);
  if (isRaw) {
    r.need(n, 'input');
    copyBytes(r.buf, r.pos, slab, at, n);
    r.pos += n;
    return n;
  }
  const keep = Math.min(n, prevLength);
  copyBytes(slab, prevAt, slab, at, keep);
  slab.fill(0, at + keep, at + n);
  readXorTokens(r, slab, at, n);
  return n;
}
