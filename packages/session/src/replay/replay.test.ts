import { RollbackEngine } from '@rbn/core';
import { ByteWriter, DecodeError, RbnError, writeInputDelta } from '@rbn/protocol';
import type { PlayerId, Tick } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLAY_LIMITS,
  REPLAY_FORMAT_VERSION,
  ReplayRecorder,
  decodeReplay,
  playReplay,
} from './index';
import { seededRandom as rng } from '../testing/random';
import { TestGame } from '../testing/test-game';
import { yieldToEventLoop } from '../testing/yield';

/** A deterministic input for a player at a tick: changes every 5–12 ticks, 1 to 3 bytes long. */
function inputFor(seed: number, player: PlayerId, tick: Tick): Uint8Array {
  const p = player.charCodeAt(0);
  const epoch = Math.floor((tick + p * 7) / (5 + (p % 8)));
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(p, 0xc2b2ae35);
  h = Math.imul(h ^ (epoch + 0x27d4eb2f), 0x165667b1);
  h ^= h >>> 15;
  const length = 1 + ((h >>> 20) % 3);
  return new Uint8Array([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0x0f]).subarray(0, length);
}

type LiveRun = { blob: Uint8Array; finalTick: Tick; finalHash: number; rollbacks: number };

/**
 * Drives a live RollbackEngine for local player `a` and remote players `b` and `c` whose inputs
 * arrive `latency` ticks late (so the engine predicts and rolls back): `c` joins at 50, `b`
 * leaves at 300 and rejoins at 400. Records every confirmed input, as a session would.
 */
function liveRun(seed: number, ticks: number, latency = 6): LiveRun {
  const game = new TestGame(16);
  const engine = new RollbackEngine(game, { inputDelayTicks: 2 });
  const recorder = new ReplayRecorder({ startTick: 0, state: game.serialize() });
  const ids: PlayerId[] = ['a', 'b', 'c'];
  engine.addPlayer('a', 0, { local: true });
  engine.addPlayer('b', 0);
  recorder.recordJoin('a', 0);
  recorder.recordJoin('b', 0);
  const lifetimes: Record<PlayerId, [Tick, Tick][]> = {
    a: [[0, Infinity]],
    b: [
      [0, 300],
      [400, Infinity],
    ],
    c: [[50, Infinity]],
  };
  const activeAt = (id: PlayerId, t: Tick): boolean =>
    lifetimes[id]!.some(([from, to]) => t >= from && t < to);
  let recordedThrough = -1;
  for (let frame = 0; frame < ticks; frame++) {
    const now = engine.currentTick;
    if (now === 40) {
      engine.addPlayer('c', 50);
      recorder.recordJoin('c', 50);
    }
    if (now === 290) {
      engine.removePlayer('b', 300);
      recorder.recordLeave('b', 300);
    }
    if (now === 390) {
      engine.addPlayer('b', 400);
      recorder.recordJoin('b', 400);
    }
    const arrived = now - latency;
    for (const id of ['b', 'c']) {
      if (arrived >= 0 && activeAt(id, arrived)) {
        engine.addRemoteInput(id, arrived, inputFor(seed, id, arrived));
      }
    }
    engine.tick(inputFor(seed, 'a', frame));
    for (let t = recordedThrough + 1; t <= engine.confirmedTick; t++) {
      for (const id of ids) {
        const input = engine.getInput(id, t);
        if (input !== undefined) recorder.recordInput(id, t, input);
      }
      recordedThrough = t;
    }
  }
  const confirmed = engine.getConfirmedState();
  return {
    blob: recorder.finish({ finalTick: confirmed.tick, finalHash: confirmed.hash }),
    finalTick: confirmed.tick,
    finalHash: confirmed.hash,
    rollbacks: engine.stats.rollbacks,
  };
}

describe('ReplayRecorder and playReplay', () => {
  it('reproduces the final hash of a live run with joins, a leave, a rejoin and rollbacks', () => {
    const seed = 1234;
    const run = liveRun(seed, 600);
    expect(run.rollbacks, `seed ${seed}`).toBeGreaterThan(0);
    const replay = decodeReplay(run.blob);
    expect(replay.events.map((e) => `${e.kind}:${e.playerId}@${e.tick}`)).toEqual([
      'join:a@0',
      'join:b@0',
      'join:c@50',
      'leave:b@300',
      'join:b@400',
    ]);
    const result = playReplay(run.blob, new TestGame(16));
    expect(result, `seed ${seed}`).toEqual({
      finalTick: run.finalTick,
      hash: run.finalHash >>> 0,
      expectedHash: run.finalHash >>> 0,
      matches: true,
    });
  });

  it('reproduces runs of several seeds into fresh games', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const run = liveRun(seed, 480, 1 + (seed % 8));
      const result = playReplay(run.blob, new TestGame(16));
      expect(result.matches, `seed ${seed}`).toBe(true);
      expect(result.finalTick, `seed ${seed}`).toBe(run.finalTick);
    }
  });

  it('reports a mismatch when one recorded input differs from the live run', () => {
    const game = new TestGame(8);
    const engine = new RollbackEngine(game);
    const recorder = new ReplayRecorder({ startTick: 0, state: game.serialize() });
    for (const id of ['x', 'y']) {
      engine.addPlayer(id, 0);
      recorder.recordJoin(id, 0);
    }
    for (let t = 0; t < 100; t++) {
      for (const id of ['x', 'y']) {
        const input = inputFor(7, id, t);
        engine.addRemoteInput(id, t, input);
        // The recording of y at tick 60 is wrong.
        recorder.recordInput(id, t, id === 'y' && t === 60 ? new Uint8Array([0xee]) : input);
      }
      engine.tick();
    }
    const blob = recorder.finish({ finalTick: 100, finalHash: game.hash() });
    const result = playReplay(blob, new TestGame(8));
    expect(result.matches).toBe(false);
    expect(result.hash).not.toBe(result.expectedHash);
  });

  it('starts from a state loaded at a later tick (a late joiner’s recording)', () => {
    const source = new TestGame(8);
    const warmup = new RollbackEngine(source);
    warmup.addPlayer('p', 0);
    for (let t = 0; t < 250; t++) {
      warmup.addRemoteInput('p', t, inputFor(3, 'p', t));
      warmup.tick();
    }
    const start = warmup.getConfirmedState();
    const game = new TestGame(8);
    const engine = new RollbackEngine(game, { startTick: start.tick });
    engine.loadState(start.tick, start.state);
    engine.addPlayer('p', 0);
    const recorder = new ReplayRecorder({ startTick: start.tick, state: start.state });
    recorder.recordJoin('p', 0);
    for (let t = start.tick; t < start.tick + 200; t++) {
      const input = inputFor(3, 'p', t);
      engine.addRemoteInput('p', t, input);
      recorder.recordInput('p', t, input);
      engine.tick();
    }
    const end = engine.getConfirmedState();
    const blob = recorder.finish({ finalTick: end.tick, finalHash: end.hash });
    const result = playReplay(blob, new TestGame(8));
    expect(result).toMatchObject({ finalTick: start.tick + 200, matches: true });
  });

  it('throws REPLAY_INCOMPLETE when an input a tick needs was never recorded', () => {
    const game = new TestGame(8);
    const recorder = new ReplayRecorder({ startTick: 0, state: game.serialize() });
    recorder.recordJoin('p', 0);
    for (let t = 0; t < 20; t++) if (t !== 9) recorder.recordInput('p', t, new Uint8Array([t]));
    const blob = recorder.finish({ finalTick: 20, finalHash: 0 });
    expect(() => playReplay(blob, new TestGame(8))).toThrow(
      expect.objectContaining({ code: 'REPLAY_INCOMPLETE' }) as Error,
    );
    expect(() => playReplay(blob, new TestGame(8))).toThrow(/player p for tick 9/);
  });

  it('ignores re-delivered inputs and inconsistent join/leave calls', () => {
    const recorder = new ReplayRecorder({ startTick: 0, state: new Uint8Array(4) });
    expect(recorder.recordJoin('p', 0)).toBe(true);
    expect(recorder.recordJoin('p', 5)).toBe(false);
    expect(recorder.recordLeave('q', 5)).toBe(false);
    expect(recorder.recordInput('p', 0, new Uint8Array([1]))).toBe(true);
    expect(recorder.recordInput('p', 1, new Uint8Array([1]))).toBe(true);
    expect(recorder.recordInput('p', 1, new Uint8Array([9]))).toBe(false);
    expect(recorder.recordInput('p', 0, new Uint8Array([9]))).toBe(false);
    expect(recorder.recordLeave('p', 10)).toBe(true);
    expect(recorder.recordJoin('p', 8)).toBe(false);
    const replay = decodeReplay(recorder.finish({ finalTick: 2, finalHash: 1 }));
    expect(replay.players[0]!.runs).toEqual([{ tick: 0, count: 2, input: new Uint8Array([1]) }]);
  });

  it('round-trips inputs exactly: lengths changing, gaps, repeats after gaps', () => {
    const random = rng(99);
    const recorder = new ReplayRecorder({ startTick: 3, state: new Uint8Array([1, 2, 3]) });
    const expected = new Map<Tick, Uint8Array>();
    let tick = 0;
    let last: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 2000; i++) {
      tick += random() < 0.05 ? 2 + Math.floor(random() * 5) : 1;
      const r = random();
      let input: Uint8Array;
      if (r < 0.6) input = last;
      else if (r < 0.8) {
        input = last.slice();
        if (input.length > 0)
          input[Math.floor(random() * input.length)]! ^= 1 << Math.floor(random() * 8);
      } else {
        input = new Uint8Array(Math.floor(random() * 65));
        for (let k = 0; k < input.length; k++)
          input[k] = random() < 0.5 ? 0 : Math.floor(random() * 256);
      }
      last = input;
      recorder.recordInput('solo', tick, input);
      expected.set(tick, input);
    }
    const replay = decodeReplay(recorder.finish({ finalTick: tick + 1, finalHash: -5 }));
    expect(replay.finalHash).toBe(-5 >>> 0);
    expect(replay.startTick).toBe(3);
    const got = new Map<Tick, Uint8Array>();
    for (const run of replay.players[0]!.runs) {
      for (let k = 0; k < run.count; k++) got.set(run.tick + k, run.input);
    }
    expect(got).toEqual(expected);
  });

  it('stays a few KB for 10 000 ticks of 2 players with mostly unchanged inputs', () => {
    const game = new TestGame(16);
    const recorder = new ReplayRecorder({ startTick: 0, state: game.serialize() });
    recorder.recordJoin('a', 0);
    recorder.recordJoin('b', 0);
    for (let t = 0; t < 10_000; t++) {
      // Each player changes its 4-byte input about once a second.
      for (const id of ['a', 'b']) {
        const epoch = Math.floor((t + (id === 'a' ? 0 : 17)) / 60);
        recorder.recordInput(id, t, new Uint8Array([epoch & 0xff, epoch % 3, 0, 1]));
      }
    }
    const blob = recorder.finish({ finalTick: 10_000, finalHash: 42 });
    // 20 000 raw inputs of 4 bytes would be 80 000 bytes.
    expect(blob.length).toBeLessThan(3 * 1024);
    expect(recorder.byteLength).toBeGreaterThan(blob.length / 2);
    const decoded = decodeReplay(blob);
    const total = decoded.players.reduce(
      (n, p) => n + p.runs.reduce((m, run) => m + run.count, 0),
      0,
    );
    expect(total).toBe(20_000);
  });

  it('rejects a version-1 blob (the old XOR-delta format) saying it is from an older rbn', () => {
    expect(REPLAY_FORMAT_VERSION).toBe(2);
    const blob = new ReplayRecorder({ startTick: 0, state: new Uint8Array(4) }).finish({
      finalTick: 0,
      finalHash: 0,
    });
    expect(blob[4]).toBe(2);
    const v1 = blob.slice();
    v1[4] = 1;
    expect(() => decodeReplay(v1)).toThrow(DecodeError);
    expect(() => decodeReplay(v1)).toThrow(
      /unsupported replay format version 1 \(this reader knows 2; it was recorded by an older rbn/,
    );
  });

  it("stores a changed input as the wire protocol's input delta", () => {
    const before = new Uint8Array(32);
    const after = before.slice();
    after[7] = 9;
    const recorder = new ReplayRecorder({
      startTick: 0,
      state: new Uint8Array(0),
      maxInputBytes: 32,
    });
    recorder.recordJoin('a', 0);
    recorder.recordInput('a', 0, before);
    recorder.recordInput('a', 1, after);
    const blob = recorder.finish({ finalTick: 2, finalHash: 0 });
    // The stream's tail: ITEM_INPUT (tag 2), then writeInputDelta(before, after), then ITEM_END.
    const w = new ByteWriter(8);
    writeInputDelta(w, before, after);
    const delta = w.finish();
    expect([...blob.subarray(blob.length - delta.length - 2)]).toEqual([2, ...delta, 0]);
    const runs = decodeReplay(blob).players[0]!.runs;
    expect(runs.map((run) => [...run.input])).toEqual([[...before], [...after]]);
  });

  it('rejects blobs that are not replays, with a DecodeError naming the reason', () => {
    expect(() => decodeReplay(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeReplay(new TextEncoder().encode('RBNX\x01'))).toThrow(/magic bytes/);
    expect(() => decodeReplay(new Uint8Array([0x52, 0x42, 0x4e, 0x52, 9]))).toThrow(
      /unsupported replay format version 9/,
    );
    const recorder = new ReplayRecorder({ startTick: 0, state: new Uint8Array(100) });
    const blob = recorder.finish({ finalTick: 10, finalHash: 0 });
    expect(() => decodeReplay(blob, { maxStateBytes: 99 })).toThrow(/state length 100 is over 99/);
    expect(() => decodeReplay(blob, { maxTicks: 9 })).toThrow(/over maxTicks/);
    expect(() => decodeReplay(new Uint8Array([...blob, 0]))).toThrow(/trailing/);
    expect(() => decodeReplay(blob.subarray(0, blob.length - 1))).toThrow(/truncated/);
  });

  it('lets only DecodeError escape from thousands of seeded mutations of a valid blob', async () => {
    const seed = 20261121;
    const random = rng(seed);
    const blob = liveRun(seed, 300).blob;
    let decoded = 0;
    let played = 0;
    for (let i = 0; i < 3000; i++) {
      if (i % 250 === 0) await yieldToEventLoop();
      const mutated = mutate(blob, random);
      try {
        const replay = decodeReplay(mutated, { maxTicks: 1000 });
        decoded++;
        if (i % 4 === 0) {
          try {
            playReplay(replay, new TestGame(16));
            played++;
          } catch (error) {
            // Playback of a valid-looking but altered recording may fail only with an RbnError.
            expect(error, `seed ${seed} mutation ${i}`).toBeInstanceOf(RbnError);
          }
        }
      } catch (error) {
        expect(error, `seed ${seed} mutation ${i}`).toBeInstanceOf(DecodeError);
      }
    }
    // Most mutations break the blob, some keep it decodable: both paths are exercised.
    expect(decoded, `seed ${seed}`).toBeGreaterThan(0);
    expect(decoded, `seed ${seed}`).toBeLessThan(3000);
    expect(played, `seed ${seed}`).toBeGreaterThan(0);
  });

  it('refuses bad arguments with RbnError', () => {
    expect(() => new ReplayRecorder({ startTick: -1, state: new Uint8Array(0) })).toThrow(
      /startTick must be an integer tick/,
    );
    const recorder = new ReplayRecorder({
      startTick: 5,
      state: new Uint8Array(0),
      maxInputBytes: 2,
    });
    expect(() => recorder.recordInput('p', 6, new Uint8Array(3))).toThrow(
      /more than maxInputBytes \(2\)/,
    );
    expect(() => recorder.finish({ finalTick: 4, finalHash: 0 })).toThrow(/before the start tick/);
    expect(() => recorder.recordJoin('x'.repeat(257), 6)).toThrow(
      /257 UTF-8 bytes is over maxStringBytes \(256\)/,
    );
    expect(() => recorder.recordJoin('a\ud800', 6)).toThrow(/lone surrogate/);
    expect(() => recorder.finish({ finalTick: 6, finalHash: 1.5 })).toThrow(/finalHash/);
    expect(DEFAULT_REPLAY_LIMITS.maxTicks).toBe(1 << 24);
  });
});

function mutate(blob: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(blob);
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * bytes.length);
    const kind = random();
    if (kind < 0.5) bytes[at] = Math.floor(random() * 256);
    else if (kind < 0.65) bytes[at]! ^= 1 << Math.floor(random() * 8);
    else if (kind < 0.8) bytes.splice(at, 1 + Math.floor(random() * 4));
    else if (kind < 0.9) bytes.splice(at, 0, Math.floor(random() * 256));
    else bytes.length = at;
  }
  return Uint8Array.from(bytes);
}
