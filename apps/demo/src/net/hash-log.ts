/**
 * The game's hash after every simulated tick, by game tick, in a ring buffer. A rollback
 * resimulates ticks and overwrites their entries, so an entry is final once its tick is
 * confirmed. Peers whose entries differ at a confirmed tick have desynchronized.
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
