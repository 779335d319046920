import { diffStates } from '@rbn/session';
import { describe, expect, it } from 'vitest';
import { ArenaGame } from './arena';
import { Button } from './input';

describe('ArenaGame.describe', () => {
  it('gives a JSON-able view whose diff names the fields a corruption changed', () => {
    const game = new ArenaGame(7);
    const inputs = new Map([
      ['alice', Uint8Array.of(Button.Right)],
      ['bob', Uint8Array.of(0)],
    ]);
    for (let t = 0; t < 10; t++) game.step(inputs);
    const before = game.serialize().slice();
    const view = game.describe(before) as { tick: number; players: unknown[] };
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    expect(view.tick).toBe(10);
    game.corrupt();
    const diff = diffStates(before, game.serialize().slice(), (s) => game.describe(s));
    const paths = diff.paths?.map((p) => p.path) ?? [];
    expect(paths).toContain('coin.x');
    expect(paths).toContain('players[0].x');
    expect(paths).toContain('players[1].x');
    expect(
      paths.every((p) => /^(coin\.(x|timer)|players\[[01]\]\.x)$/.test(p)),
      paths.join(),
    ).toBe(true);
  });
});
