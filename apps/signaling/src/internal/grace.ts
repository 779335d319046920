import { BUFFER_BYTES_LIMIT, BUFFER_COUNT_LIMIT } from './limits.js';

/**
 * Appends `json` to a bounded per-peer buffer (at most {@link BUFFER_COUNT_LIMIT} messages and
 * {@link BUFFER_BYTES_LIMIT} characters); beyond that it is dropped, as a dead socket would
 * have dropped it.
 * @returns The characters added (0 when the buffer was full).
 */
export function pushBounded(buffer: string[], bytes: number, json: string): number {
  if (buffer.length >= BUFFER_COUNT_LIMIT || bytes + json.length > BUFFER_BYTES_LIMIT) return 0;
  buffer.push(json);
  return json.length;
}

/** A dropped peer's place during its resume grace window, and what was sent to it meanwhile. */
export type GraceEntry = {
  peerId: string;
  epoch: number;
  room: string;
  buffer: string[];
  bytes: number;
  /** Stops the window's timer. */
  cancel: () => void;
};

/**
 * The grace windows of one server, oldest first, with a global bound on the bytes their
 * buffers hold: past `maxTotalBytes` the oldest windows are evicted (their peers leave at once,
 * so group-mates hear `peer-left` instead of waiting on signals that will never be read).
 */
export class GraceStore {
  readonly #entries = new Map<string, GraceEntry>();
  #bytes = 0;

  /** @param maxTotalBytes - Characters all buffers together may hold. */
  constructor(private readonly maxTotalBytes: number) {}

  /** Characters all buffers hold. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Windows open. */
  get size(): number {
    return this.#entries.size;
  }

  /** The window of `peerId`, if open. */
  get(peerId: string): GraceEntry | undefined {
    return this.#entries.get(peerId);
  }

  /**
   * Opens a window (replacing any older one of the peer).
   * @returns The windows evicted to stay within the global bound (the caller ends them).
   */
  hold(entry: GraceEntry): GraceEntry[] {
    this.remove(entry.peerId);
    this.#entries.set(entry.peerId, entry);
    this.#bytes += entry.bytes;
    return this.#evict();
  }

  /**
   * Buffers `json` for the peer of an open window.
   * @returns The windows evicted to stay within the global bound (possibly this one).
   */
  append(peerId: string, json: string): GraceEntry[] {
    const entry = this.#entries.get(peerId);
    if (!entry) return [];
    const added = pushBounded(entry.buffer, entry.bytes, json);
    entry.bytes += added;
    this.#bytes += added;
    return this.#evict();
  }

  /**
   * Closes the window of `peerId` (of `epoch`, when given) and returns it; its timer is left to
   * the caller.
   */
  remove(peerId: string, epoch?: number): GraceEntry | undefined {
    const entry = this.#entries.get(peerId);
    if (!entry || (epoch !== undefined && entry.epoch !== epoch)) return undefined;
    this.#entries.delete(peerId);
    this.#bytes -= entry.bytes;
    return entry;
  }

  /** Closes every window, cancelling their timers. @returns The windows it closed. */
  clear(): GraceEntry[] {
    const all = [...this.#entries.values()];
    for (const entry of all) entry.cancel();
    this.#entries.clear();
    this.#bytes = 0;
    return all;
  }

  #evict(): GraceEntry[] {
    const evicted: GraceEntry[] = [];
    for (const entry of this.#entries.values()) {
      if (this.#bytes <= this.maxTotalBytes) break;
      this.remove(entry.peerId);
      entry.cancel();
      evicted.push(entry);
    }
    return evicted;
  }
}
