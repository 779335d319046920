import { Inflate } from 'pako';

/** Output chunk of the streaming inflater: the most it can overshoot the limit by, once. */
const CHUNK_BYTES = 64 * 1024;

/** Thrown from `onData` to stop the inflater as soon as the output passes the limit. */
class InflateLimitReached extends Error {}

/** The outcome of {@link inflateBounded}. */
export type InflateResult = (
  | { ok: true; bytes: Uint8Array }
  | { ok: false; code: 'inflate-too-large' | 'inflate-failed'; detail: string }
) & {
  /** Bytes the inflater produced, kept or not: the work done (at most `limit` + one chunk). */
  inflatedBytes: number;
};

/**
 * Inflates a zlib stream without ever holding more than `limit` (+ one 64 KiB chunk) of
 * output: the streaming inflater hands its output over chunk by chunk, and the first chunk
 * past the limit aborts it. A deflate bomb costs at most that much memory and work.
 * @param data - The compressed bytes (untrusted).
 * @param limit - The largest accepted inflated size, in bytes.
 * @param onChunk - Test hook: called with the size of every output chunk produced.
 * @returns The inflated bytes, or why they were rejected.
 */
export function inflateBounded(
  data: Uint8Array,
  limit: number,
  onChunk?: (bytes: number) => void,
): InflateResult {
  const inflater = new Inflate({ chunkSize: CHUNK_BYTES });
  const chunks: Uint8Array[] = [];
  let total = 0;
  let status: number | undefined;
  inflater.onData = (chunk) => {
    const bytes = chunk as Uint8Array;
    onChunk?.(bytes.byteLength);
    total += bytes.byteLength;
    if (total > limit) throw new InflateLimitReached();
    chunks.push(bytes);
  };
  inflater.onEnd = (code) => {
    status = code;
  };
  try {
    inflater.push(data, true);
  } catch (error) {
    if (error instanceof InflateLimitReached) {
      return {
        ok: false,
        code: 'inflate-too-large',
        detail: `inflated size passes the limit of ${limit} bytes`,
        inflatedBytes: total,
      };
    }
    return {
      ok: false,
      code: 'inflate-failed',
      detail: `inflate threw: ${String(error)}`,
      inflatedBytes: total,
    };
  }
  if (status !== 0) {
    return {
      ok: false,
      code: 'inflate-failed',
      detail: `invalid or truncated deflate stream (${inflater.msg || `status ${String(status)}`})`,
      inflatedBytes: total,
    };
  }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0]!, inflatedBytes: total };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes, inflatedBytes: total };
}
