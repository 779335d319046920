import { DEFAULT_LIMITS, RbnError, assertMessageBytes, describeValue } from '@rbn/protocol';
import type { ConnectionMetrics, TransportAdapter } from '@rbn/protocol';
import { deflate } from 'pako';
import { inflateBounded } from './internal/inflate-bounded';
import {
  KIND_COMPRESSED,
  KIND_RAW,
  KIND_SEGMENT,
  MAX_SEGMENT_COUNT,
  SEGMENT_HEADER_BYTES,
  readSegmentHeader,
  writeSegmentHeader,
} from './internal/wire';

/** When outgoing messages are compressed. */
export type CompressionMode = 'auto' | 'always' | 'never';

/** Why an incoming frame (or an outgoing message) was dropped. */
export type TransformErrorCode =
  /** Empty frame, unknown kind byte, segment shorter than its header, total below 2, empty segment. */
  | 'malformed-header'
  /** A segment index at or past the declared total. */
  | 'bad-segment-index'
  /** A segment whose total differs from the other segments of the same message. */
  | 'segment-total-mismatch'
  /** A segment already received (or of a message already completed). */
  | 'duplicate-segment'
  /** A segment declaring more segments than `maxSegments`. */
  | 'too-many-segments'
  /** A new message while the peer already has `maxPartialMessages` incomplete ones. */
  | 'too-many-partial-messages'
  /** A message (or a peer's buffered segments) larger than `maxMessageBytes`/`maxReassemblyBytes`. */
  | 'message-too-large'
  /** Compressed bytes that are not a valid deflate stream. */
  | 'inflate-failed'
  /** Compressed bytes that inflate past `maxMessageBytes` (stopped at the limit). */
  | 'inflate-too-large'
  /** An incomplete message that received no new segment for `reassemblyTimeout`, discarded. */
  | 'reassembly-timeout'
  /** Outgoing: an unreliable message that would need segmenting, dropped (see README). */
  | 'unreliable-too-large';

/** A report of one dropped frame or message, passed to `onError`. */
export type TransformError = {
  /** What went wrong. */
  code: TransformErrorCode;
  /** The peer that sent the bad bytes (or, for `unreliable-too-large`, the target; `null` for a broadcast). */
  peerId: string | null;
  /** A sentence with the details (sizes, indexes, ids). */
  detail: string;
};

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
  /** The clock for `reassemblyTimeout`, in ms. @default () => Date.now() */
  now?: () => number;
  /** Called for every dropped frame or message. @default null */
  onError?: ((error: TransformError) => void) | null;
};

/** Reassembly memory in use, for monitoring and tests. */
export type ReassemblyStats = {
  /** Incomplete messages held. */
  partialMessages: number;
  /**
   * Memory charged for them, in bytes: the bytes of every segment held, plus 256 per segment
   * held (a typed array's own cost), plus 8 per segment each message declares (its table). This
   * is what `maxReassemblyBytes` bounds.
   */
  bufferedBytes: number;
};

/**
 * Bytes charged for each segment held during reassembly on top of its payload: the typed array
 * that holds it costs about 200 bytes of engine bookkeeping (measured in V8/Node 20), so a
 * flood of tiny segments is bounded by the memory it really takes, not by its payload alone.
 */
const SEGMENT_OVERHEAD_BYTES = 256;
/** Bytes charged per segment a message declares (its slot in the message's segment table). */
const SEGMENT_SLOT_BYTES = 8;

type Partial = {
  total: number;
  chunks: (Uint8Array | undefined)[];
  received: number;
  /** Payload bytes held (the size of the frame so far). */
  bytes: number;
  /** Bytes charged to the peer's `bufferedBytes` for this message. */
  charged: number;
  /** When the last new segment of this message arrived (on `now`). */
  lastSegmentAt: number;
};

/** Message ids of recently completed messages remembered per peer, to spot late duplicates. */
const RECENT_IDS = 32;

type PeerReassembly = {
  partials: Map<number, Partial>;
  bufferedBytes: number;
  recent: number[];
  recentNext: number;
};

type ResolvedConfig = Required<Omit<TransformingTransportConfig, 'onError'>> & {
  /** Largest reassembled frame: a maximal message, its kind byte and deflate's worst-case growth. */
  maxFrameBytes: number;
};

function positiveInteger(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: ${name} must be an integer >= ${min} (got ${describeValue(value)})`,
    );
  }
  return value;
}

function resolveConfig(config: TransformingTransportConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: config must be an object (got ${config === null ? 'null' : typeof config})`,
    );
  }
  const compression = config.compression ?? 'auto';
  if (compression !== 'auto' && compression !== 'always' && compression !== 'never') {
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: compression must be 'auto', 'always' or 'never' (got ${String(compression)})`,
    );
  }
  const level = config.compressionLevel ?? 1;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: compressionLevel must be an integer from 0 to 9 (got ${String(level)})`,
    );
  }
  const maxMessageBytes = positiveInteger(
    'maxMessageBytes',
    config.maxMessageBytes ?? DEFAULT_LIMITS.maxStateBytes + 64 * 1024,
  );
  const maxSegments = positiveInteger('maxSegments', config.maxSegments ?? MAX_SEGMENT_COUNT, 2);
  if (maxSegments > MAX_SEGMENT_COUNT) {
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: maxSegments must be at most ${MAX_SEGMENT_COUNT} (got ${maxSegments})`,
    );
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
  const reassemblyTimeout = config.reassemblyTimeout ?? 5000;
  if (
    typeof reassemblyTimeout !== 'number' ||
    !Number.isFinite(reassemblyTimeout) ||
    reassemblyTimeout <= 0
  ) {
    // Infinity would keep a peer's partial messages forever.
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: reassemblyTimeout must be a finite number of ms > 0 (got ${describeValue(reassemblyTimeout)})`,
    );
  }
  const now = config.now ?? (() => Date.now());
  if (typeof now !== 'function') {
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: now must be a function returning milliseconds (got ${describeValue(now)})`,
    );
  }
  const onError: unknown = config.onError;
  if (onError !== undefined && onError !== null && typeof onError !== 'function') {
    throw new RbnError(
      'INVALID_CONFIG',
      `TransformingTransport: onError must be a function or null (got ${describeValue(onError)})`,
    );
  }
  const segmentation = config.segmentation ?? true;
  if (typeof segmentation !== 'boolean') {
    throw new RbnError('INVALID_CONFIG', 'TransformingTransport: segmentation must be a boolean');
  }
  return {
    compression,
    compressionThreshold: positiveInteger(
      'compressionThreshold',
      config.compressionThreshold ?? 128,
      0,
    ),
    compressionLevel: level,
    segmentation,
    maxSegmentSize,
    reassemblyTimeout,
    maxMessageBytes,
    maxPartialMessages: positiveInteger('maxPartialMessages', config.maxPartialMessages ?? 4),
    maxReassemblyBytes: positiveInteger(
      'maxReassemblyBytes',
      config.maxReassemblyBytes ?? defaultReassemblyBytes,
    ),
    maxSegments,
    maxFrameBytes,
    now,
  };
}

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

/**
 * A {@link TransportAdapter} that wraps any other transport and adds compression (pako
 * deflate) and segmentation with bounded reassembly, so large messages (state transfers)
 * travel over transports with a message size limit, such as WebRTC data channels.
 *
 * Every frame it hands to the inner transport starts with a kind byte: `0x00` a whole raw
 * message, `0x01` a whole deflate-compressed message, `0x02` a segment (9-byte header:
 * kind, message id u32, index u16, total u16, all big-endian). Only reliable messages are
 * segmented: an unreliable message whose frame is larger than `maxSegmentSize` is dropped and
 * reported through `onError` (`'unreliable-too-large'`), because one lost segment would lose
 * it anyway.
 *
 * Incoming bytes are untrusted: every malformed, out-of-range, duplicate or oversized frame
 * is dropped and reported through `onError`; nothing a peer sends throws out of the inner
 * transport's callback or grows memory past the configured bounds.
 *
 * @example
 * ```ts
 * const group = createLocalTransportGroup(['a', 'b']);
 * const a = new TransformingTransport(group.get('a')!, { maxSegmentSize: 1200 });
 * const b = new TransformingTransport(group.get('b')!, { maxSegmentSize: 1200 });
 * b.onMessage = (from, bytes) => console.log(from, bytes.byteLength); // a 100000
 * await a.connect('b');
 * a.send('b', new Uint8Array(100_000), true);
 * group.get('b')!.flush();
 * ```
 */
export class TransformingTransport implements TransportAdapter {
  /** Called with every whole message received from a peer. */
  onMessage: ((peerId: string, message: Uint8Array) => void) | null = null;
  /** Called when a connection opens (on both sides). */
  onConnect: ((peerId: string) => void) | null = null;
  /** Called when a connection closes (on both sides); partial messages of the peer are freed first. */
  onDisconnect: ((peerId: string) => void) | null = null;
  /** Called for every dropped frame or message, with the reason. */
  onError: ((error: TransformError) => void) | null;

  /** The wrapped transport. */
  readonly inner: TransportAdapter;
  private readonly config: ResolvedConfig;
  private readonly peers = new Map<string, PeerReassembly>();
  private partialCount = 0;
  private nextMessageId = 0;
  private scratch: Uint8Array;

  /**
   * Wraps a transport. The wrapper takes over the inner transport's `onMessage`, `onConnect`
   * and `onDisconnect`: set them on the wrapper instead.
   * @param inner - The transport that carries the frames.
   * @param config - Compression, segmentation and limits; see {@link TransformingTransportConfig}.
   * @throws RbnError `INVALID_CONFIG` naming the first invalid field.
   */
  constructor(inner: TransportAdapter, config: TransformingTransportConfig = {}) {
    this.inner = inner;
    this.config = resolveConfig(config);
    this.onError = config.onError ?? null;
    this.scratch = new Uint8Array(Math.min(this.config.maxSegmentSize, 64 * 1024));
    inner.onMessage = (peerId, message) => this.receive(peerId, message);
    inner.onConnect = (peerId) => this.onConnect?.(peerId);
    inner.onDisconnect = (peerId) => {
      this.forgetPeer(peerId);
      this.onDisconnect?.(peerId);
    };
  }

  /** The inner transport's open connections. */
  get connectedPeers(): ReadonlySet<string> {
    return this.inner.connectedPeers;
  }

  /** The inner transport's peer id. */
  get localPeerId(): string {
    return this.inner.localPeerId;
  }

  /**
   * Connects through the inner transport.
   * @param peerId - The remote peer.
   * @returns The inner transport's promise.
   */
  connect(peerId: string): Promise<void> {
    return this.inner.connect(peerId);
  }

  /**
   * Disconnects through the inner transport and frees the peer's partial messages.
   * @param peerId - The remote peer.
   */
  disconnect(peerId: string): void {
    this.forgetPeer(peerId);
    this.inner.disconnect(peerId);
  }

  /** Disconnects every peer and frees all reassembly memory. */
  disconnectAll(): void {
    this.peers.clear();
    this.partialCount = 0;
    this.inner.disconnectAll();
  }

  /**
   * Compresses (when configured) and segments (when needed) one message, then sends it.
   * @param peerId - The receiver; unknown or disconnected peers are ignored.
   * @param message - The bytes; the caller may reuse the buffer afterwards.
   * @param reliable - Which channel. Only reliable messages are segmented.
   * @throws RbnError `MESSAGE_TOO_LARGE` when the message is larger than `maxMessageBytes` or
   * needs more than `maxSegments` segments; `INVALID_ARGUMENT` when it is not a `Uint8Array`.
   */
  send(peerId: string, message: Uint8Array, reliable: boolean): void {
    assertMessageBytes('TransformingTransport.send', message);
    if (!this.inner.connectedPeers.has(peerId)) return;
    this.transmit(message, reliable, peerId);
  }

  /**
   * Sends one message to every connected peer, compressing and segmenting it once.
   * @param message - The bytes; the caller may reuse the buffer afterwards.
   * @param reliable - Which channel, as for {@link TransformingTransport.send}.
   * @throws RbnError `MESSAGE_TOO_LARGE` or `INVALID_ARGUMENT`, as for
   * {@link TransformingTransport.send}.
   */
  broadcast(message: Uint8Array, reliable: boolean): void {
    assertMessageBytes('TransformingTransport.broadcast', message);
    if (this.inner.connectedPeers.size === 0) return;
    this.transmit(message, reliable, null);
  }

  /**
   * @param peerId - The remote peer.
   * @returns The inner transport's metrics, or `null` when it has none.
   */
  getConnectionMetrics(peerId: string): ConnectionMetrics | null {
    return this.inner.getConnectionMetrics?.(peerId) ?? null;
  }

  /**
   * Reassembly memory in use.
   * @param peerId - One peer, or omitted for all peers.
   * @returns The number of incomplete messages and their buffered bytes.
   */
  getReassemblyStats(peerId?: string): ReassemblyStats {
    if (peerId !== undefined) {
      const peer = this.peers.get(peerId);
      return { partialMessages: peer?.partials.size ?? 0, bufferedBytes: peer?.bufferedBytes ?? 0 };
    }
    let bufferedBytes = 0;
    for (const peer of this.peers.values()) bufferedBytes += peer.bufferedBytes;
    return { partialMessages: this.partialCount, bufferedBytes };
  }

  /**
   * Discards incomplete messages that received no new segment for `reassemblyTimeout`,
   * reporting each as `'reassembly-timeout'`. Runs on every incoming frame; call it yourself to
   * free memory when no traffic arrives.
   * @returns How many incomplete messages were discarded.
   */
  discardExpired(): number {
    if (this.partialCount === 0) return 0;
    const deadline = this.config.now() - this.config.reassemblyTimeout;
    let discarded = 0;
    for (const [peerId, peer] of this.peers) {
      for (const [id, partial] of peer.partials) {
        if (partial.lastSegmentAt > deadline) continue;
        this.dropPartial(peer, id, partial);
        discarded++;
        this.report(
          'reassembly-timeout',
          peerId,
          `message ${id} got no new segment for ${this.config.reassemblyTimeout} ms (${partial.received}/${partial.total} segments)`,
        );
      }
    }
    return discarded;
  }

  // ---- sending ----

  private transmit(message: Uint8Array, reliable: boolean, peerId: string | null): void {
    const c = this.config;
    if (message.byteLength > c.maxMessageBytes) {
      throw new RbnError(
        'MESSAGE_TOO_LARGE',
        `TransformingTransport: message of ${message.byteLength} bytes is larger than maxMessageBytes (${c.maxMessageBytes})`,
      );
    }
    let kind = KIND_RAW;
    let body = message;
    if (
      c.compression === 'always' ||
      (c.compression === 'auto' &&
        message.byteLength > c.compressionThreshold &&
        looksCompressible(message, c.compressionLevel))
    ) {
      const compressed = deflate(message, { level: c.compressionLevel });
      if (c.compression === 'always' || compressed.byteLength < message.byteLength) {
        kind = KIND_COMPRESSED;
        body = compressed;
      }
    }
    const frameBytes = 1 + body.byteLength;
    if (!c.segmentation || frameBytes <= c.maxSegmentSize) {
      const frame = this.frameBuffer(frameBytes);
      frame[0] = kind;
      frame.set(body, 1);
      this.emit(frame, reliable, peerId);
      return;
    }
    if (!reliable) {
      this.report(
        'unreliable-too-large',
        peerId,
        `unreliable message of ${frameBytes} framed bytes is larger than maxSegmentSize (${c.maxSegmentSize}); only reliable messages are segmented`,
      );
      return;
    }
    const payload = c.maxSegmentSize - SEGMENT_HEADER_BYTES;
    const total = Math.ceil(frameBytes / payload);
    if (total > c.maxSegments) {
      throw new RbnError(
        'MESSAGE_TOO_LARGE',
        `TransformingTransport: message needs ${total} segments, more than maxSegments (${c.maxSegments})`,
      );
    }
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId + 1) >>> 0;
    for (let index = 0; index < total; index++) {
      // offsets into the virtual frame [kind, ...body]
      const start = index * payload;
      const end = Math.min(start + payload, frameBytes);
      const segment = this.frameBuffer(SEGMENT_HEADER_BYTES + end - start);
      writeSegmentHeader(segment, id, index, total);
      if (start === 0) {
        segment[SEGMENT_HEADER_BYTES] = kind;
        segment.set(body.subarray(0, end - 1), SEGMENT_HEADER_BYTES + 1);
      } else {
        segment.set(body.subarray(start - 1, end - 1), SEGMENT_HEADER_BYTES);
      }
      this.emit(segment, true, peerId);
    }
  }

  /** A view of the reusable scratch buffer (transports copy at send), or a fresh array when huge. */
  private frameBuffer(bytes: number): Uint8Array {
    if (bytes <= this.scratch.byteLength) return this.scratch.subarray(0, bytes);
    if (bytes <= this.config.maxSegmentSize) {
      this.scratch = new Uint8Array(this.config.maxSegmentSize);
      return this.scratch.subarray(0, bytes);
    }
    return new Uint8Array(bytes);
  }

  private emit(frame: Uint8Array, reliable: boolean, peerId: string | null): void {
    if (peerId === null) this.inner.broadcast(frame, reliable);
    else this.inner.send(peerId, frame, reliable);
  }

  // ---- receiving ----

  private receive(peerId: string, data: Uint8Array): void {
    this.discardExpired();
    if (data.byteLength === 0) {
      this.report('malformed-header', peerId, 'empty frame');
      return;
    }
    if (data[0] === KIND_SEGMENT) this.receiveSegment(peerId, data);
    else this.receiveFrame(peerId, data);
  }

  /** Decodes a whole frame (kind byte + body) and hands the message up. */
  private receiveFrame(peerId: string, frame: Uint8Array): void {
    const kind = frame[0];
    const body = frame.subarray(1);
    if (kind === KIND_RAW) {
      if (body.byteLength > this.config.maxMessageBytes) {
        this.report(
          'message-too-large',
          peerId,
          `message of ${body.byteLength} bytes is larger than maxMessageBytes (${this.config.maxMessageBytes})`,
        );
        return;
      }
      this.onMessage?.(peerId, body);
      return;
    }
    if (kind === KIND_COMPRESSED) {
      const result = inflateBounded(body, this.config.maxMessageBytes);
      if (!result.ok) {
        this.report(result.code, peerId, result.detail);
        return;
      }
      this.onMessage?.(peerId, result.bytes);
      return;
    }
    this.report(
      'malformed-header',
      peerId,
      `unknown frame kind 0x${(kind ?? 0).toString(16).padStart(2, '0')}`,
    );
  }

  private receiveSegment(peerId: string, data: Uint8Array): void {
    const c = this.config;
    if (data.byteLength <= SEGMENT_HEADER_BYTES) {
      this.report('malformed-header', peerId, `segment of ${data.byteLength} bytes has no payload`);
      return;
    }
    const { messageId, index, total } = readSegmentHeader(data);
    if (total < 2) {
      this.report('malformed-header', peerId, `segment total ${total} is below 2`);
      return;
    }
    if (total > c.maxSegments) {
      this.report(
        'too-many-segments',
        peerId,
        `message ${messageId} declares ${total} segments, more than maxSegments (${c.maxSegments})`,
      );
      return;
    }
    if (index >= total) {
      this.report(
        'bad-segment-index',
        peerId,
        `segment index ${index} of message ${messageId} is out of range (total ${total})`,
      );
      return;
    }
    let peer = this.peers.get(peerId);
    if (peer === undefined) {
      peer = { partials: new Map(), bufferedBytes: 0, recent: [], recentNext: 0 };
      this.peers.set(peerId, peer);
    }
    const chunkBytes = data.byteLength - SEGMENT_HEADER_BYTES;
    // A held segment costs more than its payload (see SEGMENT_OVERHEAD_BYTES); a new message
    // also costs its segment table.
    let cost = chunkBytes + SEGMENT_OVERHEAD_BYTES;
    let partial = peer.partials.get(messageId);
    if (partial === undefined) {
      if (peer.recent.includes(messageId)) {
        this.report(
          'duplicate-segment',
          peerId,
          `segment ${index} of message ${messageId}, which is already complete`,
        );
        return;
      }
      if (peer.partials.size >= c.maxPartialMessages) {
        this.report(
          'too-many-partial-messages',
          peerId,
          `message ${messageId} dropped: ${peer.partials.size} incomplete messages already (maxPartialMessages)`,
        );
        return;
      }
      cost += total * SEGMENT_SLOT_BYTES;
      if (chunkBytes > c.maxFrameBytes || peer.bufferedBytes + cost > c.maxReassemblyBytes) {
        this.reportTooLarge(peerId, messageId, chunkBytes > c.maxFrameBytes);
        return;
      }
      partial = {
        total,
        chunks: new Array<Uint8Array | undefined>(total),
        received: 0,
        bytes: 0,
        charged: 0,
        lastSegmentAt: 0,
      };
      peer.partials.set(messageId, partial);
      this.partialCount++;
    } else {
      if (partial.total !== total) {
        this.report(
          'segment-total-mismatch',
          peerId,
          `segment ${index} of message ${messageId} says total ${total}, earlier segments said ${partial.total}`,
        );
        return;
      }
      if (partial.chunks[index] !== undefined) {
        this.report('duplicate-segment', peerId, `segment ${index} of message ${messageId} again`);
        return;
      }
      const frameTooLarge = partial.bytes + chunkBytes > c.maxFrameBytes;
      if (frameTooLarge || peer.bufferedBytes + cost > c.maxReassemblyBytes) {
        this.dropPartial(peer, messageId, partial);
        this.reportTooLarge(peerId, messageId, frameTooLarge);
        return;
      }
    }
    partial.chunks[index] = data.slice(SEGMENT_HEADER_BYTES);
    partial.received++;
    partial.bytes += chunkBytes;
    partial.charged += cost;
    partial.lastSegmentAt = c.now();
    peer.bufferedBytes += cost;
    if (partial.received < partial.total) return;

    // complete: free the bookkeeping first, then decode and deliver
    this.dropPartial(peer, messageId, partial);
    peer.recent[peer.recentNext] = messageId;
    peer.recentNext = (peer.recentNext + 1) % RECENT_IDS;
    const frame = new Uint8Array(partial.bytes);
    let offset = 0;
    for (const chunk of partial.chunks) {
      frame.set(chunk!, offset);
      offset += chunk!.byteLength;
    }
    if (frame[0] === KIND_SEGMENT) {
      this.report(
        'malformed-header',
        peerId,
        `reassembled message ${messageId} is itself a segment`,
      );
      return;
    }
    this.receiveFrame(peerId, frame);
  }

  private dropPartial(peer: PeerReassembly, id: number, partial: Partial): void {
    if (peer.partials.delete(id)) {
      peer.bufferedBytes -= partial.charged;
      this.partialCount--;
    }
  }

  private reportTooLarge(peerId: string, messageId: number, frameTooLarge: boolean): void {
    const c = this.config;
    this.report(
      'message-too-large',
      peerId,
      frameTooLarge
        ? `message ${messageId} grows past ${c.maxFrameBytes} bytes (maxMessageBytes ${c.maxMessageBytes}); discarded`
        : `incomplete messages of the peer grow past maxReassemblyBytes (${c.maxReassemblyBytes}); message ${messageId} discarded`,
    );
  }

  private forgetPeer(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (peer === undefined) return;
    this.partialCount -= peer.partials.size;
    this.peers.delete(peerId);
  }

  private report(code: TransformErrorCode, peerId: string | null, detail: string): void {
    this.onError?.({ code, peerId, detail });
  }
}
