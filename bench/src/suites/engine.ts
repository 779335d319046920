// Rollback engine CPU µs per tick: @rbn/core's RollbackEngine vs rollback-netcode@0.0.6's, driving
// the same game with a 1 KB state, (a) without rollbacks and (b) rolling back 8 ticks every tick.
// Rollbacks are counted for both, so (b) is known to really roll back; serialize calls are
// counted too (rbn saves only states a rollback may need, so (a) needs almost none).
import { RollbackEngine } from '@rbn/core';
import type { Game } from '@rbn/core';
import * as rn from 'rollback-netcode';
import { median, printTable, type Row } from '../table';

const STATE_INTS = 256; // 1 KB
const LAG = 8;
const ROUNDS = 15;

/** A deterministic game with a 1 KB state that it mixes with the inputs every step. */
class BenchGame implements Game<Uint8Array> {
  private readonly ints = new Int32Array(STATE_INTS);
  private readonly bytes = new Uint8Array(this.ints.buffer);
  /** How many times an engine asked for the state. */
  serializeCalls = 0;

  /**
   * @param noop - A game that does nothing and returns the same 1 KB array from serialize, to
   * measure an engine's own cost alone.
   */
  constructor(private readonly noop = false) {}

  step(inputs: Map<string, Uint8Array>): void {
    if (this.noop) return;
    let k = 17;
    for (const [id, input] of inputs) k = (k * 31 + id.length + (input[0] ?? 0)) | 0;
    const s = this.ints;
    for (let i = 0; i < STATE_INTS; i++) s[i] = (Math.imul(s[i] ?? 0, 1103515245) + k + i) | 0;
  }
  /** A fresh copy each time: safe for an engine that keeps the array it is given. */
  serialize(): Uint8Array {
    this.serializeCalls++;
    return this.noop ? this.bytes : this.bytes.slice();
  }
  deserialize(data: Uint8Array): void {
    this.bytes.set(data);
  }
  hash(): number {
    let h = 0x811c9dc5;
    const b = this.bytes;
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ (b[i] ?? 0), 0x01000193);
    return h >>> 0;
  }
}

/** One prebuilt input per value, so the loop allocates nothing for inputs. */
const INPUTS = [new Uint8Array([0]), new Uint8Array([1])] as const;
/** The input of a player for a tick: it changes every tick, so a repeat-last guess is always wrong. */
const inputAt = (tick: number): Uint8Array => ((tick & 1) === 0 ? INPUTS[0] : INPUTS[1]);

type Driver = {
  tick: () => void;
  rollbacks: () => number;
  ticks: () => number;
  check: () => number;
  game: BenchGame;
};

function rbnDriver(lag: number, noop = false): Driver {
  const game = new BenchGame(noop);
  const engine = new RollbackEngine(game);
  engine.addPlayer('local', 0, { local: true });
  engine.addPlayer('remote', 0);
  let ticks = 0;
  return {
    tick: () => {
      const t = engine.currentTick;
      if (t >= lag) engine.addRemoteInput('remote', t - lag, inputAt(t - lag));
      const r = engine.tick(inputAt(t));
      if (r.status !== 'advanced') throw new Error(`rbn stalled at ${t}`);
      ticks++;
    },
    rollbacks: () => engine.stats.rollbacks,
    ticks: () => ticks,
    check: () => game.hash(),
    game,
  };
}

function rnDriver(lag: number, noop = false): Driver {
  const game = new BenchGame(noop);
  const local = rn.asPlayerId('local');
  const remote = rn.asPlayerId('remote');
  const engine = new rn.RollbackEngine({ game, localPlayerId: local });
  engine.addPlayer(local, rn.asTick(0));
  engine.addPlayer(remote, rn.asTick(0));
  engine.saveInitialSnapshot();
  let rollbacks = 0;
  let ticks = 0;
  return {
    tick: () => {
      const t = engine.currentTick;
      if (t >= lag) engine.receiveRemoteInput(remote, rn.asTick(t - lag), inputAt(t - lag));
      engine.setLocalInput(t, inputAt(t));
      const r = engine.tick();
      if (r.error) throw r.error;
      if (r.rolledBack) rollbacks++;
      ticks++;
    },
    rollbacks: () => rollbacks,
    ticks: () => ticks,
    check: () => game.hash(),
    game,
  };
}

/**
 * CPU µs per call of `fn`: user + system CPU time of this process (all its threads, so garbage
 * collection counts) over `iterations` calls, after a warm-up. Unlike wall time, it does not
 * count time other processes on a busy machine take from this one.
 */
function cpuMicros(fn: () => void, iterations: number): number {
  for (let i = 0; i < iterations / 10; i++) fn();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

/** Median CPU µs per tick of each driver over alternating rounds (so noise hits both alike). */
function compare(a: Driver, b: Driver, iterations: number, rounds = ROUNDS): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ta.push(cpuMicros(a.tick, iterations));
    tb.push(cpuMicros(b.tick, iterations));
  }
  return [median(ta), median(tb)];
}

/** Keeps results observable so the optimiser cannot drop the work. */
let sink = 0;

/** Median CPU µs of the game's own work for one simulated tick: one step and one serialize. */
function gameCost(rounds = ROUNDS): number {
  const game = new BenchGame();
  const inputs = new Map<string, Uint8Array>([
    ['local', INPUTS[0]],
    ['remote', INPUTS[1]],
  ]);
  const step = () => {
    game.step(inputs);
    sink += game.serialize().length;
  };
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(cpuMicros(step, 5_000));
  return median(times);
}

export default async function engineSuite(): Promise<void> {
  await Promise.resolve();
  const rows: Row[] = [];

  // (a) Every input is known before its tick: no prediction error, no rollback.
  const a1 = rbnDriver(0);
  const a2 = rnDriver(0);
  const [aRbn, aRn] = compare(a1, a2, 5_000);
  sink += a1.check() + a2.check();
  rows.push({
    metric: '(a) tick, no rollback',
    unit: 'µs/tick',
    rbn: aRbn,
    competitor: aRn,
    target: '≤ 0.2× (≥ 5× faster)',
  });
  rows.push({
    metric: '(a) game.serialize calls per tick',
    rbn: a1.game.serializeCalls / a1.ticks(),
    competitor: a2.game.serializeCalls / a2.ticks(),
  });
  rows.push({
    metric: '(a) rollbacks / ticks',
    rbn: `${a1.rollbacks()} / ${a1.ticks()}`,
    competitor: `${a2.rollbacks()} / ${a2.ticks()}`,
  });

  // (b) The remote input of tick t-8 arrives at tick t and differs from the prediction, so each
  // tick restores S(t-8) and resimulates 8 ticks before simulating t.
  const b1 = rbnDriver(LAG);
  const b2 = rnDriver(LAG);
  const [bRbn, bRn] = compare(b1, b2, 600);
  sink += b1.check() + b2.check();
  const game = gameCost();
  rows.push({
    metric: `(b) tick with a ${LAG}-tick rollback`,
    unit: 'µs/tick',
    rbn: bRbn,
    competitor: bRn,
    target: '≤ 0.5× (≥ 2× faster)',
  });
  rows.push({
    metric: '(b) rollbacks / ticks',
    rbn: `${b1.rollbacks()} / ${b1.ticks()}`,
    competitor: `${b2.rollbacks()} / ${b2.ticks()}`,
  });
  rows.push({
    metric: '(b) game.serialize calls per tick',
    rbn: b1.game.serializeCalls / b1.ticks(),
    competitor: b2.game.serializeCalls / b2.ticks(),
  });
  const simulated = LAG + 1;
  // The engines' own cost: the same drivers with a game that does nothing.
  const [nRbn, nRn] = compare(rbnDriver(LAG, true), rnDriver(LAG, true), 600);
  rows.push({
    metric: `(b) engine's own cost per simulated tick (no-op game, tick ÷ ${simulated})`,
    unit: 'µs',
    rbn: nRbn / simulated,
    competitor: nRn / simulated,
  });
  rows.push({
    metric: "game's own step+serialize per simulated tick",
    unit: 'µs',
    rbn: game,
    competitor: game,
  });
  printTable(
    'Rollback engine, 2 players, 1 KB state, CPU µs per tick (rbn vs rollback-netcode RollbackEngine)',
    rows,
  );
  if (sink === 0.5) console.log(sink);
  console.log(
    `speedup: (a) ${(aRn / aRbn).toFixed(1)}× faster, (b) ${(bRn / bRbn).toFixed(1)}× faster`,
  );
}
