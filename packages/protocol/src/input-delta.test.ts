import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { DecodeError } from './errors';
import { readInputDelta, writeInputDelta } from './input-delta';

function roundTrip(prev: number[], cur: number[]): { bytes: Uint8Array; back: Uint8Array } {
  const w = new ByteWriter(8);
  writeInputDelta(w, Uint8Array.from(prev), Uint8Array.from(cur));
  const bytes = w.finish();
  const r = new ByteReader(bytes);
  const back = readInputDelta(r, Uint8Array.from(prev), 64);
  expect(r.pos).toBe(bytes.length);
  return { bytes, back };
}

describe('input delta', () => {
  it('writes an unchanged input as the single byte 0', () => {
    const { bytes, back } = roundTrip([1, 2, 3], [1, 2, 3]);
    expect([...bytes]).toEqual([0]);
    expect([...back]).toEqual([1, 2, 3]);
  });

  it('round-trips inputs that grow, shrink and change against any base', () => {
    const cases: [number[], number[]][] = [
      [[], [5, 0, 7]],
      [
        [1, 2, 3, 4],
        [1, 2],
      ],
      [
        [1, 0],
        [1, 2],
      ],
      [new Array<number>(32).fill(9), [...new Array<number>(31).fill(9), 1]],
    ];
    for (const [prev, cur] of cases) expect([...roundTrip(prev, cur).back]).toEqual(cur);
  });

  it('costs 5 bytes for one changed byte of a 32-byte input', () => {
    const prev = new Array<number>(32).fill(0);
    const cur = prev.slice();
    cur[10] = 1;
    expect(roundTrip(prev, cur).bytes.length).toBe(5);
  });

  it('rejects an input longer than maxInput before allocating it', () => {
    const w = new ByteWriter(8);
    w.varint(2 * 1000 + 2);
    expect(() => readInputDelta(new ByteReader(w.finish()), new Uint8Array(0), 64)).toThrow(
      DecodeError,
    );
  });
});
