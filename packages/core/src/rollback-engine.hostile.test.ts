import { RbnError } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RollbackEngine } from './rollback-engine';
import { TestGame, runStraight } from './test-utils/test-game';

const SEED = 0x4b1d;

const input = (tick: Tick, id: PlayerId): Uint8Array =>
  new Uint8Array([(tick * 5 + id.charCodeAt(0)) % 7 < 3 ? 2 : 254, tick & 1]);

/** Ticks a peer could put on the wire or a buggy caller could pass; none is a valid input tick. */
const ABSURD_TICKS: readonly number[] = [
  -1,
  -(2 ** 31),
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 + 3,
  2 ** 40,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
];

describe('RollbackEngine hostile input', () => {
  it.each(ABSURD_TICKS.map((t) => [String(t), t] as const))(
    'ignores a remote input for tick %s without throwing or changing anything',
    (_label, tick) => {
      const engine = new RollbackEngine(new TestGame());
      engine.addPlayer('a', 0, { local: true });
      engine.addPlayer('b', 0);
      for (let t = 0; t < 5; t++) engine.tick(input(t, 'a'));
      expect(engine.addRemoteInput('b', tick, new Uint8Array([9]))).toBe('ignored');
      expect(engine.getReceivedTick('b')).toBe(-1);
      expect(engine.getInput('b', tick)).toBeUndefined();
      // Nothing was scheduled for a rollback: the next tick only advances.
      const r = engine.tick(input(5, 'a'));
      expect(r).toMatchObject({ status: 'advanced', tick: 5, rolledBack: false });
      expect(engine.stats.rollbacks).toBe(0);
    },
  );

  it('ignores a remote input far in the future (past the window ahead of currentTick)', () => {
    const engine = new RollbackEngine(new TestGame());
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    expect(engine.addRemoteInput('b', 1_000_000, new Uint8Array([1]))).toBe('ignored');
    expect(engine.addRemoteInput('b', 0x7ffffffe, new Uint8Array([1]))).toBe('ignored');
    expect(engine.getInput('b', 1_000_000)).toBeUndefined();
  });

  it('ends in the straight-run state whatever garbage is interleaved with the real inputs', () => {
    const players = [
      { id: 'a', join: 0 },
      { id: 'b', join: 0 },
      { id: 'c', join: 3 },
    ];
    const ticks = 80;
    const expected = runStraight(players, input, ticks).hash();
    const garbage = fc.record({
      player: fc.constantFrom('a', 'b', 'c', 'zz', '', '__proto__'),
      tick: fc.oneof(
        fc.constantFrom(...ABSURD_TICKS),
        fc.integer({ min: 10_000, max: 2 ** 31 - 1 }),
        fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
      ),
      size: fc.oneof(fc.constant(65), fc.constant(1 << 16), fc.integer({ min: 0, max: 8 })),
    });
    fc.assert(
      fc.property(fc.array(garbage, { minLength: ticks, maxLength: ticks * 3 }), (junk) => {
        const game = new TestGame();
        const engine = new RollbackEngine(game, { maxSpeculationTicks: 8 });
        engine.addPlayer('a', 0, { local: true });
        engine.addPlayer('b', 0);
        engine.addPlayer('c', 3);
        let j = 0;
        for (let t = 0; t < ticks; t++) {
          for (let k = 0; k < 3 && j < junk.length; k++, j++) {
            const g = junk[j]!;
            const result = engine.addRemoteInput(g.player, g.tick, new Uint8Array(g.size));
            expect(result).not.toBe('accepted');
          }
          // Real inputs of b arrive 4 ticks late, c's in time.
          if (t >= 4) engine.addRemoteInput('b', t - 4, input(t - 4, 'b'));
          if (t >= 3) engine.addRemoteInput('c', t, input(t, 'c'));
          engine.tick(input(t, 'a'));
        }
        for (let t = ticks - 4; t < ticks; t++) engine.addRemoteInput('b', t, input(t, 'b'));
        const snapshot = engine.getSnapshot(ticks);
        return snapshot !== undefined && snapshot.hash === expected;
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('keeps memory bounded: a flood of remote inputs never grows the buffers', () => {
    const engine = new RollbackEngine(new TestGame());
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    let accepted = 0;
    // Every tick of the window ahead and far past it: only the window is stored.
    for (let t = 0; t < 200_000; t++) {
      if (engine.addRemoteInput('b', t, new Uint8Array([t & 0xff])) === 'accepted') accepted++;
    }
    expect(accepted).toBeLessThan(1024);
    expect(engine.getReceivedTick('b')).toBe(accepted - 1);
    expect(engine.tick(new Uint8Array([1]))).toMatchObject({ status: 'advanced', tick: 0 });
  });

  it('rejects caller misuse with an RbnError naming the argument', () => {
    const engine = new RollbackEngine(new TestGame());
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    const misuse: [() => unknown, RegExp][] = [
      [() => engine.addRemoteInput('b', 0, [1, 2] as unknown as Uint8Array), /^input/],
      [() => engine.addRemoteInput('b', 0, null as unknown as Uint8Array), /^input/],
      [() => engine.addRemoteInput('b', 0, 'ab' as unknown as Uint8Array), /^input/],
      [() => engine.tick([1] as unknown as Uint8Array), /^localInput/],
      [() => engine.tick('x' as unknown as Uint8Array), /^localInput/],
      [() => engine.addPlayer(7 as unknown as PlayerId, 0), /^playerId/],
      [() => engine.addPlayer('', 0), /^playerId/],
      [() => engine.addPlayer('c', Number.NaN), /^joinTick/],
      [() => engine.addPlayer('c', -1), /^joinTick/],
      [() => engine.addPlayer('c', 2 ** 40), /^joinTick/],
      [() => engine.removePlayer('b', Number.POSITIVE_INFINITY), /^leaveTick/],
      [() => engine.loadState(Number.NaN, new Uint8Array()), /^tick/],
      [() => (engine.inputDelayTicks = Number.NaN), /^inputDelayTicks/],
      [() => (engine.inputDelayTicks = Number.POSITIVE_INFINITY), /^inputDelayTicks/],
    ];
    for (const [call, field] of misuse) {
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown, String(call)).toBeInstanceOf(RbnError);
      expect((thrown as RbnError).message, String(call)).toMatch(field);
    }
    // The engine is untouched and keeps running.
    expect(engine.playerIds).toEqual(['a', 'b']);
    expect(engine.inputDelayTicks).toBe(0);
    expect(engine.tick(new Uint8Array([1]))).toMatchObject({ status: 'advanced', tick: 0 });
  });

  it.each([
    ['snapshotHistorySize', Number.NaN],
    ['snapshotHistorySize', Number.POSITIVE_INFINITY],
    ['maxSpeculationTicks', Number.NaN],
    ['hashInterval', Number.POSITIVE_INFINITY],
    ['maxInputBytes', Number.NaN],
    ['startTick', 2 ** 40],
    ['inputDelayTicks', '2'],
    ['snapshotInterval', 0],
    ['snapshotInterval', 1.5],
  ] as const)('rejects %s = %s with INVALID_CONFIG naming the field', (field, value) => {
    expect(() => new RollbackEngine(new TestGame(), { [field]: value })).toThrow(
      new RegExp(`^${field}`),
    );
  });

  it.each([null, 'fast', 5])('rejects a config that is not an object (%s)', (config) => {
    expect(() => new RollbackEngine(new TestGame(), config as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error,
    );
  });
});
