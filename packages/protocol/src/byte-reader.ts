import { DecodeError } from './errors';

// ignoreBOM keeps a leading U+FEFF as part of the string, so strings round-trip exactly.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A bounds-checked cursor over untrusted bytes, reading what {@link ByteWriter} writes. Every read
 * checks the remaining length first and throws a {@link DecodeError} (naming what was read, the
 * byte offset and the reason) instead of reading past the end; varints must be minimal and in
 * range, strings valid UTF-8 under a limit.
 *
 * The `what` argument of each read names the field in error messages (`'player count'`).
 * @example
 * ```ts
 * const r = new ByteReader(bytes, 'save file');
 * const version = r.u8('version');
 * const count = r.varint(100, 'entry count');
 * const name = r.string(256, 'name');
 * if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes`);
 * // errors read like: "cannot decode save file at byte 1: truncated: entry count varint runs past the end"
 * ```
 */
export class ByteReader {
  /** The bytes being read. */
  readonly buf: Uint8Array;
  /** The offset of the next byte to read; may be set to skip or rewind. */
  pos: number;
  /** The length of `buf`: reads stop there. */
  readonly end: number;
  /**
   * The type byte of the message being read, given to every {@link DecodeError} (the message
   * codec sets it after reading the type); `undefined` otherwise.
   */
  messageType: number | undefined;
  /** What the bytes are, for error messages (`'replay'`); see the constructor. */
  readonly label: string | undefined;

  /**
   * @param buf - The bytes to read (not copied; do not change them while reading).
   * @param label - What the bytes are, such as `'replay'`: errors then read
   * `cannot decode replay at byte N: reason`. Without it they name the message type, as for
   * wire messages.
   */
  constructor(buf: Uint8Array, label?: string) {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.messageType = undefined;
    this.label = label;
  }

  /**
   * Throws a {@link DecodeError} at the current offset (or at `offset`).
   * @param reason - Why the bytes are rejected; it becomes the error's `reason`.
   * @param offset - The byte offset to report (default: `pos`).
   * @returns Never; it always throws.
   */
  fail(reason: string, offset: number = this.pos): never {
    const error = new DecodeError(this.messageType, offset, reason);
    if (this.label !== undefined) {
      error.message = `cannot decode ${this.label} at byte ${offset}: ${reason}`;
    }
    throw error;
  }

  /**
   * Throws unless `n` more bytes are available.
   * @param n - The number of bytes about to be read.
   * @param what - The field, for the error message.
   */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      this.fail(`truncated: ${what} needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  /**
   * Reads one byte.
   * @param what - The field, for the error message.
   * @returns An integer in [0, 255].
   */
  u8(what: string): number {
    if (this.pos >= this.end) this.fail(`truncated: ${what} needs 1 byte, 0 left`);
    return this.buf[this.pos++]!;
  }

  /**
   * Reads a 32-bit unsigned integer, little-endian.
   * @param what - The field, for the error message.
   * @returns An integer in [0, 2^32).
   */
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /**
   * Reads a 64-bit IEEE 754 float, little-endian.
   * @param what - The field, for the error message.
   * @returns The number.
   */
  f64(what: string): number {
    this.need(8, what);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength).getFloat64(
      this.pos,
      true,
    );
    this.pos += 8;
    return v;
  }

  /**
   * Reads an unsigned LEB128 varint of at most 5 bytes whose value is at most `max`.
   * Overlong encodings (a final 0x00 byte after a continuation) are rejected, so every value has
   * exactly one encoding.
   * @param max - The largest value accepted (at most 2^35 − 1).
   * @param what - The field, for the error message.
   * @returns An integer in [0, max].
   */
  varint(max: number, what: string): number {
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 5; i++) {
      if (p >= this.end) this.fail(`truncated: ${what} varint runs past the end`, start);
      const byte = b[p++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) this.fail(`${what} varint is overlong`, start);
        if (result > max) this.fail(`${what} ${result} is over ${max}`, start);
        this.pos = p;
        return result;
      }
      shift *= 128;
    }
    return this.fail(`${what} varint is longer than 5 bytes`, start);
  }

  /**
   * Reads `n` bytes.
   * @param n - The number of bytes.
   * @param what - The field, for the error message.
   * @returns A copy of the next `n` bytes.
   */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return copyOf(this.buf, p, n);
  }

  /**
   * Reads a string written by {@link ByteWriter.string}: a varint byte length followed by that
   * many bytes of valid UTF-8.
   * @param maxBytes - The most UTF-8 bytes allowed (the `maxStringBytes` limit).
   * @param what - The field, for the error message.
   * @returns The string (a leading U+FEFF is kept).
   */
  string(maxBytes: number, what: string): string {
    const start = this.pos;
    const n = this.varint(0xffffffff, `${what} length`);
    if (n > maxBytes)
      this.fail(`${what} of ${n} bytes is over maxStringBytes (${maxBytes})`, start);
    this.need(n, what);
    const b = this.buf;
    const p = this.pos;
    // Fast path for ASCII.
    let ascii = n <= 1024;
    for (let i = 0; ascii && i < n; i++) {
      if (b[p + i]! >= 0x80) ascii = false;
    }
    let s: string;
    if (ascii) {
      s =
        n === 0 ? '' : String.fromCharCode.apply(null, b.subarray(p, p + n) as unknown as number[]);
    } else {
      try {
        s = utf8.decode(b.subarray(p, p + n));
      } catch {
        return this.fail(`${what} is not valid UTF-8`, start);
      }
    }
    this.pos = p + n;
    return s;
  }
}

/**
 * A copy of `n` bytes of `src` from `start`. Small copies use a plain loop: for the few bytes of
 * an input, creating the array and copying by hand is about twice as fast as `slice`.
 */
export function copyOf(src: Uint8Array, start: number, n: number): Uint8Array {
  if (n > 64) return src.slice(start, start + n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = src[start + i]!;
  return out;
}
