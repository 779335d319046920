// The test game's record of confirmed hashes: what a peer would report for a confirmed tick,
// never a stale guess from a history it left by loading a state.
import { describe, expect, it } from 'vitest';
import { HashGame } from '../src/hash-game';

const input = (byte: number) => new Map([['p', new Uint8Array([byte])]]);

function play(game: HashGame, bytes: number[]): void {
  for (const b of bytes) game.step(input(b));
}

describe('HashGame', () => {
  it('keeps the hash a tick had when confirmed; a rollback re-simulates the ticks after it', () => {
    const game = new HashGame();
    play(game, [1, 2]);
    const s2 = game.serialize();
    play(game, [3, 4]);
    game.deserialize(s2);
    play(game, [5, 6]);
    game.confirm(4);
    const again = new HashGame();
    play(again, [1, 2, 5, 6]);
    again.confirm(4);
    expect([...game.hashes]).toEqual([...again.hashes]);
    expect(game.skipped.size).toBe(0);
  });

  it('a state loaded from elsewhere leaves the ticks it jumped over skipped, and no stale guess', () => {
    const other = new HashGame();
    play(other, [1, 2, 3, 4, 5, 6]);
    const game = new HashGame();
    play(game, [1, 2, 9]); // tick 3 predicted wrong, never confirmed here
    game.confirm(2);
    game.deserialize(other.serialize()); // back from away at tick 6
    play(game, [7]);
    game.confirm(7);
    other.step(input(7));
    other.confirm(7);
    expect([...game.skipped]).toEqual([3, 4, 5, 6]);
    expect(game.hashes.get(3)).toBeUndefined();
    expect(game.hashes.get(7)).toBe(other.hashes.get(7));
    expect(game.hashes.get(2)).toBe(other.hashes.get(2));
  });
});
