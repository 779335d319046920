/**
 * A seeded generator of numbers in [0, 1) (mulberry32): the same seed gives the same sequence,
 * so a test that draws from it is deterministic and its seed reproduces a failure.
 * @param seed - Any 32-bit integer.
 * @returns The next number on each call.
 */
// The same generator as @rbn/core's test utilities: packages share no test code (core's
// test-utils are not part of what it publishes), so each keeps its own copy of these lines.
// jscpd:ignore-start
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// jscpd:ignore-end
