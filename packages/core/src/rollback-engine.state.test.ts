import type { PlayerId, Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import type { Game } from './game';
import { RollbackEngine } from './rollback-engine';
import { TestGame, fnv1a, runStraight } from './test-utils/test-game';

const input = (tick: Tick, id: PlayerId): Uint8Array =>
  new Uint8Array([(tick * 3 + id.length * 5) % 5 < 2 ? 2 : 253]);

const both = [
  { id: 'a', join: 0 },
  { id: 'bb', join: 0 },
];

/** A game that serializes into one buffer it reuses, and reads its state back in place. */
class ReusingGame implements Game<Uint8Array> {
  private readonly state = new Int32Array(4);
  private readonly bytes = new Uint8Array(this.state.buffer);
  step(inputs: Map<PlayerId, Uint8Array>): void {
    let i = 0;
    for (const value of inputs.values()) {
      this.state[i % 4] = ((this.state[i % 4] ?? 0) * 31 + (value[0] ?? 0) + 1) | 0;
      i++;
    }
  }
  serialize(): Uint8Array {
    return this.bytes;
  }
  deserialize(data: Uint8Array): void {
    this.bytes.set(data);
  }
  hash(): number {
    return fnv1a(this.bytes);
  }
}

describe('RollbackEngine states and hashes', () => {
  it('emits onConfirmedHash once per hashInterval tick, only when confirmed, with the true hash', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game, { hashInterval: 10 });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    const emitted: [Tick, number][] = [];
    engine.onConfirmedHash = (tick, hash) => {
      expect(engine.confirmedTick).toBeGreaterThanOrEqual(tick - 1);
      emitted.push([tick, hash]);
    };
    const lag = 4;
    for (let f = 0; f < 60; f++) {
      if (f >= lag) engine.addRemoteInput('bb', f - lag, input(f - lag, 'bb'));
      engine.tick(input(f, 'a'));
    }
    // Confirmed through 55 (bb's inputs up to 55): S(10)..S(50) emitted, S(60) not yet.
    expect(emitted.map(([t]) => t)).toEqual([10, 20, 30, 40, 50]);
    for (const [tick, hash] of emitted) {
      expect(hash).toBe(runStraight(both, input, tick).hash());
    }
  });

  it('getSnapshot returns a copy of S(tick) with its hash; getConfirmedState the newest final state', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    for (let f = 0; f < 12; f++) {
      if (f < 8) engine.addRemoteInput('bb', f, input(f, 'bb'));
      engine.tick(input(f, 'a'));
    }
    const straight = runStraight(both, input, 8);
    const confirmed = engine.getConfirmedState();
    expect(confirmed).toEqual({ tick: 8, state: straight.serialize(), hash: straight.hash() });
    const snapshot = engine.getSnapshot(8);
    snapshot?.state.fill(0);
    expect(engine.getSnapshot(8)).toEqual(confirmed);
    expect(engine.getSnapshot(12)?.hash).toBe(game.hash());
    expect(engine.getSnapshot(13)).toBeUndefined();
  });

  it.each([
    // Every predicted tick 100..104 is saved.
    [1, 5],
    // 100 is a checkpoint and a hash tick; then one of every three predicted ticks: 103.
    [3, 2],
    // The default.
    [undefined, 2],
    // 100, then nothing for 5 ticks.
    [6, 1],
  ])(
    'serializes only the states a rollback may need: checkpoints, hash ticks and predicted ticks (snapshotInterval %s)',
    (interval, predictedSaves) => {
      const game = new TestGame();
      let serialized = 0;
      const serialize = game.serialize.bind(game);
      game.serialize = () => {
        serialized++;
        return serialize();
      };
      game.hash = () => fnv1a(serialize());
      const engine = new RollbackEngine(game, {
        snapshotHistorySize: 40,
        maxSpeculationTicks: 20,
        hashInterval: 25,
        ...(interval === undefined ? {} : { snapshotInterval: interval }),
      });
      engine.addPlayer('a', 0, { local: true });
      engine.addPlayer('bb', 0);
      for (let f = 0; f < 100; f++) {
        engine.addRemoteInput('bb', f, input(f, 'bb'));
        engine.tick(input(f, 'a'));
      }
      // Checkpoints every 10 ticks (0..90) and hash ticks 25, 75 (50 is also a checkpoint).
      expect(serialized).toBe(12);
      serialized = 0;
      // Now bb's inputs stop: every further tick is predicted.
      for (let f = 100; f < 105; f++) engine.tick(input(f, 'a'));
      expect(serialized).toBe(predictedSaves);
      // bb's inputs arrive, one of them different: the rollback restores the nearest saved state
      // without serializing it again, and the result is the straight run's.
      serialized = 0;
      // bb's real inputs: its last one repeated (as predicted) but for tick 104.
      const real = (t: Tick, id: PlayerId) =>
        id !== 'bb' || t < 100
          ? input(t, id)
          : new Uint8Array([t === 104 ? 7 : input(99, 'bb')[0]!]);
      for (let f = 100; f < 106; f++) engine.addRemoteInput('bb', f, real(f, 'bb'));
      engine.tick(input(105, 'a'));
      expect(engine.stats.rollbacks).toBe(1);
      // 104 was wrong: resimulated from 104, or from the saved state up to interval - 1 before.
      const saved = interval === 1 ? 104 : interval === 6 ? 100 : 103;
      expect(engine.stats.resimulatedTicks).toBe(105 - saved);
      // Nothing serialized: S(saved) is restored, not saved again, and tick 105 is not predicted.
      expect(serialized).toBe(0);
      expect(engine.confirmedTick).toBe(105);
      expect(game.hash()).toBe(runStraight(both, real, 106).hash());
    },
  );

  it('getSnapshot of a tick whose state was not saved replays it exactly and leaves the game as it was', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    for (let f = 0; f < 20; f++) {
      engine.addRemoteInput('bb', f, input(f, 'bb'));
      engine.tick(input(f, 'a'));
    }
    const before = game.hash();
    const straight = runStraight(both, input, 7);
    expect(engine.getSnapshot(7)).toEqual({
      tick: 7,
      state: straight.serialize(),
      hash: straight.hash(),
    });
    expect(game.hash()).toBe(before);
    engine.addRemoteInput('bb', 20, input(20, 'bb'));
    engine.tick(input(20, 'a'));
    expect(game.hash()).toBe(runStraight(both, input, 21).hash());
  });

  it('keeps history intact when the game reuses its serialize buffer', () => {
    const game = new ReusingGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    for (let f = 0; f < 20; f++) engine.tick(input(f, 'a'));
    for (let t = 0; t < 20; t++) engine.addRemoteInput('bb', t, input(t, 'bb'));
    engine.tick(input(20, 'a'));
    const reference = new ReusingGame();
    const map = new Map<PlayerId, Uint8Array>();
    for (let t = 0; t <= 20; t++) {
      map.clear();
      map.set('a', input(t, 'a'));
      if (t < 20) map.set('bb', input(t, 'bb'));
      else map.set('bb', input(19, 'bb'));
      reference.step(map);
    }
    expect(game.hash()).toBe(reference.hash());
  });

  it('loadState transfers a state: the loaded engine continues exactly like the sender', () => {
    const sender = new RollbackEngine(new TestGame());
    sender.addPlayer('a', 0, { local: true });
    sender.addPlayer('bb', 0);
    for (let f = 0; f < 30; f++) {
      sender.addRemoteInput('bb', f, input(f, 'bb'));
      sender.tick(input(f, 'a'));
    }
    const { tick, state } = sender.getConfirmedState();
    expect(tick).toBe(30);

    const game = new TestGame();
    const receiver = new RollbackEngine(game, { hashInterval: 10 });
    receiver.addPlayer('a', 0);
    receiver.addPlayer('bb', 0, { local: true });
    // An input that arrived before the state, for a tick after it, is kept.
    receiver.addRemoteInput('a', 31, input(31, 'a'));
    const hashes: Tick[] = [];
    receiver.onConfirmedHash = (t) => hashes.push(t);
    receiver.loadState(tick, state);
    expect(receiver.currentTick).toBe(30);
    expect(receiver.getReceivedTick('a')).toBe(29);
    expect(receiver.getInput('a', 31)).toEqual(input(31, 'a'));
    receiver.addRemoteInput('a', 30, input(30, 'a'));
    expect(receiver.getReceivedTick('a')).toBe(31);
    for (let f = 30; f < 40; f++) {
      if (f > 31) receiver.addRemoteInput('a', f, input(f, 'a'));
      expect(receiver.tick(input(f, 'bb')).status).toBe('advanced');
    }
    expect(game.hash()).toBe(runStraight(both, input, 40).hash());
    expect(hashes).toEqual([30, 40]);
  });

  it.each([1, 3])(
    'rolls back to the tick of a loaded state when the first predicted input there was wrong (snapshotInterval %i)',
    (interval) => {
      const straight = runStraight(both, input, 50);
      const game = new TestGame();
      const engine = new RollbackEngine(game, { snapshotInterval: interval });
      engine.addPlayer('a', 0, { local: true });
      engine.addPlayer('bb', 0);
      engine.loadState(50, straight.serialize());
      // bb's inputs from 50 on are predicted (the empty input), then arrive different.
      for (let f = 50; f < 54; f++) engine.tick(input(f, 'a'));
      for (let f = 50; f < 54; f++) engine.addRemoteInput('bb', f, input(f, 'bb'));
      engine.tick(input(54, 'a'));
      engine.addRemoteInput('bb', 54, input(54, 'bb'));
      expect(engine.getConfirmedState().tick).toBe(55);
      expect(game.hash()).toBe(runStraight(both, input, 55).hash());
      expect(engine.stats.resimulatedTicks).toBe(4);
    },
  );

  it('loadState drops a pending rollback and older inputs, and rolling back before it is impossible', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    for (let f = 0; f < 10; f++) engine.tick(input(f, 'a'));
    engine.addRemoteInput('bb', 0, new Uint8Array([77]));
    const base = runStraight(both, input, 50);
    engine.loadState(50, base.serialize());
    expect(engine.currentTick).toBe(50);
    expect(engine.getInput('bb', 0)).toBeUndefined();
    expect(engine.confirmedTick).toBe(49);
    expect(engine.getSnapshot(49)).toBeUndefined();
    engine.addRemoteInput('bb', 50, input(50, 'bb'));
    const r = engine.tick(input(50, 'a'));
    expect(r).toMatchObject({ status: 'advanced', tick: 50, rolledBack: false });
    expect(game.hash()).toBe(runStraight(both, input, 51, { game: base, startTick: 50 }).hash());
  });

  it('an input of a tick before a loaded state changes nothing (no rollback, no throw)', () => {
    const game = new TestGame();
    const engine = new RollbackEngine(game);
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    const base = runStraight(both, input, 50);
    engine.loadState(50, base.serialize());
    for (let f = 50; f < 60; f++) engine.addRemoteInput('bb', f, input(f, 'bb'));
    for (let f = 50; f < 60; f++) engine.tick(input(f, 'a'));
    // A session retracts a player's inputs from a tick before the state (an away window that
    // began before it joined), then the inputs of that window arrive.
    engine.retractInputs('bb', 45);
    for (let f = 45; f < 60; f++) engine.addRemoteInput('bb', f, new Uint8Array([f < 50 ? 7 : 0]));
    const r = engine.tick(input(60, 'a'));
    expect(r.rolledBack).toBe(true);
    expect(engine.stats.resimulatedTicks).toBe(10);
  });

  it('a retraction from before a loaded state forgets nothing of the state (its ticks stay confirmed)', () => {
    const engine = new RollbackEngine(new TestGame());
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    engine.loadState(50, runStraight(both, input, 50).serialize());
    // A late joiner hears of an away window that opened at 45, before the state it loaded: the
    // window's inputs from 50 on come from the host; none before 50 ever will.
    engine.retractInputs('bb', 45);
    expect(engine.getReceivedTick('bb')).toBe(49);
    expect(engine.confirmedTick).toBe(49);
    engine.addRemoteInput('bb', 50, input(50, 'bb'));
    engine.tick(input(50, 'a'));
    expect(engine.confirmedTick).toBe(50);
  });

  it("loadState keeps the local player's older inputs readable (peers may still need them resent)", () => {
    const engine = new RollbackEngine(new TestGame());
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('bb', 0);
    for (let f = 0; f < 10; f++) engine.tick(input(f, 'a'));
    engine.addRemoteInput('bb', 3, new Uint8Array([9]));
    engine.loadState(8, runStraight(both, input, 8).serialize());
    for (let t = 0; t < 10; t++) expect(engine.getInput('a', t)).toEqual(input(t, 'a'));
    expect(engine.getInput('bb', 3)).toBeUndefined();
    expect(engine.confirmedTick).toBe(7);
  });

  it('starts at startTick', () => {
    const engine = new RollbackEngine(new TestGame(), { startTick: 100, hashInterval: 50 });
    engine.addPlayer('a', 100, { local: true });
    const hashes: Tick[] = [];
    engine.onConfirmedHash = (t) => hashes.push(t);
    expect(engine.currentTick).toBe(100);
    expect(engine.tick()).toMatchObject({ tick: 100, confirmedTick: 100 });
    expect(hashes).toEqual([100]);
  });
});
