import { RbnError, assertMessageBytes } from '@rbn/protocol';
import type { ConnectionMetrics, TransportAdapter } from '@rbn/protocol';
import { InflateBudget, compressForSending } from './compression';
import { resolveConfig } from './config';
import type { ResolvedConfig, TransformingTransportConfig } from './config';
import {
  KIND_COMPRESSED,
  KIND_RAW,
  KIND_SEGMENT,
  SEGMENT_HEADER_BYTES,
  writeSegmentHeader,
} from './internal/wire';
import { Reassembler } from './reassembler';
import type { ReassemblyStats } from './reassembler';
import type { TransformError, TransformErrorCode } from './transform-error';

export type { TransformingTransportConfig } from './config';
export type { ReassemblyStats } from './reassembler';
export type { TransformError, TransformErrorCode } from './transform-error';

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
 * Incoming bytes are untrusted: frames from a peer that is not one of the inner transport's
 * connected peers are dropped unread (`'unknown-peer'`), inflate work is capped per peer per
 * second (`inflateBytesPerSecond`), and every malformed, out-of-range, duplicate or oversized
 * frame is dropped and reported through `onError`; nothing a peer sends throws out of the inner
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
  private readonly reassembler: Reassembler;
  private readonly inflateBudget: InflateBudget;
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
    this.reassembler = new Reassembler(this.config, (code, peerId, detail) =>
      this.report(code, peerId, detail),
    );
    this.inflateBudget = new InflateBudget(this.config);
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
    this.reassembler.clear();
    this.inflateBudget.clear();
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
    return this.reassembler.stats(peerId);
  }

  /**
   * Discards incomplete messages that received no new segment for `reassemblyTimeout`,
   * reporting each as `'reassembly-timeout'`. Runs on every incoming frame; call it yourself to
   * free memory when no traffic arrives.
   * @returns How many incomplete messages were discarded.
   */
  discardExpired(): number {
    return this.reassembler.discardExpired();
  }

  private transmit(message: Uint8Array, reliable: boolean, peerId: string | null): void {
    const c = this.config;
    if (message.byteLength > c.maxMessageBytes) {
      throw new RbnError(
        'MESSAGE_TOO_LARGE',
        `TransformingTransport: message of ${message.byteLength} bytes is larger than maxMessageBytes (${c.maxMessageBytes})`,
      );
    }
    const { kind, body } = compressForSending(message, c);
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
    this.transmitSegments(kind, body, peerId);
  }

  /** Sends one frame `[kind, ...body]` as segments of at most `maxSegmentSize` bytes. */
  private transmitSegments(kind: number, body: Uint8Array, peerId: string | null): void {
    const c = this.config;
    const frameBytes = 1 + body.byteLength;
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
    this.reassembler.discardExpired();
    if (!this.inner.connectedPeers.has(peerId)) {
      // Nothing from outside the room is decoded, reassembled or inflated.
      this.report(
        'unknown-peer',
        peerId,
        `frame of ${data.byteLength} bytes from a peer that is not connected; dropped unread`,
      );
      return;
    }
    if (data.byteLength === 0) {
      this.report('malformed-header', peerId, 'empty frame');
      return;
    }
    if (data[0] !== KIND_SEGMENT) {
      this.receiveFrame(peerId, data);
      return;
    }
    const frame = this.reassembler.receiveSegment(peerId, data);
    if (frame !== null) this.receiveFrame(peerId, frame);
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
      const result = this.inflateBudget.inflate(peerId, body);
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

  private forgetPeer(peerId: string): void {
    this.reassembler.forgetPeer(peerId);
    this.inflateBudget.forget(peerId);
  }

  private report(code: TransformErrorCode, peerId: string | null, detail: string): void {
    this.onError?.({ code, peerId, detail });
  }
}
