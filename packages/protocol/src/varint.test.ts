import { describe, expect, it } from 'vitest';
import { DecodeError } from './errors';
import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';

describe('LEB128 varints (ByteWriter.varint / ByteReader.varint)', () => {
  const cases: [number, number][] = [
    [0, 1],
    [127, 1],
    [128, 2],
    [16_383, 2],
    [16_384, 3],
    [2_097_151, 3],
    [2_097_152, 4],
    [268_435_455, 4],
    [268_435_456, 5],
    [2 ** 31 - 1, 5],
    [2 ** 32 - 1, 5],
  ];

  it.each(cases)('writes %i in %i bytes and reads it back', (value, size) => {
    const w = new ByteWriter(1);
    w.varint(value);
    expect(w.pos).toBe(size);
    const r = new ByteReader(w.finish());
    expect(r.varint(2 ** 32 - 1, 'v')).toBe(value);
    expect(r.pos).toBe(size);
  });

  it('rejects a value above the maximum the field allows, at the varint offset', () => {
    const w = new ByteWriter();
    w.u8(0xaa);
    w.varint(300);
    const r = new ByteReader(w.finish());
    r.pos = 1;
    expect(() => r.varint(299, 'count')).toThrow(
      expect.objectContaining({ offset: 1, reason: 'count 300 is over 299' }) as DecodeError,
    );
  });

  it('rejects a 5-byte varint whose value does not fit in 32 bits', () => {
    const r = new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x1f]));
    expect(() => r.varint(2 ** 32 - 1, 'v')).toThrow(DecodeError);
  });

  it('grows the writer buffer as needed and keeps what was written', () => {
    const w = new ByteWriter(2);
    for (let i = 0; i < 1000; i++) w.varint(i);
    const r = new ByteReader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.varint(1000, 'v')).toBe(i);
    expect(r.pos).toBe(r.end);
  });
});

describe('ByteWriter / ByteReader as a public toolkit', () => {
  it('grows from a zero-capacity buffer and view() shows the written bytes without copying', () => {
    const w = new ByteWriter(0);
    w.u8(7);
    w.varint(300);
    expect(Array.from(w.view())).toEqual([7, 0xac, 0x02]);
    expect(w.view().buffer).toBe(w.buf.buffer);
    expect(Array.from(w.finish())).toEqual([7, 0xac, 0x02]);
  });

  it('names its label, the offset and the reason in DecodeError messages when given a label', () => {
    const r = new ByteReader(new Uint8Array([1, 0x80]), 'replay');
    r.u8('version');
    const error = (() => {
      try {
        r.varint(10, 'event count');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).offset).toBe(1);
    expect((error as DecodeError).message).toBe(
      'cannot decode replay at byte 1: truncated: event count varint runs past the end',
    );
  });

  it('names the message type in DecodeError messages without a label', () => {
    const r = new ByteReader(new Uint8Array([]));
    r.messageType = 0x01;
    expect(() => r.u32('tick')).toThrow(
      'cannot decode message type 0x01 at byte 0: truncated: tick needs 4 bytes, 0 left',
    );
  });
});
