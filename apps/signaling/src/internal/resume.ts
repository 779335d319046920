import type { Logger } from 'pino';
import type { Backend } from './backend.js';
import { GraceStore } from './grace.js';
import type { GraceEntry } from './grace.js';

/** Where {@link ResumeGrace} reports what it did. */
export type GraceReporter = {
  log: Logger;
  /** Runs a backend operation nobody awaits (logged, awaited on close). */
  background: (what: string, op: Promise<unknown>) => void;
  /** The bytes all grace buffers hold changed. */
  onBytes: (bytes: number) => void;
};

/**
 * The resume grace windows of one server: a dropped peer keeps its id and place for
 * `graceMs`, and what is sent to it meanwhile is buffered (per peer and globally bounded) for
 * a resume. A window ends by resume, by timeout, or by eviction when the global bound is hit;
 * the last two make the peer leave (group-mates get `peer-left`).
 */
export class ResumeGrace {
  readonly #store: GraceStore;

  /**
   * @param backend - Rooms and groups.
   * @param graceMs - Length of a window (0: dropped peers leave at once).
   * @param maxTotalBytes - Bytes all buffers together may hold.
   * @param report - Logging and background work.
   */
  constructor(
    private readonly backend: Backend,
    private readonly graceMs: number,
    maxTotalBytes: number,
    private readonly report: GraceReporter,
  ) {
    this.#store = new GraceStore(maxTotalBytes);
  }

  /** The open window of `peerId`, left open. */
  peek(peerId: string): GraceEntry | undefined {
    return this.#store.get(peerId);
  }

  /** A joined peer's socket dropped: open its window with what it had not been sent yet. */
  start(peerId: string, epoch: number, room: string, buffer: string[], bytes: number): void {
    if (this.graceMs <= 0) {
      this.report.background('leave', this.backend.leave(peerId, epoch, true));
      return;
    }
    const timer = setTimeout(() => {
      if (this.#store.remove(peerId, epoch)) this.#changed();
      this.report.log.info({ peerId, room }, 'resume grace window ended');
      this.report.background('leave', this.backend.leave(peerId, epoch, true));
    }, this.graceMs);
    timer.unref();
    const cancel = () => clearTimeout(timer);
    this.#ended(this.#store.hold({ peerId, epoch, room, buffer, bytes, cancel }));
  }

  /** Buffers a message for a peer in its window (no-op otherwise). */
  buffer(peerId: string, json: string): void {
    this.#ended(this.#store.append(peerId, json));
  }

  /**
   * Closes the window of `peerId` (of `epoch`, when given) without a leave.
   * @returns What it buffered, or `undefined` when no such window was open.
   */
  take(peerId: string, epoch?: number): GraceEntry | undefined {
    const entry = this.#store.remove(peerId, epoch);
    if (!entry) return undefined;
    entry.cancel();
    this.#changed();
    return entry;
  }

  /** Closes every window (shutdown; the backend forgets the peers itself). */
  clear(): void {
    this.#store.clear();
    this.#changed();
  }

  /** Closes every window and makes its peer leave now. */
  leaveAll(): void {
    for (const entry of this.#store.clear()) {
      this.report.background('leave', this.backend.leave(entry.peerId, entry.epoch, true));
    }
    this.#changed();
  }

  #ended(evicted: GraceEntry[]): void {
    for (const entry of evicted) {
      this.report.log.warn(
        { peerId: entry.peerId, room: entry.room },
        'resume grace window evicted: grace buffers over their global bound',
      );
      this.report.background('leave', this.backend.leave(entry.peerId, entry.epoch, true));
    }
    this.#changed();
  }

  #changed(): void {
    this.report.onBytes(this.#store.bytes);
  }
}
