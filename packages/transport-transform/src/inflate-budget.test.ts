import { createLocalTransportGroup } from '@rbn/transport-local';
import { deflate } from 'pako';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as InflateBoundedModule from './internal/inflate-bounded';
import { TransformingTransport } from './transforming-transport';
import type { TransformError } from './transforming-transport';

/** Bytes the inflater produced across every call, kept or not: the receiver's inflate work. */
const work = vi.hoisted(() => ({ inflated: 0, calls: 0 }));

vi.mock('./internal/inflate-bounded', async (importOriginal) => {
  const original = await importOriginal<typeof InflateBoundedModule>();
  return {
    ...original,
    inflateBounded: (data: Uint8Array, limit: number) => {
      work.calls++;
      return original.inflateBounded(data, limit, (bytes) => {
        work.inflated += bytes;
      });
    },
  };
});

const MiB = 1024 * 1024;
/** 16 KB of deflate that inflate to just under 16 MiB (a legal message size). */
const BOMB_FRAME = (() => {
  const compressed = deflate(new Uint8Array(16 * MiB - 1024), { level: 9 });
  const frame = new Uint8Array(1 + compressed.byteLength);
  frame[0] = 0x01;
  frame.set(compressed, 1);
  return frame;
})();
/** The default maxMessageBytes (16 MiB + 64 KiB): the bucket's size with the default rate. */
const DEFAULT_MAX_MESSAGE = 16 * MiB + 64 * 1024;
/** inflateBounded's output chunk: the most one call can overshoot its limit by. */
const CHUNK = 64 * 1024;

async function receiver(config: { inflateBytesPerSecond?: number } = {}) {
  let now = 0;
  const group = createLocalTransportGroup(['rx', 'p1', 'p2']);
  const inner = group.get('rx')!;
  const errors: TransformError[] = [];
  const rx = new TransformingTransport(inner, {
    ...config,
    now: () => now,
    onError: (e) => errors.push(e),
  });
  const received: string[] = [];
  rx.onMessage = (from) => received.push(from);
  await rx.connect('p1');
  await rx.connect('p2');
  /** Delivers a frame to the transform as the inner transport would, from `peerId`. */
  const inject = (peerId: string, frame: Uint8Array) => inner.onMessage?.(peerId, frame);
  const advance = (ms: number) => {
    now += ms;
  };
  return { rx, errors, received, inject, advance };
}

beforeEach(() => {
  work.inflated = 0;
  work.calls = 0;
});

describe('TransformingTransport inflate budget', () => {
  it('inflates a repeated 16 KB → 16 MiB frame from one peer at most budget-worth per second', async () => {
    expect(BOMB_FRAME.byteLength).toBeLessThan(20_000);
    const rate = 4 * MiB; // the default
    const { errors, received, inject, advance } = await receiver();
    const seconds = 4;
    const perSecond = 4;
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < perSecond; i++) {
        inject('p1', BOMB_FRAME);
        advance(1000 / perSecond);
      }
    }
    const frames = seconds * perSecond;
    // Without a budget this is frames × 16 MiB (256 MiB). With it: one bucket (what a quiet peer
    // may burst: one maximal message) plus the rate for the time that passed, plus at most one
    // output chunk of overshoot per inflate call.
    const bound = DEFAULT_MAX_MESSAGE + rate * seconds + CHUNK * work.calls;
    expect(work.inflated).toBeLessThanOrEqual(bound);
    expect(work.inflated).toBeLessThan(3 * 16 * MiB);
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received.length).toBeLessThan(frames);
    const overBudget = errors.filter((e) => e.code === 'inflate-budget-exceeded');
    expect(overBudget.length).toBe(frames - received.length);
    for (const e of overBudget) {
      expect(e.peerId).toBe('p1');
      expect(e.detail).toContain('p1');
    }
  });

  it('keeps each peer to its own budget: another peer still gets its compressed messages through', async () => {
    const { received, inject, advance } = await receiver();
    for (let i = 0; i < 6; i++) {
      inject('p1', BOMB_FRAME);
      advance(10);
    }
    const small = deflate(new Uint8Array(10_000).fill(7));
    const frame = new Uint8Array([0x01, ...small]);
    inject('p2', frame);
    expect(received.filter((from) => from === 'p2')).toEqual(['p2']);
  });

  it('lets the budget refill: a peer that went quiet is served again', async () => {
    const { received, inject, advance } = await receiver({ inflateBytesPerSecond: 8 * MiB });
    inject('p1', BOMB_FRAME);
    inject('p1', BOMB_FRAME);
    expect(received).toEqual(['p1']);
    advance(2500); // 8 MiB/s × 2.5 s refills the bucket
    inject('p1', BOMB_FRAME);
    expect(received).toEqual(['p1', 'p1']);
  });

  it('never inflates (or reassembles) a frame from a peer that is not connected', async () => {
    const { rx, errors, received, inject } = await receiver();
    inject('stranger', BOMB_FRAME);
    inject('stranger', new Uint8Array([0x02, 0, 0, 0, 1, 0, 0, 0, 2, 42]));
    expect(work.calls).toBe(0);
    expect(work.inflated).toBe(0);
    expect(received).toEqual([]);
    expect(rx.getReassemblyStats()).toEqual({ partialMessages: 0, bufferedBytes: 0 });
    expect(errors.map((e) => [e.code, e.peerId])).toEqual([
      ['unknown-peer', 'stranger'],
      ['unknown-peer', 'stranger'],
    ]);
  });
});
