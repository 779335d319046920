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
  /**
   * A compressed frame from a peer that used up its inflate budget (`inflateBytesPerSecond`):
   * dropped before inflating, or abandoned as soon as its output passed what was left.
   */
  | 'inflate-budget-exceeded'
  /** A frame from a peer that is not one of the inner transport's connected peers, never decoded. */
  | 'unknown-peer'
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
