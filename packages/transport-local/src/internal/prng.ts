/**
 * A small seeded pseudo-random generator (mulberry32): 32 bits of state, fast, and fully
 * reproducible, so a simulated network behaves the same on every run with the same seed.
 */
export class Prng {
  private state: number;

  /** @param seed - Any number; only its low 32 bits are used. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** @returns A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * Mixes a base seed with a string (a peer id) into a new 32-bit seed, so every transport of a
 * group draws from its own stream while the whole group stays reproducible from one seed.
 * @param seed - The base seed.
 * @param text - The text to mix in.
 * @returns A 32-bit unsigned seed.
 */
export function deriveSeed(seed: number, text: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}
