import { deflate } from 'pako';
import type { ResolvedConfig } from './config';
import { inflateBounded } from './internal/inflate-bounded';
import { KIND_COMPRESSED, KIND_RAW } from './internal/wire';
import type { TransformErrorCode } from './transform-error';

/** Messages at least this large are sampled before `'auto'` compression is attempted. */
const SAMPLE_FROM_BYTES = 64 * 1024;
const SAMPLE_PART_BYTES = 4096;

/**
 * Cheap pre-check for large messages in `'auto'` mode: deflates three 4 KiB samples (start,
 * middle, end) and reports whether they shrink by at least 5%. Incompressible payloads (already
 * compressed or encrypted data) then skip the full deflate pass that would be thrown away.
 * @param message - The outgoing message.
 * @param level - The deflate level.
 * @returns `false` only when the samples do not compress.
 */
function looksCompressible(
  message: Uint8Array,
  level: ResolvedConfig['compressionLevel'],
): boolean {
  const n = message.byteLength;
  if (n < SAMPLE_FROM_BYTES) return true;
  const sample = new Uint8Array(3 * SAMPLE_PART_BYTES);
  sample.set(message.subarray(0, SAMPLE_PART_BYTES), 0);
  const mid = (n >>> 1) - (SAMPLE_PART_BYTES >>> 1);
  sample.set(message.subarray(mid, mid + SAMPLE_PART_BYTES), SAMPLE_PART_BYTES);
  sample.set(message.subarray(n - SAMPLE_PART_BYTES), 2 * SAMPLE_PART_BYTES);
  return deflate(sample, { level }).byteLength < sample.byteLength * 0.95;
}

/** A frame body and the kind byte that says how to read it. */
export type EncodedBody = { kind: typeof KIND_RAW | typeof KIND_COMPRESSED; body: Uint8Array };

/**
 * Compresses an outgoing message when the configured mode says so and it pays off.
 * @param message - The outgoing message.
 * @param c - The resolved config (mode, threshold, level).
 * @returns The body to frame: the deflated bytes, or the message itself.
 */
export function compressForSending(message: Uint8Array, c: ResolvedConfig): EncodedBody {
  if (
    c.compression === 'always' ||
    (c.compression === 'auto' &&
      message.byteLength > c.compressionThreshold &&
      looksCompressible(message, c.compressionLevel))
  ) {
    const compressed = deflate(message, { level: c.compressionLevel });
    if (c.compression === 'always' || compressed.byteLength < message.byteLength) {
      return { kind: KIND_COMPRESSED, body: compressed };
    }
  }
  return { kind: KIND_RAW, body: message };
}

/** The outcome of {@link InflateBudget.inflate}. */
export type BudgetedInflate =
  { ok: true; bytes: Uint8Array } | { ok: false; code: TransformErrorCode; detail: string };

type Bucket = { tokens: number; at: number };

/**
 * Caps the inflate work each peer can cause: a token bucket of decompressed bytes per peer,
 * refilled at `inflateBytesPerSecond` on the injected clock and holding at most
 * `max(inflateBytesPerSecond, maxMessageBytes)`. Every byte the inflater produces is charged,
 * kept or not, so a stream of deflate bombs costs at most the budget per second.
 */
export class InflateBudget {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  /** @param config - The resolved config (rate, message limit, clock). */
  constructor(private readonly config: ResolvedConfig) {
    this.capacity = Math.max(config.inflateBytesPerSecond, config.maxMessageBytes);
  }

  /**
   * Inflates one compressed body from a peer within the peer's budget.
   * @param peerId - The sender (a connected peer).
   * @param body - The compressed bytes (untrusted).
   * @returns The message, or why it was dropped.
   */
  inflate(peerId: string, body: Uint8Array): BudgetedInflate {
    const c = this.config;
    const bucket = this.refill(peerId);
    if (bucket.tokens <= 0) return this.overBudget(peerId, 'dropped without inflating');
    const limit = Math.min(c.maxMessageBytes, bucket.tokens);
    const result = inflateBounded(body, limit);
    bucket.tokens -= result.inflatedBytes;
    if (result.ok) return result;
    if (result.code === 'inflate-too-large' && limit < c.maxMessageBytes) {
      return this.overBudget(peerId, `abandoned after ${result.inflatedBytes} inflated bytes`);
    }
    return result;
  }

  /**
   * Forgets a peer's bucket (it left; a new connection starts with a full bucket).
   * @param peerId - The peer.
   */
  forget(peerId: string): void {
    this.buckets.delete(peerId);
  }

  /** Forgets every bucket. */
  clear(): void {
    this.buckets.clear();
  }

  private refill(peerId: string): Bucket {
    const now = this.config.now();
    let bucket = this.buckets.get(peerId);
    if (bucket === undefined) {
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(peerId, bucket);
      return bucket;
    }
    const elapsed = now - bucket.at;
    if (elapsed > 0) {
      bucket.tokens = Math.min(
        this.capacity,
        bucket.tokens + (elapsed * this.config.inflateBytesPerSecond) / 1000,
      );
      bucket.at = now;
    }
    return bucket;
  }

  private overBudget(peerId: string, what: string): BudgetedInflate {
    return {
      ok: false,
      code: 'inflate-budget-exceeded',
      detail: `peer ${peerId} is over its inflate budget (${this.config.inflateBytesPerSecond} bytes per second): compressed frame ${what}`,
    };
  }
}
