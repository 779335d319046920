import { RbnError } from '@rbn/protocol';
import type { PlayerId } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { GameError } from './game-error';
import { runSyncTest } from './sync-test';
import { TestGame } from './test-utils/test-game';

const inputs = (tick: number, id: PlayerId) => new Uint8Array([(tick + id.length) % 3]);

/** Reads a counter that is not part of its state: resimulation makes it diverge. */
class CounterGame extends TestGame {
  private calls = 0;
  override step(map: Map<PlayerId, Uint8Array>): void {
    super.step(map);
    this.calls++;
    if (this.calls % 5 === 0) this.checksum ^= 1;
  }
}

/** Forgets part of its state when serialized. */
class ForgetfulGame extends TestGame {
  extra = 0;
  override step(map: Map<PlayerId, Uint8Array>): void {
    super.step(map);
    this.extra++;
    this.checksum = (this.checksum + this.extra) >>> 0;
  }
}

describe('runSyncTest', () => {
  it('passes a deterministic game', () => {
    const result = runSyncTest({
      createGame: () => new TestGame(),
      playerIds: ['a', 'bb', 'c'],
      inputs,
      ticks: 200,
    });
    expect(result).toEqual({ ok: true, ticks: 200 });
  });

  it('catches a game that reads a counter outside its state, reporting the first bad tick and both states', () => {
    const result = runSyncTest({
      createGame: () => new CounterGame(),
      playerIds: ['a', 'bb'],
      inputs,
      ticks: 200,
      rollbackTicks: 4,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // The rolling copy's fifth step call (straight: 2 calls) resimulates tick 1, so S(2) differs.
    expect(result.tick).toBe(2);
    expect(result.expectedHash).not.toBe(result.actualHash);
    expect(result.expectedState).not.toEqual(result.actualState);
    const straight = new TestGame();
    straight.deserialize(result.expectedState);
    expect(straight.steps).toBe(2);
  });

  it('catches a game whose serialize misses part of its state', () => {
    const result = runSyncTest({
      createGame: () => new ForgetfulGame(),
      playerIds: ['a'],
      inputs,
      ticks: 50,
    });
    expect(result).toMatchObject({ ok: false, tick: 1 });
  });

  it('wraps an error thrown by the game in GameError', () => {
    const game = new TestGame();
    game.step = () => {
      throw new Error('bad');
    };
    expect(() =>
      runSyncTest({ createGame: () => game, playerIds: ['a'], inputs, ticks: 3 }),
    ).toThrow(GameError);
  });

  it('rejects bad options', () => {
    const run = (rollbackTicks: number) => () =>
      runSyncTest({
        createGame: () => new TestGame(),
        playerIds: [],
        inputs,
        ticks: 1,
        rollbackTicks,
      });
    expect(run(0)).toThrow(RbnError);
    expect(run(0)).toThrow(/rollbackTicks/);
  });
});
