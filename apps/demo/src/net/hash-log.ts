/**
 * Game hashes by game tick, in a ring buffer: the log of every simulated tick, or the hashes of
 * confirmed ticks (see `RecordingGame`). Peers whose confirmed entries differ at a tick have
 * desynchronized.
 */
export class HashLog {
  private readonly ticks: Float64Array;
  private readonly values: Uint32Array;

  /**
   * @param capacity - Ticks remembered (a power of two). @default 4096
   */
  constructor(private readonly capacity = 4096) {
    this.ticks = new Float64Array(capacity).fill(-1);
    this.values = new Uint32Array(capacity);
  }

  /**
   * Records the hash of the state at a tick.
   * @param tick - The game tick (the state after `tick` steps).
   * @param hash - The state's hash.
   */
  set(tick: number, hash: number): void {
    const i = tick & (this.capacity - 1);
    this.ticks[i] = tick;
    this.values[i] = hash >>> 0;
  }

  /**
   * Forgets the ticks after `tick` (a rollback simulates them again).
   * @param tick - The newest tick kept.
   * @param newest - The newest tick recorded.
   */
  forgetAfter(tick: number, newest: number): void {
    for (let t = Math.max(tick + 1, newest - this.capacity + 1); t <= newest; t++) {
      const i = t & (this.capacity - 1);
      if (this.ticks[i] === t) this.ticks[i] = -1;
    }
  }

  /** Forgets every tick. */
  clear(): void {
    this.ticks.fill(-1);
  }

  /**
   * @param tick - A game tick.
   * @returns The hash recorded for it, or `undefined` when it is not (or no longer) known.
   */
  get(tick: number): number | undefined {
    const i = tick & (this.capacity - 1);
    return this.ticks[i] === tick ? this.values[i] : undefined;
  }

  /**
   * @param from - First tick wanted.
   * @param to - Last tick wanted (inclusive).
   * @returns `[tick, hash]` for every known tick in the range.
   */
  range(from: number, to: number): [number, number][] {
    const out: [number, number][] = [];
    for (let t = Math.max(from, to - this.capacity + 1); t <= to; t++) {
      const hash = this.get(t);
      if (hash !== undefined) out.push([t, hash]);
    }
    return out;
  }
}
