import { DecodeError } from '@rbn/protocol';

const utf8Encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as part of the string, so ids round-trip exactly.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A growable byte buffer for the replay encoder. */
export class ReplayWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, 16);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** A 32-bit unsigned integer, little-endian. */
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    b[p + 2] = (v >>> 16) & 0xff;
    b[p + 3] = (v >>> 24) & 0xff;
    this.pos = p + 4;
  }

  /** An unsigned LEB128 varint of a non-negative integer below 2^35 (callers keep it ≤ 2^32). */
  varint(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    let x = v;
    while (x >= 0x80) {
      b[p++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    b[p++] = x;
    this.pos = p;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** A varint byte length followed by the UTF-8 bytes. */
  string(s: string): void {
    const encoded = utf8Encoder.encode(s);
    this.varint(encoded.length);
    this.bytes(encoded);
  }

  /** The bytes written so far (a view; copy before writing more). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** A bounds-checked cursor over an untrusted replay blob; every failure is a DecodeError. */
export class ReplayReader {
  pos = 0;
  private readonly end: number;

  constructor(private readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  /** Throws a DecodeError whose message names the replay, the offset and the reason. */
  fail(reason: string, offset: number = this.pos): never {
    const error = new DecodeError(undefined, offset, reason);
    error.message = `cannot decode replay at byte ${offset}: ${reason}`;
    throw error;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

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

  /** An unsigned LEB128 varint of at most 5 bytes, at most `max`; overlong encodings rejected. */
  varint(max: number, what: string): number {
    const start = this.pos;
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail(`truncated: ${what} varint runs past the end`, start);
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) this.fail(`${what} varint is overlong`, start);
        if (result > max) this.fail(`${what} ${result} is over ${max}`, start);
        return result;
      }
      shift *= 0x80;
    }
    return this.fail(`${what} varint is longer than 5 bytes`, start);
  }

  /** `n` bytes as a view into the blob (bounds-checked). */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const view = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return view;
  }

  string(maxBytes: number, what: string): string {
    const start = this.pos;
    const n = this.varint(maxBytes, `${what} length`);
    const raw = this.bytes(n, what);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, start);
    }
  }
}
