import type { Tick } from '@rbn/protocol';

const NO_TICK = -1;

/**
 * Copies `state` to the start of `store`: a plain loop for small states, where `set` costs more
 * than the copy (a snapshot is saved on most predicted ticks).
 */
function copyState(store: Uint8Array, state: Uint8Array): void {
  const length = state.length;
  if (length > 16) {
    store.set(state);
    return;
  }
  for (let i = 0; i < length; i++) store[i] = state[i] as number;
}

/**
 * A ring of the last `capacity` serialized states, by tick. `save` copies the bytes into storage
 * owned by the slot (grown when a state does not fit, reused otherwise), so neither the game nor
 * a caller can change history. A state's hash is stored when it is known.
 */
export class SnapshotBuffer {
  readonly capacity: number;
  private readonly ticks: Int32Array;
  private readonly lengths: Int32Array;
  private readonly hashes: Float64Array;
  private readonly hasHash: Uint8Array;
  private readonly storage: Uint8Array[];
  private readonly views: (Uint8Array | undefined)[];
  /** The length of each cached view in `views` (-1: none), read instead of the view's own. */
  private readonly viewLengths: Int32Array;

  /** @param capacity - How many states to keep. */
  constructor(capacity: number) {
    this.capacity = capacity;
    this.ticks = new Int32Array(capacity).fill(NO_TICK);
    this.lengths = new Int32Array(capacity);
    this.hashes = new Float64Array(capacity);
    this.hasHash = new Uint8Array(capacity);
    this.storage = [];
    this.views = new Array<Uint8Array | undefined>(capacity).fill(undefined);
    this.viewLengths = new Int32Array(capacity).fill(-1);
  }

  /**
   * Saves a copy of `state` as S(tick), replacing whatever the slot held.
   * @param tick - The tick of the state.
   * @param state - The serialized state; copied.
   * @param hash - Its hash, if known.
   */
  save(tick: Tick, state: Uint8Array, hash?: number): void {
    const slot = tick % this.capacity;
    let store = this.storage[slot];
    if (store === undefined || store.length < state.length) {
      // Grow with headroom so a state that grows by a few bytes does not reallocate every time.
      store = new Uint8Array(state.length + (state.length >> 3) + 16);
      this.storage[slot] = store;
      this.views[slot] = undefined;
      this.viewLengths[slot] = -1;
    }
    copyState(store, state);
    this.ticks[slot] = tick;
    this.lengths[slot] = state.length;
    if (hash === undefined) {
      this.hasHash[slot] = 0;
    } else {
      this.hasHash[slot] = 1;
      this.hashes[slot] = hash;
    }
  }

  /** Whether S(tick) is stored. */
  has(tick: Tick): boolean {
    return tick >= 0 && this.ticks[tick % this.capacity] === tick;
  }

  /**
   * S(tick) as a view into the buffer (valid until that slot is saved again), or `undefined`.
   * Callers must not write to it.
   */
  get(tick: Tick): Uint8Array | undefined {
    if (!this.has(tick)) return undefined;
    const slot = tick % this.capacity;
    const length = this.lengths[slot] ?? 0;
    if (this.viewLengths[slot] === length) return this.views[slot];
    const store = this.storage[slot];
    if (store === undefined) return undefined;
    const view = store.subarray(0, length);
    this.views[slot] = view;
    this.viewLengths[slot] = length;
    return view;
  }

  /** The stored hash of S(tick), or `undefined` if the state or its hash is not stored. */
  getHash(tick: Tick): number | undefined {
    if (!this.has(tick)) return undefined;
    const slot = tick % this.capacity;
    return this.hasHash[slot] === 1 ? this.hashes[slot] : undefined;
  }

  /** Records the hash of S(tick), if S(tick) is stored. */
  setHash(tick: Tick, hash: number): void {
    if (!this.has(tick)) return;
    const slot = tick % this.capacity;
    this.hasHash[slot] = 1;
    this.hashes[slot] = hash;
  }

  /** Forgets S(tick) if it is stored (it is stale). */
  drop(tick: Tick): void {
    if (this.has(tick)) this.ticks[tick % this.capacity] = NO_TICK;
  }

  /** Forgets every state. Storage is kept for reuse. */
  clear(): void {
    this.ticks.fill(NO_TICK);
    this.hasHash.fill(0);
  }
}
