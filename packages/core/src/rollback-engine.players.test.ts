import { RbnError } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { RollbackEngine } from './rollback-engine';
import { TestGame, mulberry32, runStraight } from './test-utils/test-game';
import type { Lifetime } from './test-utils/test-game';

const input = (tick: Tick, id: PlayerId): Uint8Array =>
  new Uint8Array([(tick * 5 + id.charCodeAt(0)) % 7 < 3 ? 1 : 254]);

function setup() {
  const game = new TestGame();
  game.logSteps = true;
  const engine = new RollbackEngine(game);
  engine.addPlayer('a', 0, { local: true });
  engine.addPlayer('b', 0);
  return { game, engine };
}

/** Ticks frames [from, to): delivers `remote`'s inputs of tick f - lag before ticking frame f. */
function run(
  engine: RollbackEngine,
  from: number,
  to: number,
  remote: { id: PlayerId; lag: number; until?: Tick }[],
) {
  for (let f = from; f < to; f++) {
    for (const { id, lag, until } of remote) {
      const t = f - lag;
      if (t >= 0 && t < (until ?? Infinity)) engine.addRemoteInput(id, t, input(t, id));
    }
    expect(engine.tick(input(f, 'a')).status).toBe('advanced');
  }
}

function deliver(engine: RollbackEngine, id: PlayerId, from: Tick, to: Tick) {
  for (let t = from; t < to; t++) engine.addRemoteInput(id, t, input(t, id));
}

function expectStraight(engine: RollbackEngine, lifetimes: Lifetime[], ticks: number) {
  const confirmed = engine.getConfirmedState();
  expect(confirmed.tick).toBe(ticks);
  expect(confirmed.hash).toBe(runStraight(lifetimes, input, ticks).hash());
}

describe('RollbackEngine players', () => {
  it('a player added at a past tick inside the rollback window joins exactly there', () => {
    const { engine } = setup();
    run(engine, 0, 20, [{ id: 'b', lag: 0 }]);
    engine.addPlayer('c', 15);
    expect(engine.hasPlayer('c')).toBe(true);
    engine.addRemoteInput('b', 20, input(20, 'b'));
    const r = engine.tick(input(20, 'a'));
    // Every tick had its inputs on time, so no state after the last checkpoint (S(0)) was saved:
    // the engine restores S(0) and resimulates.
    expect(r).toMatchObject({ status: 'advanced', rolledBack: true, rollbackTicks: 20 });
    deliver(engine, 'c', 15, 21);
    expectStraight(
      engine,
      [
        { id: 'a', join: 0 },
        { id: 'b', join: 0 },
        { id: 'c', join: 15 },
      ],
      21,
    );
  });

  it('a player removed at a past tick inside the rollback window leaves exactly there', () => {
    const { game, engine } = setup();
    run(engine, 0, 20, [{ id: 'b', lag: 0 }]);
    engine.removePlayer('b', 15);
    expect(engine.hasPlayer('b')).toBe(false);
    expect(engine.playerIds).toEqual(['a']);
    const r = engine.tick(input(20, 'a'));
    expect(r).toMatchObject({ rolledBack: true, rollbackTicks: 20 });
    expect(game.stepLog.at(-1)?.players).toEqual(['a']);
    expectStraight(
      engine,
      [
        { id: 'a', join: 0 },
        { id: 'b', join: 0, leave: 15 },
      ],
      21,
    );
  });

  it('a rollback across a join keeps the joined player', () => {
    const { game, engine } = setup();
    engine.addPlayer('c', 12);
    // b's inputs arrive 6 ticks late, so rollbacks start before tick 12 and cross it.
    run(engine, 0, 30, [
      { id: 'b', lag: 6 },
      { id: 'c', lag: 0 },
    ]);
    expect(engine.stats.rollbacks).toBeGreaterThan(0);
    deliver(engine, 'b', 24, 30);
    const log = game.stepLog;
    expectStraight(
      engine,
      [
        { id: 'a', join: 0 },
        { id: 'b', join: 0 },
        { id: 'c', join: 12 },
      ],
      30,
    );
    expect(log.at(-1)?.players).toEqual(['a', 'b', 'c']);
  });

  it('a rollback across a leave drops the player from that tick on', () => {
    const { game, engine } = setup();
    engine.addPlayer('c', 0);
    engine.removePlayer('c', 14);
    run(engine, 0, 30, [
      { id: 'b', lag: 6 },
      { id: 'c', lag: 0, until: 14 },
    ]);
    deliver(engine, 'b', 24, 30);
    expectStraight(
      engine,
      [
        { id: 'a', join: 0 },
        { id: 'b', join: 0 },
        { id: 'c', join: 0, leave: 14 },
      ],
      30,
    );
    expect(game.stepLog.at(-1)?.players).toEqual(['a', 'b']);
    // The leave is confirmed, so the id can join again.
    expect(() => engine.addPlayer('c', 13)).toThrow(/already in the engine/);
    engine.addPlayer('c', 40);
    expect(engine.getReceivedTick('c')).toBe(39);
    expect(engine.playerIds).toEqual(['a', 'b', 'c']);
  });

  it('a join and a leave at past ticks in the same frame, with late inputs, match the straight run', () => {
    const { engine } = setup();
    engine.addPlayer('c', 0);
    run(engine, 0, 20, [
      { id: 'b', lag: 3 },
      { id: 'c', lag: 0 },
    ]);
    engine.removePlayer('c', 16);
    engine.addPlayer('d', 13);
    deliver(engine, 'd', 13, 18);
    run(engine, 20, 30, [
      { id: 'b', lag: 3 },
      { id: 'd', lag: 0 },
    ]);
    deliver(engine, 'b', 27, 30);
    deliver(engine, 'd', 18, 20);
    expectStraight(
      engine,
      [
        { id: 'a', join: 0 },
        { id: 'b', join: 0 },
        { id: 'c', join: 0, leave: 16 },
        { id: 'd', join: 13 },
      ],
      30,
    );
  });

  it.each([false, true])(
    'a player re-added under the same id at a past tick keeps its earlier lifetime for the rollback (local: %s)',
    (local) => {
      // b plays [0, 50), leaves, and comes back at 55 once the leave is confirmed; the join is
      // learned at tick 60, so the rollback restores the checkpoint at 30, before the leave,
      // and must still have b's first inputs.
      const game = new TestGame();
      const engine = new RollbackEngine(game);
      engine.addPlayer('a', 0, { local: !local });
      engine.addPlayer('b', 0, { local });
      engine.removePlayer('b', 50);
      const localId = local ? 'b' : 'a';
      const remoteId = local ? 'a' : 'b';
      for (let f = 0; f < 60; f++) {
        if (remoteId === 'a' || f < 50) engine.addRemoteInput(remoteId, f, input(f, remoteId));
        engine.tick(localId === 'b' && f >= 50 ? new Uint8Array(0) : input(f, localId));
      }
      expect(engine.confirmedTick).toBe(59);
      engine.addPlayer('b', 55, { local });
      for (let t = 55; t < 61; t++) {
        if (local) engine.addRemoteInput('a', t, input(t, 'a'));
        else engine.addRemoteInput('b', t, input(t, 'b'));
      }
      engine.tick(input(60, localId));
      expect(engine.stats.maxRollbackDepth).toBeGreaterThan(10);
      const straight = new TestGame();
      const inputs = new Map<PlayerId, Uint8Array>();
      for (let t = 0; t < 61; t++) {
        inputs.clear();
        inputs.set('a', input(t, 'a'));
        // A local player added at a past tick has empty inputs up to the tick it is added at.
        const back = local && t >= 55 && t < 60 ? new Uint8Array(0) : input(t, 'b');
        if (t < 50 || t >= 55) inputs.set('b', back);
        straight.step(inputs);
      }
      expect(game.hash()).toBe(straight.hash());
      expect(engine.playerIds).toEqual(['a', 'b']);
    },
  );

  it('a rejected re-add changes nothing', () => {
    const { engine } = setup();
    engine.removePlayer('b', 5);
    run(engine, 0, 10, [{ id: 'b', lag: 0, until: 5 }]);
    expect(() => engine.addPlayer('b', 3)).toThrow(/already in the engine/);
    expect(engine.hasPlayer('b')).toBe(false);
    expect(engine.getInput('b', 4)).toEqual(input(4, 'b'));
  });

  it('version changes when players or held inputs change, not when inputs arrive or ticks run', () => {
    const { engine } = setup();
    const seen = [engine.version];
    const changed = (step: () => void): boolean => {
      step();
      seen.push(engine.version);
      return seen.at(-1) !== seen.at(-2);
    };
    expect(changed(() => run(engine, 0, 10, [{ id: 'b', lag: 2 }]))).toBe(false);
    expect(changed(() => deliver(engine, 'b', 8, 12))).toBe(false);
    expect(changed(() => engine.addPlayer('c', 12))).toBe(true);
    expect(changed(() => engine.retractInputs('b', 9))).toBe(true);
    expect(changed(() => engine.removePlayer('c', 14))).toBe(true);
    expect(changed(() => engine.loadState(10, engine.getConfirmedState().state))).toBe(true);
  });

  it('a retraction takes back inputs that arrived past a gap too, and rolls back the ticks they made', () => {
    const { engine } = setup();
    run(engine, 0, 10, [{ id: 'b', lag: 0, until: 5 }]);
    // b's inputs of 5 and 6 are late; 7 and 8 arrived and were simulated with.
    deliver(engine, 'b', 7, 9);
    engine.tick(input(10, 'a'));
    expect(engine.getReceivedTick('b')).toBe(4);
    expect(engine.getInput('b', 7)).toEqual(input(7, 'b'));
    // An away window from 6: b's inputs from there are decided elsewhere.
    engine.retractInputs('b', 6);
    expect(engine.getInput('b', 7)).toBeUndefined();
    expect(engine.getInput('b', 8)).toBeUndefined();
    const before = engine.stats.resimulatedTicks;
    engine.tick(input(11, 'a'));
    expect(engine.stats.resimulatedTicks).toBeGreaterThan(before);
  });

  it('inputs outside a player lifetime are ignored', () => {
    const { engine } = setup();
    engine.addPlayer('c', 10);
    engine.removePlayer('c', 20);
    expect(engine.addRemoteInput('c', 9, input(9, 'c'))).toBe('ignored');
    expect(engine.addRemoteInput('c', 20, input(20, 'c'))).toBe('ignored');
    expect(engine.addRemoteInput('c', 10, input(10, 'c'))).toBe('accepted');
    expect(engine.getInput('c', 10)).toEqual(input(10, 'c'));
  });

  it('a player that joins later does not hold back confirmation of earlier ticks', () => {
    const { engine } = setup();
    engine.addPlayer('c', 5);
    run(engine, 0, 5, [{ id: 'b', lag: 0 }]);
    expect(engine.confirmedTick).toBe(4);
    expect(engine.inputsCompleteThrough).toBe(4);
    expect(engine.playerIds).toEqual(['a', 'b', 'c']);
  });

  it('inputsCompleteThrough follows every arrival, retraction, leave and join, read between each (seeded)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = mulberry32(seed);
      const pick = (n: number) => Math.floor(random() * n);
      const { engine } = setup();
      const leaves = new Map<PlayerId, Tick>();
      const ids: PlayerId[] = ['a', 'b'];
      // What the engine should report: the slowest player whose inputs still matter.
      const expected = () => {
        let min = Infinity;
        for (const id of ids) {
          const received = engine.getReceivedTick(id);
          if (received + 1 < (leaves.get(id) ?? Infinity)) min = Math.min(min, received);
        }
        return min;
      };
      for (let step = 0; step < 300; step++) {
        const now = engine.currentTick;
        const op = pick(20);
        const id = ids[1 + pick(ids.length - 1)] as PlayerId;
        if (op < 12) {
          const t = Math.max(0, now - 5 + pick(12));
          engine.addRemoteInput(id, t, input(t, id));
        } else if (op < 16) {
          engine.tick(input(now, 'a'));
        } else if (op === 16 && now > 2) {
          engine.retractInputs(id, now - 1 - pick(2));
        } else if (op === 17 && !leaves.has(id) && now > 2) {
          const leave = now - 2 + pick(10);
          engine.removePlayer(id, leave);
          leaves.set(id, Math.max(leave, 0));
        } else if (op === 18 && ids.length < 4) {
          const joiner = ['c', 'd'][ids.length - 2] as PlayerId;
          engine.addPlayer(joiner, now + pick(4));
          ids.push(joiner);
        } else if (op === 19) {
          engine.fillLocalInputs(now + pick(4), input(now, 'a'));
        }
        expect(engine.inputsCompleteThrough, `seed ${seed}, step ${step}`).toBe(expected());
      }
    }
  });

  it('rejects a duplicate id, a second local player, an unknown player and a join older than the history', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game, { snapshotHistorySize: 10, maxSpeculationTicks: 5 });
    engine.addPlayer('a', 0, { local: true });
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(RbnError);
        return (error as RbnError).code;
      }
      return 'none';
    };
    expect(code(() => engine.addPlayer('a', 0))).toBe('PLAYER_EXISTS');
    expect(code(() => engine.addPlayer('z', 0, { local: true }))).toBe('LOCAL_PLAYER_EXISTS');
    expect(code(() => engine.removePlayer('zz', 3))).toBe('UNKNOWN_PLAYER');
    expect(code(() => engine.addPlayer('q', -1))).toBe('INVALID_ARGUMENT');
    for (let f = 0; f < 30; f++) engine.tick();
    expect(code(() => engine.addPlayer('late', 5))).toBe('TICK_OUT_OF_RANGE');
    expect(engine.hasPlayer('late')).toBe(false);
    engine.addPlayer('ok', 25);
    expect(engine.hasPlayer('ok')).toBe(true);
  });

  it('with no local player (spectator) ignores the local input and simulates remote inputs', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('b', 0);
    expect(engine.lastLocalInputTick).toBe(-1);
    for (let t = 0; t < 10; t++) {
      engine.addRemoteInput('b', t, input(t, 'b'));
      engine.tick(new Uint8Array([99]));
    }
    expect(game.hash()).toBe(runStraight([{ id: 'b', join: 0 }], input, 10).hash());
  });
});
