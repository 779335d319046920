/**
 * Chooses the snapshot interval (`snapshotInterval: 'auto'`) from what the game's own calls
 * cost: saving a state every k predicted ticks costs `serialize / k` per tick and makes a
 * rollback resimulate up to `k - 1` extra steps, so the cheapest k grows with the square root of
 * `serialize ÷ step`. Costs come from a clock the caller gives (so tests stay deterministic);
 * a clock that does not move (both costs 0) keeps the interval where it is.
 */
export class SnapshotCadence {
  /** The interval in use. */
  interval = 1;
  #stepTime = 0;
  #steps = 0;
  #serializeTime = 0;
  #serializes = 0;
  #stepCalls = 0;
  #serializeCalls = 0;

  /**
   * @param clock - Milliseconds (any origin); read around a sampled call.
   * @param maxInterval - The largest interval allowed (a rollback must stay restorable).
   * @param sampleEvery - Time one `step` call in this many, and one save in this many (reading
   * the clock costs too: about as much as a whole step of a small game).
   * @param window - Re-decide after this many timed steps.
   */
  constructor(
    private readonly clock: () => number,
    private readonly maxInterval: number,
    private readonly sampleEvery = 8,
    private readonly window = 64,
  ) {}

  /** Whether to time the coming `step` call. */
  sampleStep(): boolean {
    return ++this.#stepCalls % this.sampleEvery === 0;
  }

  /**
   * Whether to time the coming save. Saves are sampled like steps: the decision rests on the
   * average cost of each, which a regular sample keeps.
   */
  sampleSerialize(): boolean {
    return ++this.#serializeCalls % this.sampleEvery === 0;
  }

  /** The clock's reading now. */
  now(): number {
    return this.clock();
  }

  /** A timed `step` took `ms`. */
  addStep(ms: number): void {
    this.#stepTime += ms;
    if (++this.#steps >= this.window) this.decide();
  }

  /** A timed save (`serialize` and storing the state) took `ms`. */
  addSerialize(ms: number): void {
    this.#serializeTime += ms;
    this.#serializes++;
  }

  /**
   * Re-decides from the window's averages, with hysteresis: up only once the cheapest interval
   * is a whole step above the current one, down once it is half a step below.
   */
  private decide(): void {
    const steps = this.#steps;
    const serializes = this.#serializes;
    if (serializes < 4) return; // keep collecting (few predicted ticks so far)
    const step = this.#stepTime / steps;
    const serialize = this.#serializeTime / serializes;
    this.#stepTime = 0;
    this.#steps = 0;
    this.#serializeTime = 0;
    this.#serializes = 0;
    if (serialize <= 0 && step <= 0) return; // a clock that does not move tells nothing
    const best = step > 0 ? Math.sqrt(serialize / step) : Number.POSITIVE_INFINITY;
    const current = this.interval;
    let next = current;
    if (best >= current + 1) next = Math.floor(best);
    else if (best < current - 0.5) next = Math.max(1, Math.round(best));
    this.interval = Math.min(this.maxInterval, Math.max(1, next));
  }
}
