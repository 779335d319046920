/** Frame kind byte: a whole message, raw. */
export const KIND_RAW = 0x00;
/** Frame kind byte: a whole message, deflate-compressed (zlib wrapper). */
export const KIND_COMPRESSED = 0x01;
/** Frame kind byte: one segment of a larger frame. */
export const KIND_SEGMENT = 0x02;

/**
 * Segment header: kind (1) | message id (u32 BE) | index (u16 BE) | total (u16 BE), then the
 * segment's bytes. The segments of one message, concatenated, form a whole frame (its first
 * byte is {@link KIND_RAW} or {@link KIND_COMPRESSED}).
 */
export const SEGMENT_HEADER_BYTES = 9;
/** Largest segment count the header can express. */
export const MAX_SEGMENT_COUNT = 0xffff;

/**
 * Writes a segment header.
 * @param out - Destination, at least {@link SEGMENT_HEADER_BYTES} long.
 * @param messageId - The message id (u32).
 * @param index - The segment index (u16).
 * @param total - The segment count (u16).
 */
export function writeSegmentHeader(
  out: Uint8Array,
  messageId: number,
  index: number,
  total: number,
): void {
  out[0] = KIND_SEGMENT;
  out[1] = messageId >>> 24;
  out[2] = (messageId >>> 16) & 0xff;
  out[3] = (messageId >>> 8) & 0xff;
  out[4] = messageId & 0xff;
  out[5] = index >>> 8;
  out[6] = index & 0xff;
  out[7] = total >>> 8;
  out[8] = total & 0xff;
}

/** A parsed segment header. */
export type SegmentHeader = { messageId: number; index: number; total: number };

/**
 * Reads a segment header (the caller checked the kind byte and the length).
 * @param data - A segment frame of at least {@link SEGMENT_HEADER_BYTES} bytes.
 * @returns The header fields.
 */
export function readSegmentHeader(data: Uint8Array): SegmentHeader {
  return {
    messageId: ((data[1]! << 24) | (data[2]! << 16) | (data[3]! << 8) | data[4]!) >>> 0,
    index: (data[5]! << 8) | data[6]!,
    total: (data[7]! << 8) | data[8]!,
  };
}
