import type { Tick } from '@rbn/protocol';

/** `leaveTick` of a player that has not left. Ticks are below 2^31, so this is never reached. */
export const NEVER: Tick = 0x7fffffff;

const NO_TICK = -1;

/**
 * The bytes per slot a buffer starts with (see {@link InputBuffer}): enough for most games'
 * inputs, and small enough that neighbouring ticks share a cache line.
 */
const INITIAL_STRIDE = 8;

/** Copies `input` into `slab` at `offset`; a plain loop beats `set` for the usual tiny inputs. */
function copyInto(slab: Uint8Array, offset: number, input: Uint8Array): void {
  const length = input.length;
  if (length > 16) {
    slab.set(input, offset);
    return;
  }
  for (let i = 0; i < length; i++) slab[offset + i] = input[i] as number;
}

/**
 * One player's inputs in a ring of `capacity` ticks (a power of two), stored in typed arrays:
 * one byte slab of `capacity × stride` for received inputs and one for the inputs the engine
 * actually used when it last simulated each tick (received or predicted), each with a length per
 * slot and the tick the slot holds (`-1` when empty). A slot is valid for tick `t` only while it
 * still holds `t`, so the ring needs no explicit eviction. The stride starts at
 * {@link INITIAL_STRIDE} bytes and widens (up to `maxInputBytes`) the first time a longer input
 * is stored: compact slabs keep the engine's walk over them in few cache lines.
 *
 * Also tracks the player's lifetime `[joinTick, leaveTick)` and the highest tick `receivedTick`
 * such that every input of ticks `joinTick..receivedTick` has arrived.
 */
export class InputBuffer {
  readonly capacity: number;
  readonly maxInputBytes: number;
  joinTick: Tick;
  leaveTick: Tick = NEVER;
  /** Highest T such that every input of ticks joinTick..T has arrived (joinTick - 1 at first). */
  receivedTick: Tick;
  /** At least the highest tick stored (so none is held past `receivedTick` when not above it). */
  #highest: Tick = NO_TICK;

  readonly #mask: number;
  /** Bytes per slot in `data` and `usedData` (see {@link InputBuffer.widen}). */
  #stride: number;
  #data: Uint8Array;
  readonly #lengths: Uint16Array;
  readonly #ticks: Int32Array;
  readonly #views: (Uint8Array | undefined)[];
  /** The length of each cached view in `views` (-1: none), read instead of the view's own. */
  readonly #viewLengths: Int32Array;
  #usedData: Uint8Array;
  readonly #usedLengths: Uint16Array;
  readonly #usedTicks: Int32Array;
  /** 1 where the used input is the received one (kept in the received slab, not copied). */
  readonly #usedReceived: Uint8Array;
  readonly #usedViews: (Uint8Array | undefined)[];
  /** The length of each cached view in `usedViews` (-1: none). */
  readonly #usedViewLengths: Int32Array;

  /**
   * @param capacity - Ticks the ring holds; must be a power of two.
   * @param maxInputBytes - Largest input stored.
   * @param joinTick - First tick whose input counts.
   */
  constructor(capacity: number, maxInputBytes: number, joinTick: Tick) {
    this.capacity = capacity;
    this.#mask = capacity - 1;
    this.maxInputBytes = maxInputBytes;
    this.joinTick = joinTick;
    this.receivedTick = joinTick - 1;
    this.#stride = Math.min(maxInputBytes, INITIAL_STRIDE);
    this.#data = new Uint8Array(capacity * this.#stride);
    this.#lengths = new Uint16Array(capacity);
    this.#ticks = new Int32Array(capacity).fill(NO_TICK);
    this.#views = new Array<Uint8Array | undefined>(capacity).fill(undefined);
    this.#viewLengths = new Int32Array(capacity).fill(-1);
    this.#usedData = new Uint8Array(capacity * this.#stride);
    this.#usedLengths = new Uint16Array(capacity);
    this.#usedTicks = new Int32Array(capacity).fill(NO_TICK);
    this.#usedReceived = new Uint8Array(capacity);
    this.#usedViews = new Array<Uint8Array | undefined>(capacity).fill(undefined);
    this.#usedViewLengths = new Int32Array(capacity).fill(-1);
  }

  /** Whether `tick` lies in the player's lifetime. */
  isActiveAt(tick: Tick): boolean {
    return tick >= this.joinTick && tick < this.leaveTick;
  }

  /** Whether the received input of `tick` is stored. */
  has(tick: Tick): boolean {
    return this.#ticks[tick & this.#mask] === tick;
  }

  /** The received input of `tick` (a view into the buffer, valid until the slot is reused). */
  get(tick: Tick): Uint8Array | undefined {
    const slot = tick & this.#mask;
    if (this.#ticks[slot] !== tick) return undefined;
    return this.view(this.#data, this.#views, this.#viewLengths, slot, this.#lengths[slot] ?? 0);
  }

  /** At least the newest tick whose input is stored, contiguous or not (-1 or less: none). */
  get storedThrough(): Tick {
    return Math.max(this.receivedTick, this.#highest);
  }

  /**
   * Stores a received input (copying it) and advances `receivedTick` over contiguous inputs.
   * The caller checks the tick lies in the ring's window and the input fits.
   * @returns `'duplicate'` if this tick is already stored (the stored input is kept), else `'accepted'`.
   */
  put(tick: Tick, input: Uint8Array): 'accepted' | 'duplicate' {
    const slot = tick & this.#mask;
    if (this.#ticks[slot] === tick) return 'duplicate';
    if (input.length > this.#stride) this.widen(input.length);
    copyInto(this.#data, slot * this.#stride, input);
    this.#lengths[slot] = input.length;
    this.#ticks[slot] = tick;
    if (tick > this.#highest) this.#highest = tick;
    if (tick === this.receivedTick + 1) this.advanceReceived();
    return 'accepted';
  }

  /** Moves `receivedTick` forward over inputs that are stored. */
  advanceReceived(): void {
    let next = this.receivedTick + 1;
    while (next < this.leaveTick && this.#ticks[next & this.#mask] === next) next++;
    this.receivedTick = next - 1;
  }

  /**
   * The most recent received input of a tick in `[floor, tick)`, searching back from `tick - 1`
   * and stopping at the first tick known to be contiguous, or `undefined`.
   */
  latestBefore(tick: Tick): Uint8Array | undefined {
    const floor = Math.max(this.joinTick, tick - this.capacity + 1);
    // The usual prediction: nothing arrived past the contiguous inputs.
    const received = this.receivedTick;
    if (this.#highest <= received && tick > received) {
      return received >= floor ? this.get(received) : undefined;
    }
    const contiguous = Math.min(this.receivedTick, tick - 1);
    for (let t = tick - 1; t >= floor; t--) {
      if (this.#ticks[t & this.#mask] === t) return this.get(t);
      if (t <= contiguous) return undefined; // contiguous but evicted: too old to matter
    }
    return undefined;
  }

  /**
   * Records the received input of `tick` as the input used to simulate it; false if it has not
   * arrived (then predict and call {@link setUsed}).
   */
  useReceived(tick: Tick): boolean {
    const slot = tick & this.#mask;
    if (this.#ticks[slot] !== tick) return false;
    this.#usedTicks[slot] = tick;
    this.#usedReceived[slot] = 1;
    return true;
  }

  /** Records a predicted input used to simulate `tick` (copying it). */
  setUsed(tick: Tick, input: Uint8Array): void {
    const slot = tick & this.#mask;
    if (input.length > this.#stride) this.widen(input.length);
    copyInto(this.#usedData, slot * this.#stride, input);
    this.#usedLengths[slot] = input.length;
    this.#usedTicks[slot] = tick;
    this.#usedReceived[slot] = 0;
  }

  /** The input used when `tick` was last simulated, if still buffered. */
  getUsed(tick: Tick): Uint8Array | undefined {
    const slot = tick & this.#mask;
    if (this.#usedTicks[slot] !== tick) return undefined;
    if (this.#usedReceived[slot] === 1) return this.get(tick);
    return this.view(
      this.#usedData,
      this.#usedViews,
      this.#usedViewLengths,
      slot,
      this.#usedLengths[slot] ?? 0,
    );
  }

  /**
   * Whether the input used when `tick` was last simulated is known ({@link getUsed} gives it)
   * and holds the same bytes as `bytes`. Compares in the slab: a view of a slot is made on its
   * first use, the costliest step of it, and most inputs repeat the one before, so the engine
   * asks for a view ({@link getUsed}) only of an input that changed.
   */
  usedEquals(tick: Tick, bytes: Uint8Array): boolean {
    const slot = tick & this.#mask;
    const received = this.#usedReceived[slot] === 1;
    if (this.#usedTicks[slot] !== tick || (received && this.#ticks[slot] !== tick)) return false;
    const length = (received ? this.#lengths[slot] : this.#usedLengths[slot]) ?? 0;
    if (length !== bytes.length) return false;
    const slab = received ? this.#data : this.#usedData;
    const offset = slot * this.#stride;
    for (let i = 0; i < length; i++) if (slab[offset + i] !== bytes[i]) return false;
    return true;
  }

  /** Forgets the received inputs of every tick `>= tick`: they will be given again. */
  retractFrom(tick: Tick): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      const t = this.#ticks[slot] ?? NO_TICK;
      if (t !== NO_TICK && t >= tick) this.#ticks[slot] = NO_TICK;
    }
    if (this.receivedTick >= tick) this.receivedTick = Math.max(tick, this.joinTick) - 1;
    if (this.#highest >= tick) this.#highest = tick - 1;
  }

  /** Forgets the used inputs of every tick `>= tick` (after a state load). */
  forgetUsedFrom(tick: Tick): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      if ((this.#usedTicks[slot] ?? NO_TICK) >= tick) this.#usedTicks[slot] = NO_TICK;
    }
  }

  /**
   * Treats every input of ticks `< tick` as received (state load) and forgets the ones held,
   * unless `keep`: the local player's inputs stay readable, because peers that have not
   * acknowledged them still need them resent.
   */
  dropBefore(tick: Tick, keep = false): void {
    for (let slot = 0; slot < this.capacity && !keep; slot++) {
      const t = this.#ticks[slot] ?? NO_TICK;
      if (t !== NO_TICK && t < tick) this.#ticks[slot] = NO_TICK;
    }
    if (this.receivedTick < tick - 1) this.receivedTick = tick - 1;
    this.advanceReceived();
  }

  /**
   * Widens the stride to fit an input of `length` bytes (at most `maxInputBytes`, which the
   * engine checks first): doubling it as often as needed, copying both slabs to the new stride,
   * and dropping the cached views (they view the old slabs).
   */
  private widen(length: number): void {
    let stride = Math.max(1, this.#stride * 2);
    while (stride < length) stride *= 2;
    stride = Math.min(stride, this.maxInputBytes);
    this.#data = restride(this.#data, this.#lengths, this.#stride, stride);
    this.#usedData = restride(this.#usedData, this.#usedLengths, this.#stride, stride);
    this.#stride = stride;
    this.#viewLengths.fill(-1);
    this.#usedViewLengths.fill(-1);
  }

  /**
   * The view of `length` bytes at `slot` in `slab`, made once and cached per slot until the
   * length changes. The cached length is kept in a typed array: reading a view's own `length`
   * costs more on this path, which runs for every player on every simulated tick.
   */
  private view(
    slab: Uint8Array,
    views: (Uint8Array | undefined)[],
    viewLengths: Int32Array,
    slot: number,
    length: number,
  ): Uint8Array {
    if (viewLengths[slot] === length) return views[slot] as Uint8Array;
    const offset = slot * this.#stride;
    const fresh = slab.subarray(offset, offset + length);
    views[slot] = fresh;
    viewLengths[slot] = length;
    return fresh;
  }
}

/** A copy of `slab` (slots of `from` bytes, `lengths` of them used) with slots of `to` bytes. */
function restride(slab: Uint8Array, lengths: Uint16Array, from: number, to: number): Uint8Array {
  const slots = lengths.length;
  const wider = new Uint8Array(slots * to);
  for (let slot = 0; slot < slots; slot++) {
    const length = lengths[slot] ?? 0;
    wider.set(slab.subarray(slot * from, slot * from + length), slot * to);
  }
  return wider;
}
