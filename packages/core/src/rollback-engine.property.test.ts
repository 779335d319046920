import type { PlayerId, Tick } from '@rbn/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RollbackEngine } from './rollback-engine';
import type { EngineConfig } from './rollback-engine';
import { TestGame, mulberry32, runStraight } from './test-utils/test-game';
import type { Lifetime } from './test-utils/test-game';

/** fast-check's seed: fixed so every run checks the same cases (printed in the test names). */
const FC_SEED = 0x0c0de;

const EMPTY = new Uint8Array(0);
const ALPHABET = [
  new Uint8Array(0),
  new Uint8Array([1]),
  new Uint8Array([255]),
  new Uint8Array([1, 2]),
];

type Delivery = { frame: number; id: PlayerId; tick: Tick };

/**
 * One engine with a local player and up to three remote players that join and leave at random
 * ticks (announced at random frames, often after the tick itself), whose inputs arrive with
 * random lag, duplicated and shuffled. Returns the engine's final confirmed state and the
 * straight run's, plus every confirmed hash checked along the way.
 */
function scenario(
  seed: number,
  ticks: number,
  maxLag: number,
  delay: number,
  config: EngineConfig,
) {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const inputs = new Map<string, Uint8Array>();
  const inputOf = (tick: Tick, id: PlayerId): Uint8Array => {
    const key = `${id}@${tick}`;
    let value = inputs.get(key);
    if (value === undefined) {
      // Held inputs with occasional changes, so predictions are sometimes right.
      if (tick < 0) value = EMPTY;
      else if (random() < 0.3) value = ALPHABET[pick(ALPHABET.length)] ?? EMPTY;
      else value = inputOf(tick - 1, id);
      inputs.set(key, value);
    }
    return value;
  };

  const remotes: (Lifetime & { addFrame: number; removeFrame: number })[] = ['b', 'c', 'd']
    .slice(0, 1 + pick(3))
    .map((id) => {
      const join = pick(2) === 0 ? 0 : pick(Math.floor(ticks / 2));
      const leave = pick(3) === 0 ? join + 1 + pick(ticks - join) : undefined;
      const addFrame = Math.max(0, join - 3 + pick(12));
      return {
        id,
        join,
        ...(leave === undefined ? {} : { leave }),
        addFrame,
        removeFrame: leave === undefined ? Infinity : Math.max(addFrame, leave - 3 + pick(12)),
      };
    });

  const deliveries: Delivery[] = [];
  for (const r of remotes) {
    // Inputs are sent up to a little past the leave: the leave is agreed after the fact.
    const last = Math.min(ticks - 1, (r.leave ?? ticks) + 5);
    for (let t = r.join; t <= last; t++) {
      const copies = random() < 0.2 ? 2 : 1;
      for (let k = 0; k < copies; k++) {
        deliveries.push({ frame: Math.max(t + pick(maxLag + 1), r.addFrame), id: r.id, tick: t });
      }
    }
  }
  // Random order within a frame.
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [deliveries[i], deliveries[j]] = [deliveries[j] as Delivery, deliveries[i] as Delivery];
  }

  const game = new TestGame();
  const engine = new RollbackEngine(game, { ...config, inputDelayTicks: delay });
  engine.addPlayer('a', 0, { local: true });
  const hashes: [Tick, number][] = [];
  engine.onConfirmedHash = (tick, hash) => hashes.push([tick, hash]);
  const deliver = (d: Delivery) => engine.addRemoteInput(d.id, d.tick, inputOf(d.tick, d.id));

  // A join or leave announced after its tick was confirmed rewrites confirmed history (a session
  // never does that); hashes emitted for states after such a tick are not compared.
  let rewrittenFrom = Infinity;
  const change = (tick: Tick) => {
    if (tick <= engine.confirmedTick) rewrittenFrom = Math.min(rewrittenFrom, tick);
  };
  for (let f = 0; f < ticks; f++) {
    for (const r of remotes) {
      if (r.addFrame === f) {
        change(r.join);
        engine.addPlayer(r.id, r.join);
      }
      if (r.removeFrame === f && r.leave !== undefined && r.addFrame <= f) {
        change(r.leave);
        engine.removePlayer(r.id, r.leave);
      }
    }
    for (const d of deliveries) if (d.frame === f) deliver(d);
    const result = engine.tick(inputOf(f, 'a'));
    if (result.status !== 'advanced') throw new Error(`seed ${seed}: stalled at frame ${f}`);
  }
  for (const r of remotes) {
    if (r.addFrame >= ticks) {
      change(r.join);
      engine.addPlayer(r.id, r.join);
    }
    if (r.removeFrame >= ticks && r.removeFrame !== Infinity && r.leave !== undefined) {
      change(r.leave);
      engine.removePlayer(r.id, r.leave);
    }
  }
  for (const d of deliveries) if (d.frame >= ticks) deliver(d);
  const final = engine.getConfirmedState();

  const local = (t: Tick) => engine.getInput('a', t) ?? new Uint8Array(0);
  const truth = (t: Tick, id: PlayerId) => (id === 'a' ? local(t) : inputOf(t, id));
  const lifetimes: Lifetime[] = [{ id: 'a', join: 0 }, ...remotes];
  const checked = hashes.filter(([t]) => t <= rewrittenFrom);
  const expectedHashes = checked.map(([t]) => runStraight(lifetimes, truth, t).hash());
  return { final, expected: runStraight(lifetimes, truth, ticks), hashes: checked, expectedHashes };
}

describe('RollbackEngine (property)', () => {
  it(`random input schedules with random joins, leaves, lag, duplicates and delivery order end in the straight-run state (fast-check seed ${FC_SEED})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 10, max: 90 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom<EngineConfig>(
          { hashInterval: 5 },
          // Few saved states: rollbacks for late joins restore an older checkpoint.
          { hashInterval: 1000, snapshotHistorySize: 40, maxSpeculationTicks: 25 },
          // Every predicted state saved, and very few saved (capped at 40 - 25 = 15).
          { hashInterval: 7, snapshotInterval: 1 },
          {
            hashInterval: 1000,
            snapshotHistorySize: 40,
            maxSpeculationTicks: 25,
            snapshotInterval: 50,
          },
        ),
        (seed, ticks, maxLag, delay, config) => {
          const { final, expected, hashes, expectedHashes } = scenario(
            seed,
            ticks,
            maxLag,
            delay,
            config,
          );
          const label = `seed ${seed}, ticks ${ticks}, lag ${maxLag}, delay ${delay}, config ${JSON.stringify(config)}`;
          expect(final.tick, label).toBe(ticks);
          expect(final.hash, label).toBe(expected.hash());
          expect(final.state, label).toEqual(expected.serialize());
          expect(
            hashes.map(([, h]) => h),
            label,
          ).toEqual(expectedHashes);
        },
      ),
      { numRuns: 150, seed: FC_SEED },
    );
  });
});

/**
 * 2–4 peers, each with its own engine and local player, exchanging inputs with random latency,
 * duplication and reordering, and changing their input delay mid-game.
 */
function peers(seed: number, count: number, frames: number, maxLatency: number) {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const ids = ['p0', 'p1', 'p2', 'p3'].slice(0, count);
  const hashes = ids.map(() => new Map<Tick, number>());
  const engines = ids.map((local, i) => {
    const engine = new RollbackEngine(new TestGame(), {
      hashInterval: 10,
      inputDelayTicks: pick(4),
      snapshotInterval: 1 + pick(5),
    });
    for (const id of ids) engine.addPlayer(id, 0, { local: id === local });
    engine.onConfirmedHash = (tick, hash) => hashes[i]?.set(tick, hash);
    return engine;
  });
  type Message = { to: number; from: PlayerId; tick: Tick; bytes: Uint8Array; due: number };
  let inFlight: Message[] = [];
  const sent = ids.map(() => -1);
  let stalls = 0;
  for (let f = 0; f < frames; f++) {
    engines.forEach((engine, i) => {
      const due = inFlight.filter((m) => m.to === i && m.due <= f);
      inFlight = inFlight.filter((m) => !(m.to === i && m.due <= f));
      for (const m of due) engine.addRemoteInput(m.from, m.tick, m.bytes);
      if (pick(50) === 0) engine.inputDelayTicks = pick(6);
      const held = Math.floor((f + i * 7) / (2 + pick(6))) % 3;
      if (engine.tick(new Uint8Array([held])).status === 'stalled') stalls++;
      const id = ids[i] as PlayerId;
      for (let t = (sent[i] ?? -1) + 1; t <= engine.lastLocalInputTick; t++) {
        const bytes = engine.getInput(id, t)?.slice() ?? new Uint8Array(0);
        for (let to = 0; to < count; to++) {
          if (to === i) continue;
          const copies = pick(5) === 0 ? 2 : 1;
          for (let k = 0; k < copies; k++) {
            inFlight.push({ to, from: id, tick: t, bytes, due: f + 1 + pick(maxLatency + 1) });
          }
        }
      }
      sent[i] = engine.lastLocalInputTick;
    });
  }
  for (const m of inFlight) engines[m.to]?.addRemoteInput(m.from, m.tick, m.bytes);
  return { engines, hashes, stalls };
}

describe('RollbackEngine peers (property)', () => {
  it(`peers with random latency, duplication, reordering and delay changes reach the same confirmed states and hashes (fast-check seed ${FC_SEED})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 20, max: 150 }),
        fc.integer({ min: 0, max: 12 }),
        (seed, count, frames, maxLatency) => {
          const label = `seed ${seed}, peers ${count}, frames ${frames}, latency ${maxLatency}`;
          const { engines, hashes } = peers(seed, count, frames, maxLatency);
          const states = engines.map((e) => e.getConfirmedState());
          const common = Math.min(...states.map((s) => s.tick));
          const reference = engines[0]?.getSnapshot(common);
          for (const engine of engines) {
            expect(engine.getSnapshot(common), label).toEqual(reference);
          }
          const [first, ...rest] = hashes;
          for (const other of rest) {
            for (const [tick, hash] of other) {
              if (first?.has(tick)) expect(hash, `${label}, tick ${tick}`).toBe(first.get(tick));
            }
          }
        },
      ),
      { numRuns: 60, seed: FC_SEED },
    );
  });
});
