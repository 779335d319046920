import { describe, expect, it } from 'vitest';
import { RollbackEngine, runSyncTest, type Game } from './index';

// The README's example, kept here so it keeps working.
class Counters implements Game {
  state = new Int32Array(2);
  step(inputs: Map<string, Uint8Array>): void {
    this.state[0] = (this.state[0] ?? 0) + (inputs.get('alice')?.[0] ?? 0);
    this.state[1] = (this.state[1] ?? 0) + (inputs.get('bob')?.[0] ?? 0);
  }
  serialize(): Uint8Array {
    return new Uint8Array(this.state.buffer);
  }
  deserialize(data: Uint8Array): void {
    this.state.set(new Int32Array(data.slice().buffer));
  }
  hash(): number {
    return ((this.state[0] ?? 0) * 31 + (this.state[1] ?? 0)) >>> 0;
  }
}

describe('README example', () => {
  it('runs the usage example and the sync test', () => {
    const game = new Counters();
    const engine = new RollbackEngine(game, { inputDelayTicks: 1 });
    engine.addPlayer('alice', 0, { local: true });
    engine.addPlayer('bob', 0);
    engine.addRemoteInput('bob', 0, new Uint8Array([2]));
    const result = engine.tick(new Uint8Array([1]));
    expect(result.status).toBe('advanced');
    expect(engine.lastLocalInputTick).toBe(1);
    expect([...game.state]).toEqual([0, 2]);

    const sync = runSyncTest({
      createGame: () => new Counters(),
      playerIds: ['alice', 'bob'],
      inputs: (tick, player) => new Uint8Array([(tick * 7 + player.length) % 3]),
      ticks: 1000,
      rollbackTicks: 8,
    });
    expect(sync).toEqual({ ok: true, ticks: 1000 });
  });
});
