import { RbnError } from './errors';

const utf8 = new TextEncoder();

/**
 * A growable byte buffer that writes the primitives of rbn's binary formats: bytes, little-endian
 * `u32` and `f64`, unsigned LEB128 varints, raw bytes and length-prefixed UTF-8 strings. The
 * message codec reuses one instance for every message, so encoding allocates nothing but the
 * final, exactly sized copy ({@link ByteWriter.finish}); other formats (such as `@rbn/session`'s
 * replays) use it the same way, so every rbn format encodes these primitives identically.
 *
 * Writes never fail for lack of room: the buffer doubles as needed. For a custom encoding, call
 * {@link ByteWriter.ensure} and then store into `buf` at `pos` directly.
 * @example
 * ```ts
 * const w = new ByteWriter(64);
 * w.u8(1);
 * w.varint(300);
 * w.string('alice', 256, 'playerId');
 * const bytes = w.finish(); // Uint8Array [1, 172, 2, 5, 97, 108, 105, 99, 101]
 * ```
 */
export class ByteWriter {
  /** The underlying buffer; bytes `[0, pos)` are written. Replaced (grown) by `ensure`. */
  buf: Uint8Array;
  /** The number of bytes written since construction or the last `reset`: the next write offset. */
  pos = 0;

  /**
   * @param initialCapacity - The initial buffer size in bytes; it grows by doubling.
   * @defaultValue 1024
   */
  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Starts over: forgets the bytes written (keeps the buffer). */
  reset(): void {
    this.pos = 0;
  }

  /**
   * Makes room for `n` more bytes after `pos` (growing `buf`), so that `n` bytes can be stored
   * into `buf` directly.
   * @param n - The number of bytes about to be written.
   */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, 16);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /**
   * Copies out the bytes written since construction or `reset`.
   * @returns A new, exactly sized array that later writes do not change.
   */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /**
   * The bytes written since construction or `reset`, without copying.
   * @returns A view into `buf`; it is only valid until the next write or `reset`.
   */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Writes one byte.
   * @param v - An integer in [0, 255].
   */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /**
   * Writes a 32-bit unsigned integer, little-endian (4 bytes).
   * @param v - An integer in [0, 2^32); only its low 32 bits are written.
   */
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v & 0xff;
    b[p++] = (v >>> 8) & 0xff;
    b[p++] = (v >>> 16) & 0xff;
    b[p++] = (v >>> 24) & 0xff;
    this.pos = p;
  }

  /**
   * Writes a 64-bit IEEE 754 float, little-endian (8 bytes).
   * @param v - Any number.
   */
  f64(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength).setFloat64(
      this.pos,
      v,
      true,
    );
    this.pos += 8;
  }

  /**
   * Writes an unsigned LEB128 varint: 7 bits per byte, least significant first, the high bit set
   * on every byte but the last (1 to 5 bytes).
   * @param v - An integer in [0, 2^35).
   */
  varint(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[p++] = v;
    this.pos = p;
  }

  /**
   * Writes bytes as they are (no length prefix).
   * @param src - The bytes to append.
   */
  bytes(src: Uint8Array): void {
    const n = src.length;
    this.ensure(n);
    if (n > 64) {
      this.buf.set(src, this.pos);
      this.pos += n;
      return;
    }
    // A few bytes (an input): a plain loop is much cheaper than `set`.
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = src[i]!;
    this.pos = p;
  }

  /**
   * Writes a string as its UTF-8 byte length (a varint) followed by the UTF-8 bytes.
   * `field`, `index` and `suffix` name the field (`players[2].peerId`) in an error; the name is
   * only built when one is thrown.
   * @param s - The string; it must be well-formed Unicode (no lone surrogate).
   * @param maxBytes - The most UTF-8 bytes allowed.
   * @param field - The field name for errors, such as `'players'`.
   * @param index - An index shown after `field` (`players[2]`), or -1 for none.
   * @param suffix - Text shown after the index, such as `'.peerId'`.
   * @throws RbnError `'ENCODE_ERROR'` naming the field if `s` is not a string, has a lone
   * surrogate or is over `maxBytes`.
   */
  string(s: string, maxBytes: number, field: string, index = -1, suffix = ''): void {
    if (typeof s !== 'string') {
      throw encodeFieldError(field, index, suffix, `must be a string, got ${String(s)}`);
    }
    if (hasLoneSurrogate(s)) {
      throw encodeFieldError(field, index, suffix, 'is not well-formed Unicode (lone surrogate)');
    }
    // Fast path: ASCII-only strings of under 128 bytes (the usual ids).
    const n = s.length;
    if (n < 0x80) {
      this.ensure(1 + n);
      const b = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === n) {
        if (n > maxBytes) {
          throw encodeFieldError(
            field,
            index,
            suffix,
            `${n} UTF-8 bytes is over maxStringBytes (${maxBytes})`,
          );
        }
        b[this.pos] = n;
        this.pos = start + n;
        return;
      }
    }
    const encoded = utf8.encode(s);
    if (encoded.length > maxBytes) {
      throw encodeFieldError(
        field,
        index,
        suffix,
        `${encoded.length} UTF-8 bytes is over maxStringBytes (${maxBytes})`,
      );
    }
    this.varint(encoded.length);
    this.bytes(encoded);
  }
}

/**
 * The `ENCODE_ERROR` for one field. Field paths such as `Input.runs[2].startTick` are built only
 * here, when an error is thrown: the hot path passes the parts (`'Input.runs'`, `2`,
 * `'.startTick'`) and never concatenates strings.
 * @param field - The field name, such as `'Input.runs'`.
 * @param index - An index shown after `field`, or -1 for none.
 * @param suffix - Text shown after the index, such as `'.startTick'`.
 * @param problem - What is wrong with the value.
 * @returns The error to throw.
 */
export function encodeFieldError(
  field: string,
  index: number,
  suffix: string,
  problem: string,
): RbnError {
  const name = index < 0 ? `${field}${suffix}` : `${field}[${index}]${suffix}`;
  return new RbnError('ENCODE_ERROR', `cannot encode ${name}: ${problem}`);
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return true;
    const next = s.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}
