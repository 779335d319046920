import { describe, expect, it } from 'vitest';
import { SnapshotBuffer } from './snapshot-buffer';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('SnapshotBuffer', () => {
  it('returns a saved state and its hash by tick', () => {
    const buffer = new SnapshotBuffer(4);
    buffer.save(3, bytes(1, 2), 42);
    expect(buffer.has(3)).toBe(true);
    expect(buffer.get(3)).toEqual(bytes(1, 2));
    expect(buffer.getHash(3)).toBe(42);
    expect(buffer.get(2)).toBeUndefined();
    expect(buffer.getHash(2)).toBeUndefined();
  });

  it('copies on save, so the saver reusing or mutating its buffer cannot change history', () => {
    const buffer = new SnapshotBuffer(4);
    const reused = bytes(1, 1, 1);
    buffer.save(0, reused);
    reused.fill(2);
    buffer.save(1, reused);
    reused.fill(3);
    expect(buffer.get(0)).toEqual(bytes(1, 1, 1));
    expect(buffer.get(1)).toEqual(bytes(2, 2, 2));
  });

  it('keeps only the last capacity states', () => {
    const buffer = new SnapshotBuffer(3);
    for (let t = 0; t < 5; t++) buffer.save(t, bytes(t));
    expect(buffer.has(1)).toBe(false);
    expect([2, 3, 4].map((t) => buffer.get(t)?.[0])).toEqual([2, 3, 4]);
  });

  it('handles states that grow and shrink between saves in the same slot', () => {
    const buffer = new SnapshotBuffer(1);
    buffer.save(0, bytes(1));
    buffer.save(1, new Uint8Array(1000).fill(7));
    expect(buffer.get(1)?.length).toBe(1000);
    buffer.save(2, bytes(5, 6));
    expect(buffer.get(2)).toEqual(bytes(5, 6));
  });

  it('records a hash after the fact and forgets hashes of re-saved ticks without one', () => {
    const buffer = new SnapshotBuffer(2);
    buffer.save(0, bytes(0));
    buffer.setHash(0, 9);
    expect(buffer.getHash(0)).toBe(9);
    buffer.save(0, bytes(1));
    expect(buffer.getHash(0)).toBeUndefined();
    buffer.setHash(5, 1);
    expect(buffer.has(5)).toBe(false);
  });

  it('clear forgets every state', () => {
    const buffer = new SnapshotBuffer(2);
    buffer.save(0, bytes(0));
    buffer.clear();
    expect(buffer.has(0)).toBe(false);
    expect(buffer.get(0)).toBeUndefined();
  });
});
