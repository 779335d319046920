/** Bytes of a {@link Random}'s serialized state. */
export const RANDOM_STATE_BYTES = 16;

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** One step of a 32-bit integer hash (a multiply-xorshift finalizer) for seeding. */
function mix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Writes a 32-bit word little-endian. */
function writeWord(target: Uint8Array, offset: number, word: number): void {
  target[offset] = word & 0xff;
  target[offset + 1] = (word >>> 8) & 0xff;
  target[offset + 2] = (word >>> 16) & 0xff;
  target[offset + 3] = (word >>> 24) & 0xff;
}

/** Reads a 32-bit word little-endian, as a signed 32-bit integer. */
function readWord(source: Uint8Array, offset: number): number {
  return (
    (source[offset] ?? 0) |
    ((source[offset + 1] ?? 0) << 8) |
    ((source[offset + 2] ?? 0) << 16) |
    ((source[offset + 3] ?? 0) << 24)
  );
}

/**
 * A small, fast, seedable pseudo-random generator for simulation code: sfc32 (Chris Doty-
 * Humphrey's "small fast chaotic" generator, 128 bits of state, period at least 2^32), written
 * with 32-bit integer operations only, so every engine produces the same sequence. Its whole
 * state is 16 bytes that serialize with the game state and roll back with it. Not for
 * cryptography.
 *
 * @example
 * ```ts
 * import { createRandom } from '@rbn/determinism';
 *
 * const random = createRandom(1234);
 * const roll = 1 + random.nextInt(6); // 1..6
 * const saved = random.serialize(); // 16 bytes, e.g. inside Game.serialize()
 * random.deserialize(saved); // back to the same point of the sequence
 * ```
 */
export class Random {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;

  /**
   * @param seed - Any number; its low 32 bits (as an integer) choose the sequence.
   */
  constructor(seed: number) {
    const s = seed >>> 0;
    this.#a = mix32(s);
    this.#b = mix32(s ^ 0x9e3779b9);
    this.#c = mix32(s ^ 0x3c6ef372);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * The next value of the sequence.
   * @returns An unsigned 32-bit integer, uniform in [0, 2^32).
   */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /**
   * A float from two draws, with all 53 bits of a double's significand random.
   * @returns A number uniform in [0, 1).
   */
  nextFloat(): number {
    const high = this.nextUint32() >>> 11; // 21 bits
    const low = this.nextUint32(); // 32 bits
    return (high * TWO_POW_32 + low) / TWO_POW_53;
  }

  /**
   * A uniform integer below `max`, without modulo bias (rejection sampling).
   * @param max - The exclusive upper bound: an integer in [1, 2^32].
   * @returns An integer in [0, max).
   * @throws RangeError when `max` is not an integer in [1, 2^32].
   */
  nextInt(max: number): number {
    if (!Number.isInteger(max) || max < 1 || max > TWO_POW_32) {
      throw new RangeError(`Random.nextInt: max must be an integer in [1, 2^32], got ${max}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % max);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % max;
    }
  }

  /**
   * Writes the state into `target` at `offset` (16 bytes, little-endian), allocating nothing.
   * @param target - Where to write.
   * @param offset - The first byte to write. @default 0
   */
  writeState(target: Uint8Array, offset = 0): void {
    if (offset < 0 || offset + RANDOM_STATE_BYTES > target.length) {
      throw new RangeError(`Random.writeState: 16 bytes do not fit at offset ${offset}`);
    }
    writeWord(target, offset, this.#a);
    writeWord(target, offset + 4, this.#b);
    writeWord(target, offset + 8, this.#c);
    writeWord(target, offset + 12, this.#d);
  }

  /**
   * Replaces the state with 16 bytes written by {@link Random.writeState} or
   * {@link Random.serialize}.
   * @param source - Where to read.
   * @param offset - The first byte to read. @default 0
   * @throws RangeError when fewer than 16 bytes are available.
   */
  readState(source: Uint8Array, offset = 0): void {
    if (offset < 0 || offset + RANDOM_STATE_BYTES > source.length) {
      throw new RangeError(`Random.readState: need 16 bytes at offset ${offset}`);
    }
    this.#a = readWord(source, offset);
    this.#b = readWord(source, offset + 4);
    this.#c = readWord(source, offset + 8);
    this.#d = readWord(source, offset + 12);
  }

  /**
   * The state as 16 new bytes.
   * @returns The serialized state.
   */
  serialize(): Uint8Array {
    const bytes = new Uint8Array(RANDOM_STATE_BYTES);
    this.writeState(bytes);
    return bytes;
  }

  /**
   * Restores a state from {@link Random.serialize}.
   * @param bytes - The 16 bytes.
   */
  deserialize(bytes: Uint8Array): void {
    this.readState(bytes);
  }

  /**
   * An independent copy at the same point of the sequence.
   * @returns The copy.
   */
  clone(): Random {
    const copy = new Random(0);
    copy.readState(this.serialize());
    return copy;
  }
}

/**
 * Creates a seeded generator.
 * @param seed - Any number; its low 32 bits choose the sequence. Every peer must use the same.
 * @returns A new {@link Random}.
 * @example
 * ```ts
 * const random = createRandom(42);
 * random.nextFloat(); // the same number in every engine
 * ```
 */
export function createRandom(seed: number): Random {
  return new Random(seed);
}

/**
 * Creates a generator from a saved state.
 * @param bytes - 16 bytes from {@link Random.serialize}.
 * @returns A generator that continues that sequence.
 */
export function randomFromState(bytes: Uint8Array): Random {
  const random = new Random(0);
  random.readState(bytes);
  return random;
}
