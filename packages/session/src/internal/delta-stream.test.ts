// A run written from the delta stream is byte for byte the run written input by input from the
// engine, whatever happened to the engine's inputs between two writes.
import { RollbackEngine } from '@rbn/core';
import { InputWriter, MessageType } from '@rbn/protocol';
import type { Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/random';
import { TestGame } from '../testing/test-game';
import { DeltaStream } from './delta-stream';

const SEED = 20_261_207;
const writer = new InputWriter();

/** The run as writeRuns wrote it before the stream: input by input, up to the first missing. */
function direct(engine: RollbackEngine, id: string, from: Tick, upTo: Tick): Uint8Array | null {
  const inputs: Uint8Array[] = [];
  for (let t = from; t <= upTo && inputs.length < 256; t++) {
    const input = engine.getInput(id, t);
    if (input === undefined) break;
    inputs.push(input);
  }
  if (inputs.length === 0) return null;
  writer.begin(MessageType.Input, 0);
  writer.run(1, from, inputs.length);
  for (const input of inputs) writer.input(input);
  return writer.finish(-1);
}

function streamed(
  stream: DeltaStream,
  engine: RollbackEngine,
  id: string,
  from: Tick,
  upTo: Tick,
): Uint8Array | null {
  writer.begin(MessageType.Input, 0);
  if (stream.write(writer, engine, id, from, upTo) < from) return null;
  return writer.finish(-1);
}

describe('DeltaStream', () => {
  it(`writes every run as the engine's inputs one by one would (seed ${SEED})`, () => {
    const random = seededRandom(SEED);
    const pick = (n: number) => Math.floor(random() * n);
    // Streams of one player each, as a session keeps one per slot (for recent runs, and for
    // old ones: old inputs leave the engine's ring), and now and then one shared.
    const own = new Map<string, DeltaStream>();
    const shared = new DeltaStream(1);
    let engine = new RollbackEngine(new TestGame());
    const start = () => {
      engine.addPlayer('a', 0, { local: true });
      engine.addPlayer('b', 0);
    };
    start();
    let written = 0;
    let next = 0; // b's next input to deliver
    let variant = 0; // changes what b's inputs are, from a retraction on
    const input = (t: Tick) => new Uint8Array(1 + ((t >> 4) % 3)).fill(variant + ((t >> 3) % 5));
    for (let frame = 0; frame < 3000; frame++) {
      // b's inputs: runs of a held value, 1 to 3 bytes, a few out of order, now and then one
      // far ahead (it takes the ring slot of an old tick).
      const burst = next > engine.currentTick + 20 ? 0 : pick(4);
      for (let k = burst - 1; k >= 0; k--) engine.addRemoteInput('b', next + k, input(next + k));
      next += burst;
      if (pick(4) === 0) engine.addRemoteInput('b', next + 150 + pick(60), input(next));
      engine.tick(new Uint8Array([(frame >> 2) % 3]));
      const roll = random();
      if (roll < 0.01) {
        next = Math.max(
          engine.oldestRestorableTick,
          Math.min(next, engine.getReceivedTick('b') - pick(8)),
        );
        engine.retractInputs('b', next);
        variant++;
      } else if (roll < 0.012 && engine.hasPlayer('b')) engine.removePlayer('b', next + 3);
      else if (roll < 0.014) {
        engine = new RollbackEngine(new TestGame(), { startTick: engine.currentTick });
        start();
        next = engine.currentTick;
      }
      for (const id of ['a', 'b']) {
        for (let k = 0; k < 3; k++) {
          const from = engine.currentTick - pick(k === 2 ? 400 : 60);
          const upTo = from + pick(k === 2 ? 300 : 40);
          const expected = direct(engine, id, from, upTo);
          const key = `${id} ${k === 2 ? 'old' : 'recent'}`;
          if (!own.has(key)) own.set(key, new DeltaStream(1));
          const stream = pick(20) === 0 ? shared : own.get(key)!;
          expect(streamed(stream, engine, id, from, upTo), `${id} ${from}..${upTo}`).toEqual(
            expected,
          );
          if (expected !== null) written++;
        }
      }
    }
    expect(written).toBeGreaterThan(9000);
  });
});

describe('DeltaStream starts over', () => {
  /** An engine whose local player `a` gave a new input every tick up to `ticks`. */
  function played(ticks: number): RollbackEngine {
    const engine = new RollbackEngine(new TestGame(), { snapshotHistorySize: 600 });
    engine.addPlayer('a', 0, { local: true });
    for (let t = 0; t < ticks; t++) engine.tick(new Uint8Array([t & 0xff, t >> 8]));
    return engine;
  }

  it('when a run would reach 256 ticks past the first it holds (its deltas live in a 256-slot ring)', () => {
    const engine = played(400);
    const stream = new DeltaStream(1);
    expect(streamed(stream, engine, 'a', 0, 200)).toEqual(direct(engine, 'a', 0, 200));
    expect(streamed(stream, engine, 'a', 150, 300)).toEqual(direct(engine, 'a', 150, 300));
    // Ticks 1–44 share their ring slots with 257–300: kept, they would be 257–300's deltas.
    expect(streamed(stream, engine, 'a', 10, 20)).toEqual(direct(engine, 'a', 10, 20));
  });

  it('for a tick the engine can no longer restore (its input may have left the ring)', () => {
    const engine = new RollbackEngine(new TestGame(), {
      ...{ snapshotHistorySize: 16, maxSpeculationTicks: 8 },
    });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    for (let t = 0; t < 10; t++) engine.addRemoteInput('b', t, new Uint8Array([t]));
    for (let t = 0; t < 10; t++) engine.tick(new Uint8Array([0]));
    const stream = new DeltaStream(1);
    expect(streamed(stream, engine, 'b', 2, 9)).toEqual(direct(engine, 'b', 2, 9));
    // Far enough on that the engine's input ring reused the slots of ticks 3–9.
    for (let t = 10; t < 1000; t++) {
      engine.addRemoteInput('b', t, new Uint8Array([t]));
      engine.tick(new Uint8Array([0]));
    }
    expect(engine.getInput('b', 3)).toBeUndefined();
    expect(streamed(stream, engine, 'b', 3, 9)).toEqual(direct(engine, 'b', 3, 9));
  });
});
