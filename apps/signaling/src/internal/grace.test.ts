import { describe, expect, it } from 'vitest';
import { GraceStore, pushBounded } from './grace.js';
import type { GraceEntry } from './grace.js';
import { BUFFER_BYTES_LIMIT, BUFFER_COUNT_LIMIT } from './limits.js';

function entry(peerId: string, cancelled: string[], buffer: string[] = []): GraceEntry {
  const bytes = buffer.reduce((n, s) => n + s.length, 0);
  return { peerId, epoch: 1, room: 'r', buffer, bytes, cancel: () => cancelled.push(peerId) };
}

describe('pushBounded', () => {
  it('stops at the per-peer count and byte limits', () => {
    const buffer: string[] = [];
    let bytes = 0;
    for (let i = 0; i < BUFFER_COUNT_LIMIT + 5; i++) bytes += pushBounded(buffer, bytes, 'x');
    expect(buffer).toHaveLength(BUFFER_COUNT_LIMIT);
    expect(pushBounded([], 0, 'y'.repeat(BUFFER_BYTES_LIMIT + 1))).toBe(0);
  });
});

describe('GraceStore', () => {
  it('evicts the oldest windows once all buffers together pass the global bound', () => {
    const cancelled: string[] = [];
    const store = new GraceStore(250);
    for (const id of ['a', 'b', 'c']) expect(store.hold(entry(id, cancelled))).toEqual([]);
    expect(store.append('a', 'x'.repeat(100))).toEqual([]);
    expect(store.append('b', 'x'.repeat(100))).toEqual([]);
    const evicted = store.append('c', 'x'.repeat(100));
    expect(evicted.map((e) => e.peerId)).toEqual(['a']);
    expect(cancelled).toEqual(['a']);
    expect(store.bytes).toBe(200);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('c')?.buffer).toHaveLength(1);
  });

  it('counts the buffer a window opens with, and evicts for it', () => {
    const cancelled: string[] = [];
    const store = new GraceStore(150);
    store.hold(entry('a', cancelled, ['x'.repeat(100)]));
    const evicted = store.hold(entry('b', cancelled, ['x'.repeat(100)]));
    expect(evicted.map((e) => e.peerId)).toEqual(['a']);
    expect(store.bytes).toBe(100);
  });

  it('gives the bytes back when a window is removed, and only for the matching epoch', () => {
    const store = new GraceStore(1_000);
    store.hold(entry('a', [], ['x'.repeat(10)]));
    expect(store.remove('a', 2)).toBeUndefined();
    expect(store.bytes).toBe(10);
    expect(store.remove('a', 1)?.buffer).toEqual(['x'.repeat(10)]);
    expect(store.bytes).toBe(0);
    expect(store.size).toBe(0);
  });

  it('ignores messages for peers without a window', () => {
    const store = new GraceStore(10);
    expect(store.append('nobody', 'x'.repeat(100))).toEqual([]);
    expect(store.bytes).toBe(0);
  });
});
