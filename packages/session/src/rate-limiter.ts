import { RbnError } from '@rbn/protocol';
import { checkRange } from './internal/check-range';
import { defaultNow } from './internal/clock';

/** Settings of a {@link SlidingWindowRateLimiter}. */
export type RateLimiterOptions = {
  /** Most requests allowed per key within any window of `windowMs`. */
  maxRequests: number;
  /** The window length in milliseconds. */
  windowMs: number;
  /** Most keys tracked at once (memory is `maxKeys × maxRequests` timestamps at most). @default 1024 */
  maxKeys?: number;
  /**
   * What a request from a new key does when `maxKeys` keys are still active: `'evict-oldest'`
   * forgets the least recently seen key to make room (that key starts afresh if it returns);
   * `'reject'` refuses the new key until a tracked key goes quiet.
   * @default 'evict-oldest'
   */
  whenFull?: 'evict-oldest' | 'reject';
  /** The time source, in milliseconds (monotonic). @default performance.now */
  now?: () => number;
};

type Entry = {
  /** Timestamps of the allowed requests still in the window (ring buffer). */
  readonly times: Float64Array;
  /** Index of the oldest timestamp. */
  head: number;
  count: number;
};

/**
 * A sliding-window rate limiter keyed by string (a peer id): at most `maxRequests` allowed
 * requests per key within any `windowMs`. Used by the host to answer a joiner that retries too
 * often with `JoinReject` (`RateLimited`). Refused requests do not count against the key, so a
 * peer that backs off gets through once its old requests leave the window.
 *
 * Memory stays bounded: keys whose requests all left the window are pruned (a sweep at most
 * once per window; a full table first drops its stalest key), and at most `maxKeys` keys are
 * tracked. A flood of new keys costs O(1) per request.
 *
 * @example
 * ```ts
 * const joins = new SlidingWindowRateLimiter({ maxRequests: 3, windowMs: 10_000 });
 * if (!joins.tryAcquire(fromPeerId)) {
 *   reply({ type: MessageType.JoinReject, reason: JoinRejectReason.RateLimited });
 * }
 * ```
 */
export class SlidingWindowRateLimiter {
  readonly #maxRequests: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #whenFull: 'evict-oldest' | 'reject';
  readonly #clock: () => number;
  /** In least-recently-seen order (a key is moved to the end when it makes a request). */
  readonly #entries = new Map<string, Entry>();
  #lastSweep: number;

  /**
   * @param options - Limits and clock; see {@link RateLimiterOptions}.
   * @throws RbnError `'INVALID_CONFIG'` naming a bad option.
   */
  constructor(options: RateLimiterOptions) {
    this.#maxRequests = checkRange('maxRequests', options.maxRequests, 1, 10_000, true);
    if (
      typeof options.windowMs !== 'number' ||
      !Number.isFinite(options.windowMs) ||
      options.windowMs <= 0
    ) {
      throw new RbnError(
        'INVALID_CONFIG',
        `windowMs must be a positive number of milliseconds, got ${String(options.windowMs)}`,
      );
    }
    this.#windowMs = options.windowMs;
    this.#maxKeys = checkRange('maxKeys', options.maxKeys ?? 1024, 1, 1_000_000, true);
    const whenFull = options.whenFull ?? 'evict-oldest';
    if (whenFull !== 'evict-oldest' && whenFull !== 'reject') {
      throw new RbnError(
        'INVALID_CONFIG',
        `whenFull must be 'evict-oldest' or 'reject', got ${String(whenFull)}`,
      );
    }
    this.#whenFull = whenFull;
    this.#clock = options.now ?? defaultNow();
    this.#lastSweep = this.#clock();
  }

  /** How many keys are tracked now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Counts a request for `key` if the key is within its limit.
   * @param key - Who is asking (a peer id).
   * @returns `true` if allowed (and counted); `false` if refused (not counted).
   */
  tryAcquire(key: string): boolean {
    const now = this.#clock();
    this.#maybeSweep(now);
    let entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#expire(entry, now);
      if (entry.count >= this.#maxRequests) return false;
      // Most recently seen goes last.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    } else {
      if (this.#entries.size >= this.#maxKeys) {
        // Keys are in order of their latest allowed request, so the first key is the stalest:
        // if it still has a request in the window, every key does.
        const first = this.#entries.entries().next();
        if (first.done !== true) {
          const [oldestKey, oldest] = first.value;
          this.#expire(oldest, now);
          if (oldest.count > 0 && this.#whenFull === 'reject') return false;
          this.#entries.delete(oldestKey);
        }
      }
      entry = { times: new Float64Array(this.#maxRequests), head: 0, count: 0 };
      this.#entries.set(key, entry);
    }
    entry.times[(entry.head + entry.count) % this.#maxRequests] = now;
    entry.count++;
    return true;
  }

  /**
   * How many more requests `key` may make now.
   * @param key - The key.
   * @returns From 0 to `maxRequests`.
   */
  remaining(key: string): number {
    const entry = this.#entries.get(key);
    if (entry === undefined) return this.#maxRequests;
    this.#expire(entry, this.#clock());
    return this.#maxRequests - entry.count;
  }

  /**
   * How long until `key` may make a request again.
   * @param key - The key.
   * @returns Milliseconds, 0 if a request would be allowed now.
   */
  retryAfterMs(key: string): number {
    const entry = this.#entries.get(key);
    if (entry === undefined) return 0;
    const now = this.#clock();
    this.#expire(entry, now);
    if (entry.count < this.#maxRequests) return 0;
    return Math.max(0, entry.times[entry.head]! + this.#windowMs - now);
  }

  /**
   * Forgets one key, or every key.
   * @param key - The key to forget; all keys when omitted.
   */
  reset(key?: string): void {
    if (key === undefined) this.#entries.clear();
    else this.#entries.delete(key);
  }

  /** Drops the timestamps of `entry` that left the window. */
  #expire(entry: Entry, now: number): void {
    const times = entry.times;
    while (entry.count > 0 && now - times[entry.head]! >= this.#windowMs) {
      entry.head = (entry.head + 1) % times.length;
      entry.count--;
    }
  }

  #maybeSweep(now: number): void {
    if (now - this.#lastSweep >= this.#windowMs) this.#sweep(now);
  }

  /** Forgets every key with no request left in the window. */
  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) {
      this.#expire(entry, now);
      if (entry.count === 0) this.#entries.delete(key);
    }
  }
}
