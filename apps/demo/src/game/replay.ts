import { createRandom } from '@rbn/determinism';
import type { PlayerId } from '@rbn/protocol';
import { ArenaGame } from './arena';

/**
 * A seeded script of inputs, as a recorded replay would hold them: each player changes the
 * buttons it holds every few ticks (at random), dashing often.
 * @param seed - Seed of the script.
 * @param ticks - How many ticks of inputs to make.
 * @param ids - The players, present from the first tick.
 * @returns One input map per tick.
 */
export function scriptedInputs(
  seed: number,
  ticks: number,
  ids: readonly PlayerId[],
): Map<PlayerId, Uint8Array>[] {
  const random = createRandom(seed);
  const frames: Map<PlayerId, Uint8Array>[] = [];
  const held = new Map(ids.map((id) => [id, 0]));
  for (let t = 0; t < ticks; t++) {
    const frame = new Map<PlayerId, Uint8Array>();
    for (const id of ids) {
      const value = random.nextUint32();
      if (value % 8 === 0) held.set(id, (value >>> 8) & 31);
      frame.set(id, Uint8Array.of(held.get(id) ?? 0));
    }
    frames.push(frame);
  }
  return frames;
}

/**
 * Replays a scripted match and records the state hash after every tick: two engines that
 * compute the game identically give identical sequences.
 * @param seed - Seed of the game and of the input script.
 * @param ticks - How many ticks to play.
 * @param ids - The players.
 * @returns The hash after each tick.
 */
export function replayHashes(seed: number, ticks: number, ids: readonly PlayerId[]): number[] {
  const game = new ArenaGame(seed);
  const hashes: number[] = [];
  for (const frame of scriptedInputs(seed, ticks, ids)) {
    game.step(frame);
    hashes.push(game.hash());
  }
  return hashes;
}
