import { DecodeError } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { diffBytes, diffStates, diffViews } from './desync-diff';
import { decodeIncident, encodeIncident } from './replay/incident';

describe('diffBytes', () => {
  it('lists runs of differing bytes and a length difference as a run at the end', () => {
    const a = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const b = Uint8Array.from([1, 9, 9, 4, 5, 7, 8, 8]);
    expect(diffBytes(a, b)).toEqual({
      ranges: [
        { start: 1, end: 3 },
        { start: 5, end: 6 },
        { start: 6, end: 8 },
      ],
      truncated: false,
    });
    expect(diffBytes(a, a)).toEqual({ ranges: [], truncated: false });
  });

  it('stops at the cap and says so', () => {
    const a = new Uint8Array(10);
    const b = Uint8Array.from([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    expect(diffBytes(a, b, 2)).toEqual({
      ranges: [
        { start: 0, end: 1 },
        { start: 2, end: 3 },
      ],
      truncated: true,
    });
  });
});

describe('diffViews', () => {
  it('names differing leaves by path, with missing keys and odd key names', () => {
    const local = { players: [{ x: 10, y: 1 }, { x: 10 }], 'a b': true, only: 1 };
    const remote = { players: [{ x: 10, y: 1 }, { x: 17 }], 'a b': false };
    expect(diffViews(local, remote).paths.map((p) => p.text)).toEqual([
      'players[1].x: 10 → 17',
      '["a b"]: true → false',
      'only: 1 → —',
    ]);
  });

  it('treats typed arrays as lists and stops at the cap', () => {
    const { paths, truncated } = diffViews(Int32Array.from([1, 2, 3]), [0, 0, 0], 2);
    expect(paths.map((p) => p.path)).toEqual(['[0]', '[1]']);
    expect(truncated).toBe(true);
  });

  it('gives paths: null when describe throws', () => {
    const diff = diffStates(new Uint8Array([1]), new Uint8Array([2]), () => {
      throw new Error('bad state');
    });
    expect(diff.paths).toBeNull();
    expect(diff.byteRanges).toEqual([{ start: 0, end: 1 }]);
  });
});

describe('incident files', () => {
  const incident = {
    tick: 120,
    localHash: 0xdeadbeef,
    remoteHash: 7,
    peerId: 'host',
    replay: Uint8Array.from([1, 2, 3]),
    localState: Uint8Array.from([4, 5]),
    remoteState: Uint8Array.from([6]),
  };

  it('round-trips', () => {
    expect(decodeIncident(encodeIncident(incident))).toEqual({ version: 1, ...incident });
  });

  it('rejects truncated, trailing, foreign and over-limit bytes with a DecodeError', () => {
    const bytes = encodeIncident(incident);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeIncident(bytes.subarray(0, n))).toThrow(DecodeError);
    }
    expect(() => decodeIncident(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/);
    expect(() => decodeIncident(Uint8Array.from([0x52, 0x42, 0x4e, 0x52, 1]))).toThrow(/RBNI/);
    expect(() => decodeIncident(bytes, { maxStateBytes: 1 })).toThrow(/local state/);
  });
});
