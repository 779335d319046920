import { SEGMENT_OVERHEAD_BYTES, SEGMENT_SLOT_BYTES } from './config';
import type { ResolvedConfig } from './config';
import { KIND_SEGMENT, SEGMENT_HEADER_BYTES, readSegmentHeader } from './internal/wire';
import type { TransformErrorCode } from './transform-error';

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

/** Reports one dropped segment or message. */
export type ReportFn = (code: TransformErrorCode, peerId: string, detail: string) => void;

/** An incomplete message: the segments received so far. */
type PartialMessage = {
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
  partials: Map<number, PartialMessage>;
  bufferedBytes: number;
  recent: number[];
  recentNext: number;
};

type SegmentHeader = { messageId: number; index: number; total: number };
/** A segment that passed the header checks: its header, payload size and memory cost. */
type Arrival = SegmentHeader & { chunkBytes: number; cost: number };

/**
 * Joins the segments of large messages per peer and per message id, within bounded memory:
 * every malformed, duplicate or oversized segment is dropped and reported, and a peer's
 * incomplete messages are freed on timeout, when over a limit, and when the peer leaves.
 */
export class Reassembler {
  private readonly peers = new Map<string, PeerReassembly>();
  private partialCount = 0;

  /**
   * @param config - The resolved limits and clock.
   * @param report - Called for every dropped segment or message.
   */
  constructor(
    private readonly config: ResolvedConfig,
    private readonly report: ReportFn,
  ) {}

  /**
   * Takes one segment frame from a peer.
   * @param peerId - The sender.
   * @param data - The whole segment frame (header and bytes; copied when kept).
   * @returns The reassembled frame (kind byte + body) once the last segment arrived, else `null`.
   */
  receiveSegment(peerId: string, data: Uint8Array): Uint8Array | null {
    const header = this.checkHeader(peerId, data);
    if (header === null) return null;
    const peer = this.peerFor(peerId);
    const chunkBytes = data.byteLength - SEGMENT_HEADER_BYTES;
    // A held segment costs more than its payload (see SEGMENT_OVERHEAD_BYTES); a new message
    // also costs its segment table.
    let cost = chunkBytes + SEGMENT_OVERHEAD_BYTES;
    let partial = peer.partials.get(header.messageId);
    if (partial === undefined) {
      cost += header.total * SEGMENT_SLOT_BYTES;
      partial = this.startMessage(peerId, peer, { ...header, chunkBytes, cost }) ?? undefined;
    } else if (!this.acceptsSegment(peerId, peer, partial, { ...header, chunkBytes, cost })) {
      partial = undefined;
    }
    if (partial === undefined) return null;
    partial.chunks[header.index] = data.slice(SEGMENT_HEADER_BYTES);
    partial.received++;
    partial.bytes += chunkBytes;
    partial.charged += cost;
    partial.lastSegmentAt = this.config.now();
    peer.bufferedBytes += cost;
    if (partial.received < partial.total) return null;
    return this.complete(peerId, peer, header.messageId, partial);
  }

  /**
   * Discards incomplete messages that received no new segment for `reassemblyTimeout`,
   * reporting each as `'reassembly-timeout'`.
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

  /**
   * Reassembly memory in use.
   * @param peerId - One peer, or omitted for all peers.
   * @returns The number of incomplete messages and their charged bytes.
   */
  stats(peerId?: string): ReassemblyStats {
    if (peerId !== undefined) {
      const peer = this.peers.get(peerId);
      return { partialMessages: peer?.partials.size ?? 0, bufferedBytes: peer?.bufferedBytes ?? 0 };
    }
    let bufferedBytes = 0;
    for (const peer of this.peers.values()) bufferedBytes += peer.bufferedBytes;
    return { partialMessages: this.partialCount, bufferedBytes };
  }

  /**
   * Frees everything held for a peer.
   * @param peerId - The peer that left.
   */
  forgetPeer(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (peer === undefined) return;
    this.partialCount -= peer.partials.size;
    this.peers.delete(peerId);
  }

  /** Frees everything held for every peer. */
  clear(): void {
    this.peers.clear();
    this.partialCount = 0;
  }

  /** Checks the header fields on their own; reports and returns `null` when they are bad. */
  private checkHeader(peerId: string, data: Uint8Array): SegmentHeader | null {
    if (data.byteLength <= SEGMENT_HEADER_BYTES) {
      this.report('malformed-header', peerId, `segment of ${data.byteLength} bytes has no payload`);
      return null;
    }
    const header = readSegmentHeader(data);
    const { messageId, index, total } = header;
    if (total < 2) {
      this.report('malformed-header', peerId, `segment total ${total} is below 2`);
    } else if (total > this.config.maxSegments) {
      this.report(
        'too-many-segments',
        peerId,
        `message ${messageId} declares ${total} segments, more than maxSegments (${this.config.maxSegments})`,
      );
    } else if (index >= total) {
      this.report(
        'bad-segment-index',
        peerId,
        `segment index ${index} of message ${messageId} is out of range (total ${total})`,
      );
    } else {
      return header;
    }
    return null;
  }

  private peerFor(peerId: string): PeerReassembly {
    let peer = this.peers.get(peerId);
    if (peer === undefined) {
      peer = { partials: new Map(), bufferedBytes: 0, recent: [], recentNext: 0 };
      this.peers.set(peerId, peer);
    }
    return peer;
  }

  /** The first segment of a message: checks the peer's limits and opens the message. */
  private startMessage(
    peerId: string,
    peer: PeerReassembly,
    { messageId, index, total, chunkBytes, cost }: Arrival,
  ): PartialMessage | null {
    const c = this.config;
    if (peer.recent.includes(messageId)) {
      this.report(
        'duplicate-segment',
        peerId,
        `segment ${index} of message ${messageId}, which is already complete`,
      );
      return null;
    }
    if (peer.partials.size >= c.maxPartialMessages) {
      this.report(
        'too-many-partial-messages',
        peerId,
        `message ${messageId} dropped: ${peer.partials.size} incomplete messages already (maxPartialMessages)`,
      );
      return null;
    }
    if (chunkBytes > c.maxFrameBytes || peer.bufferedBytes + cost > c.maxReassemblyBytes) {
      this.reportTooLarge(peerId, messageId, chunkBytes > c.maxFrameBytes);
      return null;
    }
    const partial: PartialMessage = {
      total,
      chunks: new Array<Uint8Array | undefined>(total),
      received: 0,
      bytes: 0,
      charged: 0,
      lastSegmentAt: 0,
    };
    peer.partials.set(messageId, partial);
    this.partialCount++;
    return partial;
  }

  /** A later segment of an open message: consistent, new, and within the limits. */
  private acceptsSegment(
    peerId: string,
    peer: PeerReassembly,
    partial: PartialMessage,
    { messageId, index, total, chunkBytes, cost }: Arrival,
  ): boolean {
    const c = this.config;
    if (partial.total !== total) {
      this.report(
        'segment-total-mismatch',
        peerId,
        `segment ${index} of message ${messageId} says total ${total}, earlier segments said ${partial.total}`,
      );
      return false;
    }
    if (partial.chunks[index] !== undefined) {
      this.report('duplicate-segment', peerId, `segment ${index} of message ${messageId} again`);
      return false;
    }
    const frameTooLarge = partial.bytes + chunkBytes > c.maxFrameBytes;
    if (frameTooLarge || peer.bufferedBytes + cost > c.maxReassemblyBytes) {
      this.dropPartial(peer, messageId, partial);
      this.reportTooLarge(peerId, messageId, frameTooLarge);
      return false;
    }
    return true;
  }

  /** Frees the bookkeeping first, then joins the segments into the frame. */
  private complete(
    peerId: string,
    peer: PeerReassembly,
    messageId: number,
    partial: PartialMessage,
  ): Uint8Array | null {
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
      return null;
    }
    return frame;
  }

  private dropPartial(peer: PeerReassembly, id: number, partial: PartialMessage): void {
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
}
