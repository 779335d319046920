import type { PlayerId, Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { RollbackEngine } from './rollback-engine';
import { TestGame, runStraight } from './test-utils/test-game';

const input = (tick: Tick, id: PlayerId): Uint8Array =>
  new Uint8Array([(tick * 3 + id.length * 5) % 7 < 3 ? 2 : 253]);

const both = [
  { id: 'a', join: 0 },
  { id: 'bb', join: 0 },
];

/** A fake clock the game moves: each `step` and each `serialize` costs a fixed time on it. */
function timedGame(stepMs: number, serializeMs: number): { game: TestGame; clock: () => number } {
  let now = 0;
  const game = new TestGame();
  const step = game.step.bind(game);
  const serialize = game.serialize.bind(game);
  game.step = (inputs) => {
    now += stepMs;
    step(inputs);
  };
  game.serialize = () => {
    now += serializeMs;
    return serialize();
  };
  return { game, clock: () => now };
}

/** Runs 600 frames with the remote player's inputs 5 ticks late (every tick predicted). */
function run(stepMs: number, serializeMs: number): { engine: RollbackEngine } {
  const { game, clock } = timedGame(stepMs, serializeMs);
  const engine = new RollbackEngine(game, { snapshotInterval: 'auto', costClock: clock });
  engine.addPlayer('a', 0, { local: true });
  engine.addPlayer('bb', 0);
  const lag = 5;
  for (let f = 0; f < 600; f++) {
    if (f >= lag) engine.addRemoteInput('bb', f - lag, input(f - lag, 'bb'));
    engine.tick(input(f, 'a'));
  }
  return { engine };
}

describe("snapshotInterval: 'auto'", () => {
  it('saves every predicted tick when serialize costs about what step costs', () => {
    const { engine } = run(1, 1);
    expect(engine.snapshotInterval).toBe(1);
  });

  it('saves fewer states when serialize costs far more than step (about √ of the ratio)', () => {
    const { engine } = run(1, 16);
    expect(engine.snapshotInterval).toBe(4);
    // The state is still the one of a straight run with the true inputs.
    const final = engine.confirmedTick + 1;
    expect(engine.getSnapshot(final)?.hash).toBe(runStraight(both, input, final).hash());
  });

  it('stays at 1 with a clock that does not move, and an explicit interval always wins', () => {
    expect(run(0, 0).engine.snapshotInterval).toBe(1);
    const { game, clock } = timedGame(1, 100);
    const fixed = new RollbackEngine(game, { snapshotInterval: 2, costClock: clock });
    fixed.addPlayer('a', 0, { local: true });
    fixed.addPlayer('bb', 0);
    for (let f = 0; f < 300; f++) fixed.tick(input(f, 'a'));
    expect(fixed.snapshotInterval).toBe(2);
  });

  it("refuses 'auto' without a clock to time the game with (the engine owns none)", () => {
    expect(() => new RollbackEngine(new TestGame(), { snapshotInterval: 'auto' })).toThrow(
      /costClock/,
    );
  });

  it('comes back down with hysteresis when serialize gets cheap again', () => {
    let serializeMs = 16;
    let now = 0;
    const game = new TestGame();
    const step = game.step.bind(game);
    const serialize = game.serialize.bind(game);
    game.step = (inputs) => {
      now += 1;
      step(inputs);
    };
    game.serialize = () => {
      now += serializeMs;
      return serialize();
    };
    const engine = new RollbackEngine(game, { snapshotInterval: 'auto', costClock: () => now });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    const seen: number[] = [];
    for (let f = 0; f < 2400; f++) {
      if (f === 1200) serializeMs = 1;
      if (f >= 5) engine.addRemoteInput('bb', f - 5, input(f - 5, 'bb'));
      engine.tick(input(f, 'a'));
      if (seen[seen.length - 1] !== engine.snapshotInterval) seen.push(engine.snapshotInterval);
    }
    expect(seen[0]).toBe(1);
    expect(seen).toContain(4);
    expect(seen[seen.length - 1]).toBe(1);
  });
});
