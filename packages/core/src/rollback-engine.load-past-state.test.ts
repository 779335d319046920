import { RbnError } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { RollbackEngine } from './rollback-engine';
import { TestGame, runStraight } from './test-utils/test-game';

const input = (tick: Tick, id: PlayerId): Uint8Array =>
  new Uint8Array([(tick * 7 + id.length * 3) % 5 < 2 ? 1 : 250]);
/** Other inputs: a state made with them is one the engine never had. */
const foreignInput = (tick: Tick, id: PlayerId): Uint8Array =>
  new Uint8Array([(tick + id.length) % 9]);

const both = [
  { id: 'a', join: 0 },
  { id: 'bb', join: 0 },
];

/** A two-player engine ('a' local, 'bb' remote with inputs arriving `lag` ticks late). */
function playing(frames: number, lag: number): { engine: RollbackEngine; game: TestGame } {
  const game = new TestGame();
  const engine = new RollbackEngine(game, { hashInterval: 10, snapshotInterval: 1 });
  engine.addPlayer('a', 0, { local: true });
  engine.addPlayer('bb', 0);
  for (let f = 0; f < frames; f++) {
    if (f >= lag) engine.addRemoteInput('bb', f - lag, input(f - lag, 'bb'));
    engine.tick(input(f, 'a'));
  }
  return { engine, game };
}

/** S(to) of a game whose state at `from` was `start`, stepped with the real inputs. */
function straightFrom(start: TestGame, from: Tick, to: Tick): TestGame {
  const game = new TestGame();
  game.deserialize(start.serialize());
  return runStraight(both, input, to, { game, startTick: from });
}

describe('RollbackEngine.loadPastState', () => {
  it('loads a state at an older tick and resimulates to the same current tick, as if it had that state all along', () => {
    const { engine, game } = playing(40, 5);
    const foreign = runStraight(both, foreignInput, 20);
    expect(foreign.hash()).not.toBe(runStraight(both, input, 20).hash());
    const rollbacks = engine.stats.rollbacks;

    engine.loadPastState(20, foreign.serialize());

    expect(engine.currentTick).toBe(40);
    expect(engine.stats.rollbacks).toBe(rollbacks + 1);
    // bb's inputs of 35..39 have not arrived: those ticks are predicted (repeat the last input).
    const predicted = (tick: Tick, id: PlayerId): Uint8Array =>
      input(id === 'bb' && tick >= 35 ? 34 : tick, id);
    const expected = new TestGame();
    expected.deserialize(foreign.serialize());
    runStraight(both, predicted, 40, { game: expected, startTick: 20 });
    expect(game.hash()).toBe(expected.hash());
    expect(engine.getSnapshot(20)?.hash).toBe(foreign.hash());

    // The late inputs arrive: rollbacks now start from the loaded timeline.
    for (let f = 40; f < 60; f++) {
      engine.addRemoteInput('bb', f - 5, input(f - 5, 'bb'));
      engine.tick(input(f, 'a'));
    }
    for (let t = 55; t < 60; t++) engine.addRemoteInput('bb', t, input(t, 'bb'));
    engine.tick(input(60, 'a'));
    expect(engine.confirmedTick).toBe(59);
    expect(engine.getSnapshot(60)?.hash).toBe(straightFrom(foreign, 20, 60).hash());
    expect(engine.getSnapshot(30)?.hash).toBe(straightFrom(foreign, 20, 30).hash());
  });

  it('reports the hashed ticks from the loaded tick on again, with the corrected hashes', () => {
    const { engine } = playing(40, 2);
    const emitted: [Tick, number][] = [];
    engine.onConfirmedHash = (tick, hash) => emitted.push([tick, hash]);
    const foreign = runStraight(both, foreignInput, 20);
    engine.loadPastState(20, foreign.serialize());
    expect(emitted).toEqual([]); // from the next tick() on
    engine.addRemoteInput('bb', 38, input(38, 'bb'));
    engine.tick(input(40, 'a'));
    expect(emitted).toEqual([
      [20, foreign.hash()],
      [30, straightFrom(foreign, 20, 30).hash()],
    ]);
  });

  it('keeps the current tick and every input when the tick is the current one', () => {
    const { engine, game } = playing(30, 0);
    const foreign = runStraight(both, foreignInput, 30);
    engine.loadPastState(30, foreign.serialize());
    expect(engine.currentTick).toBe(30);
    expect(game.hash()).toBe(foreign.hash());
    expect(engine.getInput('bb', 29)).toEqual(input(29, 'bb'));
  });

  it('refuses a tick outside the rollback history or in the future, and changes nothing', () => {
    const { engine, game } = playing(200, 3);
    const before = game.hash();
    const state = runStraight(both, foreignInput, 20).serialize();
    const code = (tick: Tick): string => {
      try {
        engine.loadPastState(tick, state);
      } catch (error) {
        expect(error).toBeInstanceOf(RbnError);
        return (error as RbnError).code;
      }
      return 'none';
    };
    for (const tick of [20, 200 - 120, 201]) expect(code(tick)).toBe('TICK_OUT_OF_RANGE');
    expect(code(-1)).toBe('INVALID_ARGUMENT');
    expect(engine.currentTick).toBe(200);
    expect(game.hash()).toBe(before);
    // The oldest restorable tick is fine.
    engine.loadPastState(200 - 119, state);
    expect(engine.currentTick).toBe(200);
  });
});
