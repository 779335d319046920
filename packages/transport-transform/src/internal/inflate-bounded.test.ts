import { deflate } from 'pako';
import { describe, expect, it } from 'vitest';
import { deflateBomb } from './deflate-bomb';
import { inflateBounded } from './inflate-bounded';

describe('inflateBounded', () => {
  it('stops a deflate bomb at the limit instead of inflating it whole', () => {
    const matches = 1_000_000; // inflates to 258 MB
    const bomb = deflateBomb(matches);
    expect(bomb.byteLength).toBeLessThan(2 * 1024 * 1024);
    let produced = 0;
    const result = inflateBounded(bomb, 1024 * 1024, (bytes) => (produced += bytes));
    expect(result).toMatchObject({ ok: false, code: 'inflate-too-large' });
    // at most one output chunk (64 KiB) past the limit was ever produced
    expect(produced).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
  });

  it('builds a valid bomb for the tests (inflated whole under a high enough limit)', () => {
    const result = inflateBounded(deflateBomb(1000), 1e6);
    expect(result.ok && result.bytes.byteLength).toBe(258_001);
    expect(result.ok && result.bytes.every((b) => b === 0)).toBe(true);
  });

  it('inflates a valid stream up to exactly the limit', () => {
    const data = new Uint8Array(100_000).map((_, i) => i % 7);
    const result = inflateBounded(deflate(data), 100_000);
    expect(result.ok && result.bytes.byteLength).toBe(100_000);
    expect(inflateBounded(deflate(data), 99_999)).toMatchObject({ ok: false });
  });

  it('rejects a truncated stream', () => {
    const packed = deflate(new Uint8Array(10_000).fill(3));
    expect(inflateBounded(packed.subarray(0, packed.byteLength - 3), 1e6)).toMatchObject({
      ok: false,
      code: 'inflate-failed',
    });
  });
});
