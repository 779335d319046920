import { DecodeError } from '../errors';

// ignoreBOM keeps a leading U+FEFF as part of the string, so strings round-trip exactly.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A bounds-checked cursor over untrusted bytes. Every read checks the remaining length first and
 * throws a {@link DecodeError} (naming the message type and offset) instead of reading past the end.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  /** The type byte of the message being read, for error reports. */
  messageType: number | undefined;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.messageType = undefined;
  }

  /** Throws a DecodeError at the current offset (or at `offset`). */
  fail(reason: string, offset: number = this.pos): never {
    throw new DecodeError(this.messageType, offset, reason);
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      this.fail(`truncated: ${what} needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.fail(`truncated: ${what} needs 1 byte, 0 left`);
    return this.buf[this.pos++]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

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
   * An unsigned LEB128 varint of at most 5 bytes whose value is at most `max` (≤ 2^32 − 1).
   * Overlong encodings (a final 0x00 byte after a continuation) are rejected, so every value has
   * exactly one encoding.
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

  /** A copy of the next `n` bytes. */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return copyOf(this.buf, p, n);
  }

  /** A varint byte length (at most `maxBytes`, the `maxStringBytes` limit) followed by that many bytes of valid UTF-8. */
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
