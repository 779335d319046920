import type { PlayerId, Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { RollbackEngine } from './rollback-engine';
import { TestGame, mulberry32, runStraight } from './test-utils/test-game';

const one = (v: number) => new Uint8Array([v]);

function scheduled(engine: RollbackEngine, id: PlayerId, from: Tick, to: Tick): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t++) {
    const input = engine.getInput(id, t);
    out.push(input === undefined ? -1 : input.length === 0 ? 0 : (input[0] ?? -1));
  }
  return out;
}

describe('RollbackEngine input delay', () => {
  it('schedules the local input inputDelayTicks ahead, the first ticks filled with empty inputs', () => {
    const engine = new RollbackEngine(new TestGame(), { inputDelayTicks: 2 });
    engine.addPlayer('a', 0, { local: true });
    engine.tick(one(1));
    expect(engine.lastLocalInputTick).toBe(2);
    expect(engine.getInput('a', 0)).toEqual(new Uint8Array(0));
    expect(engine.getInput('a', 1)).toEqual(new Uint8Array(0));
    expect(engine.getInput('a', 2)).toEqual(one(1));
  });

  it('schedules nothing for a local player before its join tick', () => {
    const engine = new RollbackEngine(new TestGame(), { inputDelayTicks: 1 });
    engine.addPlayer('a', 5, { local: true });
    for (let f = 0; f < 4; f++) engine.tick(one(f + 1));
    expect(engine.lastLocalInputTick).toBe(-1);
    expect(engine.getInput('a', 5)).toBeUndefined();
    engine.tick(one(5));
    expect(engine.lastLocalInputTick).toBe(5);
    expect(scheduled(engine, 'a', 5, 5)).toEqual([5]);
  });

  it('growing the delay fills the skipped ticks by repeating the previous input, without a stall', () => {
    const engine = new RollbackEngine(new TestGame(), { inputDelayTicks: 2 });
    engine.addPlayer('a', 0, { local: true });
    for (let f = 0; f < 5; f++) expect(engine.tick(one(f + 1)).status).toBe('advanced');
    // Scheduled: ticks 0,1 empty; tick f+2 = f+1.
    engine.inputDelayTicks = 5;
    expect(engine.tick(one(6)).status).toBe('advanced');
    // Frame 5: target 10; ticks 7..9 repeat tick 6's input (5).
    expect(scheduled(engine, 'a', 0, 10)).toEqual([0, 0, 1, 2, 3, 4, 5, 5, 5, 5, 6]);
    expect(engine.lastLocalInputTick).toBe(10);
  });

  it('shrinking the delay never drops or rewrites an input, and shrinks as the input repeats', () => {
    const engine = new RollbackEngine(new TestGame(), { inputDelayTicks: 5 });
    engine.addPlayer('a', 0, { local: true });
    for (let f = 0; f < 10; f++) engine.tick(one(f + 1));
    expect(engine.lastLocalInputTick).toBe(14);
    const before = scheduled(engine, 'a', 0, 14);
    engine.inputDelayTicks = 1;
    // Changing inputs: every one is kept, appended after the last scheduled one.
    for (let f = 10; f < 15; f++) expect(engine.tick(one(f + 1)).status).toBe('advanced');
    expect(scheduled(engine, 'a', 0, 14)).toEqual(before);
    expect(scheduled(engine, 'a', 15, 19)).toEqual([11, 12, 13, 14, 15]);
    expect(engine.lastLocalInputTick - engine.currentTick).toBe(4);
    // A held input: repeats are skipped until the effective delay is 1.
    for (let f = 15; f < 25; f++) expect(engine.tick(one(50)).status).toBe('advanced');
    expect(engine.lastLocalInputTick - engine.currentTick).toBe(0);
    expect(scheduled(engine, 'a', 20, engine.lastLocalInputTick).every((v) => v === 50)).toBe(true);
    // Every tick up to the last scheduled one has an input.
    expect(scheduled(engine, 'a', 0, engine.lastLocalInputTick)).not.toContain(-1);
  });

  it('records the local input while stalled and loses no input change', () => {
    const engine = new RollbackEngine(new TestGame(), {
      maxSpeculationTicks: 2,
      snapshotHistorySize: 8,
    });
    engine.addPlayer('a', 0, { local: true });
    engine.addPlayer('b', 0);
    engine.tick(one(1));
    engine.tick(one(2));
    expect(engine.tick(one(3)).status).toBe('stalled');
    expect(engine.tick(one(3)).status).toBe('stalled');
    expect(engine.tick(one(4)).status).toBe('stalled');
    expect(scheduled(engine, 'a', 0, engine.lastLocalInputTick)).toEqual([1, 2, 3, 4]);
  });

  it.each([11, 22, 33])(
    'two peers changing their delays mid-game never freeze and end in the same state (seed %i)',
    (seed) => {
      const random = mulberry32(seed);
      const ids = ['p1', 'p2'];
      const games = ids.map(() => new TestGame());
      const engines = ids.map((_, i) => {
        const e = new RollbackEngine(games[i] as TestGame, { inputDelayTicks: 2 });
        for (const id of ids) e.addPlayer(id, 0, { local: id === ids[i] });
        return e;
      });
      const inFlight: { to: number; from: PlayerId; tick: Tick; bytes: Uint8Array; due: number }[] =
        [];
      const sent = [-1, -1];
      const frames = 300;
      for (let f = 0; f < frames; f++) {
        if (f % 40 === 20) {
          for (const e of engines) e.inputDelayTicks = Math.floor(random() * 8);
        }
        engines.forEach((engine, i) => {
          for (let k = inFlight.length - 1; k >= 0; k--) {
            const m = inFlight[k];
            if (m && m.to === i && m.due <= f) {
              engine.addRemoteInput(m.from, m.tick, m.bytes);
              inFlight.splice(k, 1);
            }
          }
          const held = Math.floor(f / (3 + i)) % 3;
          const r = engine.tick(one(held));
          expect(r.status, `seed ${seed} frame ${f}`).toBe('advanced');
          const id = ids[i] as PlayerId;
          for (let t = (sent[i] ?? -1) + 1; t <= engine.lastLocalInputTick; t++) {
            const bytes = engine.getInput(id, t)?.slice() ?? new Uint8Array(0);
            inFlight.push({
              to: 1 - i,
              from: id,
              tick: t,
              bytes,
              due: f + 1 + Math.floor(random() * 6),
            });
          }
          sent[i] = engine.lastLocalInputTick;
        });
      }
      for (const m of inFlight) engines[m.to]?.addRemoteInput(m.from, m.tick, m.bytes);
      const [e1, e2] = engines as [RollbackEngine, RollbackEngine];
      const s1 = e1.getConfirmedState();
      const s2 = e2.getConfirmedState();
      expect(s1.tick, `seed ${seed}`).toBe(frames);
      expect(s1, `seed ${seed}`).toEqual(s2);
      const truth = (t: Tick, id: PlayerId) =>
        (id === 'p1' ? e1 : e2).getInput(id, t) ?? new Uint8Array(0);
      const expected = runStraight(
        ids.map((id) => ({ id, join: 0 })),
        truth,
        frames,
      );
      expect(s1.hash, `seed ${seed}`).toBe(expected.hash());
    },
  );
});
