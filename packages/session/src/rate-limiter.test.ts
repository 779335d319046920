import { describe, expect, it } from 'vitest';
import { SlidingWindowRateLimiter } from './rate-limiter';
import type { RateLimiterOptions } from './rate-limiter';

function limiter(options: Omit<RateLimiterOptions, 'now'>): {
  limiter: SlidingWindowRateLimiter;
  at: (t: number) => SlidingWindowRateLimiter;
} {
  let now = 0;
  const l = new SlidingWindowRateLimiter({ ...options, now: () => now });
  return {
    limiter: l,
    at: (t) => {
      now = t;
      return l;
    },
  };
}

describe('SlidingWindowRateLimiter', () => {
  it('allows maxRequests per sliding window and refuses the rest', () => {
    const { at } = limiter({ maxRequests: 3, windowMs: 1000 });
    expect(at(0).tryAcquire('p')).toBe(true);
    expect(at(400).tryAcquire('p')).toBe(true);
    expect(at(800).tryAcquire('p')).toBe(true);
    expect(at(900).tryAcquire('p')).toBe(false);
    // The request at 0 left the window; the one at 400 has not (a sliding, not fixed, window).
    expect(at(1000).tryAcquire('p')).toBe(true);
    expect(at(1100).tryAcquire('p')).toBe(false);
    expect(at(1400).tryAcquire('p')).toBe(true);
  });

  it('limits each key on its own', () => {
    const { at } = limiter({ maxRequests: 1, windowMs: 1000 });
    expect(at(0).tryAcquire('a')).toBe(true);
    expect(at(1).tryAcquire('a')).toBe(false);
    expect(at(2).tryAcquire('b')).toBe(true);
  });

  it('does not count refused requests, so a peer that keeps retrying gets in after the window', () => {
    const { at } = limiter({ maxRequests: 2, windowMs: 1000 });
    expect(at(0).tryAcquire('p')).toBe(true);
    expect(at(10).tryAcquire('p')).toBe(true);
    for (let t = 20; t < 1000; t += 10) expect(at(t).tryAcquire('p')).toBe(false);
    expect(at(1000).tryAcquire('p')).toBe(true);
  });

  it('reports the remaining requests and when to retry', () => {
    const { at } = limiter({ maxRequests: 2, windowMs: 1000 });
    expect(at(0).remaining('p')).toBe(2);
    at(100).tryAcquire('p');
    at(300).tryAcquire('p');
    expect(at(400).remaining('p')).toBe(0);
    expect(at(400).retryAfterMs('p')).toBe(700);
    expect(at(1100).retryAfterMs('p')).toBe(0);
    expect(at(1100).remaining('p')).toBe(1);
    expect(at(1100).retryAfterMs('unknown')).toBe(0);
  });

  it('prunes keys whose requests all left the window', () => {
    const { at, limiter: l } = limiter({ maxRequests: 5, windowMs: 1000 });
    for (let i = 0; i < 50; i++) at(i).tryAcquire(`peer-${i}`);
    expect(l.size).toBe(50);
    at(2000).tryAcquire('late');
    expect(l.size).toBe(1);
  });

  it('tracks at most maxKeys keys, evicting the least recently seen', () => {
    const { at, limiter: l } = limiter({ maxRequests: 1, windowMs: 60_000, maxKeys: 100 });
    expect(at(0).tryAcquire('regular')).toBe(true);
    for (let i = 0; i < 10_000; i++) {
      expect(at(1 + i).tryAcquire(`flood-${i}`)).toBe(true);
      expect(l.size).toBeLessThanOrEqual(100);
    }
    // 'regular' was evicted long ago and starts afresh; the newest flood keys are still limited.
    expect(at(20_000).tryAcquire('regular')).toBe(true);
    expect(at(20_001).tryAcquire('flood-9999')).toBe(false);
  });

  it('refuses new keys while full in reject mode, until tracked keys go quiet', () => {
    const { at, limiter: l } = limiter({
      maxRequests: 1,
      windowMs: 1000,
      maxKeys: 3,
      whenFull: 'reject',
    });
    for (const k of ['a', 'b', 'c']) expect(at(0).tryAcquire(k)).toBe(true);
    expect(at(10).tryAcquire('d')).toBe(false);
    expect(l.size).toBe(3);
    expect(at(1000).tryAcquire('d')).toBe(true);
    expect(l.size).toBe(1);
  });

  it('forgets keys on reset', () => {
    const { at, limiter: l } = limiter({ maxRequests: 1, windowMs: 1000 });
    at(0).tryAcquire('a');
    at(0).tryAcquire('b');
    l.reset('a');
    expect(at(1).tryAcquire('a')).toBe(true);
    expect(at(1).tryAcquire('b')).toBe(false);
    l.reset();
    expect(l.size).toBe(0);
  });

  it('rejects bad options with errors naming the field', () => {
    expect(() => new SlidingWindowRateLimiter({ maxRequests: 0, windowMs: 1000 })).toThrow(
      /maxRequests/,
    );
    expect(() => new SlidingWindowRateLimiter({ maxRequests: 1, windowMs: -5 })).toThrow(
      /windowMs/,
    );
    expect(
      () => new SlidingWindowRateLimiter({ maxRequests: 1, windowMs: 10, maxKeys: 1.5 }),
    ).toThrow(/maxKeys/);
  });
});
