import { RbnError } from '../errors';

const utf8 = new TextEncoder();

/**
 * A growable byte buffer the encoder writes into. One instance is reused for every message, so
 * encoding allocates nothing but the final, exactly sized copy (`finish`).
 */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Starts a new message. */
  reset(): void {
    this.pos = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Returns a copy of the bytes written since `reset`. */
  finish(): Uint8Array {
    const n = this.pos;
    if (n > 64) return this.buf.slice(0, n);
    // Small messages: a plain loop beats `slice`.
    const out = new Uint8Array(n);
    const b = this.buf;
    for (let i = 0; i < n; i++) out[i] = b[i]!;
    return out;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** A 32-bit unsigned integer, little-endian. */
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

  /** A 64-bit IEEE 754 float, little-endian. */
  f64(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength).setFloat64(
      this.pos,
      v,
      true,
    );
    this.pos += 8;
  }

  /** An unsigned LEB128 varint of an integer in [0, 2^32). */
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
   * A UTF-8 string prefixed by its byte length as a varint.
   * `field`, `index` and `suffix` name the field (`players[2].peerId`) in an error; the name is
   * only built when one is thrown.
   */
  string(s: string, maxBytes: number, field: string, index = -1, suffix = ''): void {
    if (typeof s !== 'string') {
      throw stringError(field, index, suffix, `must be a string, got ${String(s)}`);
    }
    if (hasLoneSurrogate(s)) {
      throw stringError(field, index, suffix, 'is not well-formed Unicode (lone surrogate)');
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
          throw stringError(
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
      throw stringError(
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

function stringError(field: string, index: number, suffix: string, problem: string): RbnError {
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
