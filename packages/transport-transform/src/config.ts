import { DEFAULT_LIMITS, RbnError, describeValue } from '@rbn/protocol';
import { MAX_SEGMENT_COUNT, SEGMENT_HEADER_BYTES } from './internal/wire';
import type { TransformError } from './transform-error';

/** When outgoing messages are compressed. */
export type CompressionMode = 'auto' | 'always' | 'never';

/** Options of a {@link TransformingTransport}. */
export type TransformingTransportConfig = {
  /**
   * `'auto'`: compress messages larger than `compressionThreshold` when that makes them
   * smaller (messages of 64 KiB and more are first sampled: three 4 KiB samples that do not
   * shrink by 5% mean the message is sent raw without a full deflate pass); `'always'`: compress every message; `'never'`: never compress. Incoming
   * compressed messages are accepted in every mode. @default 'auto'
   */
  compression?: CompressionMode;
  /** In `'auto'` mode, messages of at most this many bytes are sent raw. @default 128 */
  compressionThreshold?: number;
  /** Deflate level, 0 (store) to 9 (smallest). @default 1 (fastest) */
  compressionLevel?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /** Split reliable frames larger than `maxSegmentSize` into segments. @default true */
  segmentation?: boolean;
  /** Largest frame handed to the inner transport, header included (>= 64). @default 16000 */
  maxSegmentSize?: number;
  /**
   * An incomplete message that receives no new segment for this long (ms, on `now`; finite) is
   * discarded. Each new segment of a message restarts its timer, so a large message that keeps
   * arriving is never dropped for being slow overall. @default 5000
   */
  reassemblyTimeout?: number;
  /** Largest message, after reassembly and after inflating. @default 16 MiB + 64 KiB */
  maxMessageBytes?: number;
  /** Most incomplete messages per peer at once. @default 4 */
  maxPartialMessages?: number;
  /**
   * Most bytes of incomplete messages buffered per peer, as charged in
   * {@link ReassemblyStats.bufferedBytes} (segment bytes plus a fixed overhead per segment).
   * @default room for one `maxMessageBytes` message in segments of `maxSegmentSize`: its
   * largest frame (size + 0.1% + 64) plus 264 bytes for each of its segments (at least 2, at
   * most `maxSegments`)
   */
  maxReassemblyBytes?: number;
  /** Most segments one message may declare (at most 65535). @default 65535 */
  maxSegments?: number;
  /**
   * Most bytes each peer's compressed frames may inflate to per second. A token bucket per
   * peer, refilled at this rate and holding at most `max(inflateBytesPerSecond,
   * maxMessageBytes)`, so one maximal message still gets through after a quiet spell. A frame
   * that arrives with the budget used up is dropped without inflating; one whose output passes
   * what is left is abandoned there. Both are reported as `'inflate-budget-exceeded'`. This
   * bounds the CPU a peer can spend on the receiver with deflate bombs (16 KB that inflate to
   * 16 MiB). @default 4 MiB (4194304)
   */
  inflateBytesPerSecond?: number;
  /** The clock for `reassemblyTimeout` and the inflate budget, in ms. @default () => Date.now() */
  now?: () => number;
  /** Called for every dropped frame or message. @default null */
  onError?: ((error: TransformError) => void) | null;
};

/**
 * Bytes charged for each segment held during reassembly on top of its payload: the typed array
 * that holds it costs about 200 bytes of engine bookkeeping (measured in V8/Node 20), so a
 * flood of tiny segments is bounded by the memory it really takes, not by its payload alone.
 */
export const SEGMENT_OVERHEAD_BYTES = 256;
/** Bytes charged per segment a message declares (its slot in the message's segment table). */
export const SEGMENT_SLOT_BYTES = 8;
/** The default `inflateBytesPerSecond`. */
export const DEFAULT_INFLATE_BYTES_PER_SECOND = 4 * 1024 * 1024;

/** A config with every default applied and every field checked. */
export type ResolvedConfig = Required<Omit<TransformingTransportConfig, 'onError'>> & {
  /** Largest reassembled frame: a maximal message, its kind byte and deflate's worst-case growth. */
  maxFrameBytes: number;
};

function invalid(detail: string): RbnError {
  return new RbnError('INVALID_CONFIG', `TransformingTransport: ${detail}`);
}

function positiveInteger(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw invalid(`${name} must be an integer >= ${min} (got ${describeValue(value)})`);
  }
  return value;
}

function resolveCompression(
  config: TransformingTransportConfig,
): Pick<ResolvedConfig, 'compression' | 'compressionLevel' | 'compressionThreshold'> {
  const compression = config.compression ?? 'auto';
  if (compression !== 'auto' && compression !== 'always' && compression !== 'never') {
    throw invalid(`compression must be 'auto', 'always' or 'never' (got ${String(compression)})`);
  }
  const level = config.compressionLevel ?? 1;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw invalid(`compressionLevel must be an integer from 0 to 9 (got ${String(level)})`);
  }
  const threshold = positiveInteger('compressionThreshold', config.compressionThreshold ?? 128, 0);
  return { compression, compressionLevel: level, compressionThreshold: threshold };
}

type SizeLimits = Pick<
  ResolvedConfig,
  | 'maxMessageBytes'
  | 'maxSegments'
  | 'maxSegmentSize'
  | 'maxFrameBytes'
  | 'maxPartialMessages'
  | 'maxReassemblyBytes'
>;

function resolveSizes(config: TransformingTransportConfig): SizeLimits {
  const maxMessageBytes = positiveInteger(
    'maxMessageBytes',
    config.maxMessageBytes ?? DEFAULT_LIMITS.maxStateBytes + 64 * 1024,
  );
  const maxSegments = positiveInteger('maxSegments', config.maxSegments ?? MAX_SEGMENT_COUNT, 2);
  if (maxSegments > MAX_SEGMENT_COUNT) {
    throw invalid(`maxSegments must be at most ${MAX_SEGMENT_COUNT} (got ${maxSegments})`);
  }
  const maxFrameBytes = maxMessageBytes + Math.ceil(maxMessageBytes / 1000) + 64;
  const maxSegmentSize = positiveInteger('maxSegmentSize', config.maxSegmentSize ?? 16000, 64);
  // One maximal frame, segmented at this transport's own segment size (so into 2 segments at
  // least), fits whole.
  const maxFrameSegments = Math.min(
    maxSegments,
    Math.max(2, Math.ceil(maxFrameBytes / (maxSegmentSize - SEGMENT_HEADER_BYTES))),
  );
  const defaultReassemblyBytes =
    maxFrameBytes + maxFrameSegments * (SEGMENT_OVERHEAD_BYTES + SEGMENT_SLOT_BYTES);
  return {
    maxMessageBytes,
    maxSegments,
    maxSegmentSize,
    maxFrameBytes,
    maxPartialMessages: positiveInteger('maxPartialMessages', config.maxPartialMessages ?? 4),
    maxReassemblyBytes: positiveInteger(
      'maxReassemblyBytes',
      config.maxReassemblyBytes ?? defaultReassemblyBytes,
    ),
  };
}

function resolveTiming(
  config: TransformingTransportConfig,
): Pick<ResolvedConfig, 'reassemblyTimeout' | 'now' | 'inflateBytesPerSecond'> {
  const reassemblyTimeout = config.reassemblyTimeout ?? 5000;
  if (
    typeof reassemblyTimeout !== 'number' ||
    !Number.isFinite(reassemblyTimeout) ||
    reassemblyTimeout <= 0
  ) {
    // Infinity would keep a peer's partial messages forever.
    throw invalid(
      `reassemblyTimeout must be a finite number of ms > 0 (got ${describeValue(reassemblyTimeout)})`,
    );
  }
  const now = config.now ?? (() => Date.now());
  if (typeof now !== 'function') {
    throw invalid(`now must be a function returning milliseconds (got ${describeValue(now)})`);
  }
  const inflateBytesPerSecond = positiveInteger(
    'inflateBytesPerSecond',
    config.inflateBytesPerSecond ?? DEFAULT_INFLATE_BYTES_PER_SECOND,
  );
  return { reassemblyTimeout, now, inflateBytesPerSecond };
}

/**
 * Applies the defaults and checks every field.
 * @param config - What the caller gave.
 * @returns The resolved config.
 * @throws RbnError `INVALID_CONFIG` naming the first invalid field.
 */
export function resolveConfig(config: TransformingTransportConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw invalid(`config must be an object (got ${config === null ? 'null' : typeof config})`);
  }
  const onError: unknown = config.onError;
  if (onError !== undefined && onError !== null && typeof onError !== 'function') {
    throw invalid(`onError must be a function or null (got ${describeValue(onError)})`);
  }
  const segmentation = config.segmentation ?? true;
  if (typeof segmentation !== 'boolean') throw invalid('segmentation must be a boolean');
  return {
    ...resolveCompression(config),
    ...resolveSizes(config),
    ...resolveTiming(config),
    segmentation,
  };
}
