import { RbnError } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { GameError } from './game-error';
import { emptyInputPredictor } from './input-predictors';
import { RollbackEngine } from './rollback-engine';
import { TestGame, runStraight } from './test-utils/test-game';

/** A changing input schedule so predictions are often wrong. */
const input = (tick: Tick, id: PlayerId): Uint8Array =>
  new Uint8Array([(tick * 7 + id.charCodeAt(0) * 3) % 11 < 4 ? 1 : 255, tick & 3]);

const both = [
  { id: 'a', join: 0 },
  { id: 'b', join: 0 },
];

describe('RollbackEngine', () => {
  it('simulates with known inputs exactly like a straight run', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    for (let t = 0; t < 50; t++) {
      expect(engine.addRemoteInput('b', t, input(t, 'b'))).toBe('accepted');
      const r = engine.tick(input(t, 'a'));
      expect(r).toMatchObject({ status: 'advanced', tick: t, rolledBack: false, confirmedTick: t });
    }
    expect(engine.currentTick).toBe(50);
    expect(engine.stats.rollbacks).toBe(0);
    const expected = runStraight(
      [
        { id: 'a', join: 0 },
        { id: 'b', join: 0 },
      ],
      input,
      50,
    );
    expect(game.hash()).toBe(expected.hash());
  });

  it('simulatedConfirmedTick stays below a tick whose late input disagrees with the prediction until a rollback resimulates it', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game, { maxSpeculationTicks: 30 });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    for (let t = 0; t < 10; t++) engine.addRemoteInput('b', t, input(t, 'b'));
    for (let t = 0; t < 20; t++) engine.tick(input(t, 'a'));
    expect(engine.simulatedConfirmedTick).toBe(9);
    // b's inputs of ticks 10..19 arrive (as between two frames): they are known, but the game
    // still holds the states predicted for them until the next tick() rolls back.
    for (let t = 10; t < 20; t++) engine.addRemoteInput('b', t, input(t, 'b'));
    expect(engine.confirmedTick).toBe(19);
    expect(engine.simulatedConfirmedTick).toBe(9);
    const r = engine.tick(input(20, 'a'));
    expect(r.rolledBack).toBe(true);
    expect(engine.simulatedConfirmedTick).toBe(19);
    expect(engine.getConfirmedState().hash).toBe(runStraight(both, input, 20).hash());
  });

  it.each([
    [1, 1],
    [3, 1],
    [8, 1],
    [30, 1],
    [1, 3],
    [3, 3],
    [8, 3],
    [30, 3],
    [8, 7],
  ])(
    'a misprediction %i ticks back ends in exactly the state of a straight run with the true inputs (snapshotInterval %i)',
    (lag, interval) => {
      const game = new TestGame();
      const engine = new RollbackEngine(game, { snapshotInterval: interval });
      engine.addPlayer('a', 0, { local: true });
      engine.addPlayer('b', 0);
      const ticks = 100;
      let rolled = 0;
      for (let f = 0; f < ticks + lag; f++) {
        const late = f - lag;
        if (late >= 0 && late < ticks) engine.addRemoteInput('b', late, input(late, 'b'));
        if (f < ticks) {
          const r = engine.tick(input(f, 'a'));
          expect(r.status).toBe('advanced');
          if (r.status === 'advanced' && r.rolledBack) {
            rolled++;
            // The restored state is at most interval - 1 ticks older than the wrong tick.
            expect(r.rollbackTicks).toBeLessThanOrEqual(lag + interval - 1);
          }
        }
      }
      // Let the last inputs be applied.
      engine.getConfirmedState();
      expect(rolled).toBeGreaterThan(0);
      expect(engine.confirmedTick).toBe(ticks - 1);
      const expected = runStraight(
        [
          { id: 'a', join: 0 },
          { id: 'b', join: 0 },
        ],
        input,
        ticks,
      );
      expect(engine.getConfirmedState()).toEqual({
        tick: ticks,
        state: expected.serialize(),
        hash: expected.hash(),
      });
      expect(game.hash()).toBe(expected.hash());
      expect(engine.stats.maxRollbackDepth).toBeLessThanOrEqual(lag + interval - 1);
    },
  );

  it('rolls back to the earliest wrong tick when inputs arrive out of order, and ignores duplicates', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    for (let t = 0; t < 10; t++) engine.tick(input(t, 'a'));
    // Deliver b's inputs for 0..9 backwards, each twice.
    for (let t = 9; t >= 0; t--) {
      expect(engine.addRemoteInput('b', t, input(t, 'b'))).toBe('accepted');
      expect(engine.addRemoteInput('b', t, input(t, 'b'))).toBe('duplicate');
    }
    expect(engine.getReceivedTick('b')).toBe(9);
    const r = engine.tick(input(10, 'a'));
    expect(r).toMatchObject({ status: 'advanced', tick: 10, rolledBack: true, rollbackTicks: 10 });
    expect(engine.addRemoteInput('b', 3, new Uint8Array([9]))).toBe('duplicate');
    engine.addRemoteInput('b', 10, input(10, 'b'));
    engine.tick(input(11, 'a'));
    expect(engine.stats.rollbacks).toBe(2);
    const expected = runStraight(
      [
        { id: 'a', join: 0 },
        { id: 'b', join: 0 },
      ],
      (t, id) => (id === 'b' && t === 11 ? input(10, 'b') : input(t, id)),
      12,
    );
    expect(game.hash()).toBe(expected.hash());
  });

  it('does not roll back when the prediction was right', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    const same = new Uint8Array([5]);
    engine.addRemoteInput('b', 0, same);
    for (let t = 0; t < 10; t++) engine.tick(same);
    for (let t = 1; t < 10; t++) engine.addRemoteInput('b', t, same);
    expect(engine.tick(same)).toMatchObject({ rolledBack: false, rollbackTicks: 0 });
    expect(engine.stats.rollbacks).toBe(0);
  });

  it('ignores inputs of unknown players, of the local player, too large or too far ahead', () => {
    const engine = new RollbackEngine(new TestGame(), { maxInputBytes: 4 });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 5);
    expect(engine.addRemoteInput('x', 0, new Uint8Array(1))).toBe('ignored');
    expect(engine.addRemoteInput('a', 0, new Uint8Array(1))).toBe('ignored');
    expect(engine.addRemoteInput('b', 4, new Uint8Array(1))).toBe('ignored');
    expect(engine.addRemoteInput('b', 5, new Uint8Array(5))).toBe('ignored');
    expect(engine.addRemoteInput('b', 100_000, new Uint8Array(1))).toBe('ignored');
    expect(engine.addRemoteInput('b', 5, new Uint8Array(4))).toBe('accepted');
  });

  it('keeps inputs for at least snapshotHistorySize + maxSpeculationTicks ticks', () => {
    const engine = new RollbackEngine(new TestGame(), {
      snapshotHistorySize: 20,
      maxSpeculationTicks: 10,
    });
    engine.addPlayer('a', 0, { local: true });
    for (let t = 0; t < 200; t++) engine.tick(new Uint8Array([t & 0xff]));
    expect(engine.getInput('a', 200 - 30)).toEqual(new Uint8Array([170]));
  });

  it('copies inputs: mutating the caller array afterwards changes nothing', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    const local = new Uint8Array([1]);
    const remote = new Uint8Array([2]);
    engine.addRemoteInput('b', 0, remote);
    engine.tick(local);
    local[0] = 99;
    remote[0] = 99;
    expect(engine.getInput('a', 0)).toEqual(new Uint8Array([1]));
    expect(engine.getInput('b', 0)).toEqual(new Uint8Array([2]));
  });

  it('hands game.step one reused map whose entries are sorted by player id', () => {
    const maps: Map<PlayerId, Uint8Array>[] = [];
    const orders: PlayerId[][] = [];
    const game = new TestGame();
    const step = game.step.bind(game);
    game.step = (inputs) => {
      maps.push(inputs);
      orders.push([...inputs.keys()]);
      step(inputs);
    };
    const engine = new RollbackEngine(game);
    engine.addPlayer('c', 0);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    engine.addPlayer('aa', 2);
    engine.removePlayer('b', 3);
    for (let t = 0; t < 4; t++) engine.tick();
    expect(maps[0]).toBe(maps[1]);
    expect(maps[0]).toBe(maps[3]);
    expect(orders).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'aa', 'b', 'c'],
      ['a', 'aa', 'c'],
    ]);
  });

  describe('speculation limit', () => {
    it('returns a stalled result instead of advancing past maxSpeculationTicks, and recovers when inputs arrive', () => {
      const game = new TestGame();
      const engine = new RollbackEngine(game, { maxSpeculationTicks: 5, snapshotHistorySize: 10 });
      engine.addPlayer('a', 0, { local: true });
      engine.addPlayer('b', 0);
      for (let t = 0; t < 5; t++) expect(engine.tick(input(t, 'a')).status).toBe('advanced');
      const stalled = engine.tick(input(5, 'a'));
      expect(stalled).toMatchObject({
        status: 'stalled',
        tick: 5,
        reason: 'speculation-limit',
        confirmedTick: -1,
      });
      expect(engine.currentTick).toBe(5);
      expect(engine.tick(input(5, 'a')).status).toBe('stalled');
      expect(engine.stats.stalls).toBe(2);
      expect(game.steps).toBe(5);

      engine.addRemoteInput('b', 0, input(0, 'b'));
      const resumed = engine.tick(input(5, 'a'));
      expect(resumed).toMatchObject({ status: 'advanced', tick: 5, confirmedTick: 0 });
      for (let t = 1; t < 6; t++) engine.addRemoteInput('b', t, input(t, 'b'));
      engine.getConfirmedState();
      const expected = runStraight(
        [
          { id: 'a', join: 0 },
          { id: 'b', join: 0 },
        ],
        input,
        6,
      );
      expect(game.hash()).toBe(expected.hash());
    });

    it('with maxSpeculationTicks 0 runs in lockstep', () => {
      const engine = new RollbackEngine(new TestGame(), { maxSpeculationTicks: 0 });
      engine.addPlayer('a', 0, { local: true });
      engine.addPlayer('b', 0);
      expect(engine.tick().status).toBe('stalled');
      engine.addRemoteInput('b', 0, new Uint8Array());
      expect(engine.tick()).toMatchObject({ status: 'advanced', rolledBack: false });
      expect(engine.stats.rollbacks).toBe(0);
    });
  });

  describe('config', () => {
    it.each([
      ['snapshotHistorySize', { snapshotHistorySize: 1 }],
      ['maxSpeculationTicks', { maxSpeculationTicks: -1 }],
      ['maxSpeculationTicks', { maxSpeculationTicks: 120 }],
      ['hashInterval', { hashInterval: 0 }],
      ['inputDelayTicks', { inputDelayTicks: 1.5 }],
      ['inputDelayTicks', { inputDelayTicks: 65 }],
      ['maxInputBytes', { maxInputBytes: -1 }],
      ['startTick', { startTick: -3 }],
      ['inputPredictor', { inputPredictor: {} }],
    ])('rejects a bad %s with INVALID_CONFIG naming the field', (field, config) => {
      const make = () => new RollbackEngine(new TestGame(), config as never);
      expect(make).toThrow(RbnError);
      expect(make).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
      expect(make).toThrow(new RegExp(`^${field}`));
    });

    it('validates inputDelayTicks set at runtime', () => {
      const engine = new RollbackEngine(new TestGame());
      expect(() => (engine.inputDelayTicks = -1)).toThrow(/inputDelayTicks/);
      engine.inputDelayTicks = 3;
      expect(engine.inputDelayTicks).toBe(3);
    });
  });

  it('caps snapshotInterval so a rollback at the speculation limit still finds a saved state', () => {
    // 18 of 20 saved states may be needed: an interval above 2 would leave the oldest
    // mispredicted tick with no saved state at or before it inside the ring.
    const game = new TestGame();
    const engine = new RollbackEngine(game, {
      snapshotHistorySize: 20,
      maxSpeculationTicks: 18,
      snapshotInterval: 100,
    });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    const lag = 18;
    const ticks = 120;
    for (let f = 0; f < ticks + lag; f++) {
      const late = f - lag;
      if (late >= 0 && late < ticks) engine.addRemoteInput('b', late, input(late, 'b'));
      if (f < ticks) expect(engine.tick(input(f, 'a')).status).toBe('advanced');
    }
    expect(engine.stats.rollbacks).toBeGreaterThan(0);
    expect(engine.getConfirmedState().hash).toBe(runStraight(both, input, ticks).hash());
  });

  it('defaults: stalls past 60 predicted ticks and hashes every 60th confirmed tick', () => {
    const engine = new RollbackEngine(new TestGame());
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    const hashes: Tick[] = [];
    engine.onConfirmedHash = (tick) => hashes.push(tick);
    for (let f = 0; f < 60; f++) expect(engine.tick(input(f, 'a')).status).toBe('advanced');
    expect(engine.tick(input(60, 'a')).status).toBe('stalled');
    for (let t = 0; t < 130; t++) engine.addRemoteInput('b', t, input(t, 'b'));
    for (let f = 60; f < 130; f++) engine.tick(input(f, 'a'));
    expect(hashes).toEqual([60, 120]);
  });

  describe('GameError', () => {
    it.each(['step', 'serialize', 'deserialize', 'hash'] as const)(
      'wraps an error thrown by game.%s with the operation, the tick and the cause',
      (operation) => {
        const game = new TestGame();
        const cause = new Error('boom');
        const engine = new RollbackEngine(game, { hashInterval: 1 });
        engine.addPlayer('a', 0, { local: true });
        engine.addPlayer('b', 0);
        engine.tick();
        engine.tick();
        game[operation] = () => {
          throw cause;
        };
        let thrown: unknown;
        try {
          // A wrong input for tick 0 forces deserialize, step, serialize (and hash at tick 1).
          engine.addRemoteInput('b', 0, new Uint8Array([7]));
          engine.tick();
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(GameError);
        const error = thrown as GameError;
        expect(error).toBeInstanceOf(RbnError);
        expect(error.code).toBe('GAME_ERROR');
        expect(error.operation).toBe(operation);
        expect(error.cause).toBe(cause);
        // The rollback restores S(0) (no need to save it again), steps tick 0, then saves and
        // hashes S(1) (a hash tick).
        expect(error.tick).toBe(operation === 'serialize' || operation === 'hash' ? 1 : 0);
        expect(error.message).toContain(`game.${operation}()`);
      },
    );
  });

  it('throws RbnError for a local input longer than maxInputBytes and for a too-long prediction', () => {
    const engine = new RollbackEngine(new TestGame(), {
      maxInputBytes: 2,
      inputPredictor: { predict: () => new Uint8Array(3) },
    });
    engine.addPlayer('a', 0, { local: true });
    expect(() => engine.tick(new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error,
    );
    engine.addPlayer('b', 0);
    expect(() => engine.tick(new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'INVALID_PREDICTION' }) as Error,
    );
  });

  it('uses the configured predictor for missing inputs', () => {
    const seen: (Uint8Array | undefined)[] = [];
    const game = new TestGame();
    const engine = new RollbackEngine(game, {
      inputPredictor: {
        predict: (_id, _tick, last) => {
          seen.push(last?.slice());
          return emptyInputPredictor.predict('b', 0, last);
        },
      },
    });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    engine.addRemoteInput('b', 0, new Uint8Array([4]));
    engine.tick();
    engine.tick();
    expect(seen).toEqual([new Uint8Array([4])]);
    expect(game.positions.get('b')).toBe(4);
  });
});
