import { runSyncTest } from '@rbn/core';
import { describe, expect, it } from 'vitest';
import { ArenaGame, MAX_PLAYERS, PLATFORM_RADIUS, Phase, WIN_SCORE } from './arena';
import { SUB, isqrt } from './fixed';
import { Button } from './input';
import { replayHashes, scriptedInputs } from './replay';

describe('ArenaGame', () => {
  it('places the coin uniformly over its disc (DMath.cos/sin of a seeded angle)', () => {
    const center = (480 / 2) * SUB;
    const range = (PLATFORM_RADIUS - 30) * SUB;
    const quadrants = [0, 0, 0, 0];
    let outerHalf = 0;
    for (let seed = 0; seed < 400; seed++) {
      const game = new ArenaGame(seed);
      const dx = game.coinX - center;
      const dy = game.coinY - center;
      const d = isqrt(dx * dx + dy * dy);
      expect(d, `seed ${seed}`).toBeLessThanOrEqual(range);
      quadrants[(dx < 0 ? 1 : 0) + (dy < 0 ? 2 : 0)]! += 1;
      if (d * d > (range * range) / 2) outerHalf++;
    }
    for (const count of quadrants) expect(count).toBeGreaterThan(60);
    // Uniform over the area: about half the coins lie outside radius range/√2.
    expect(outerHalf).toBeGreaterThan(150);
    expect(outerHalf).toBeLessThan(250);
  });

  it('plays a recorded replay back to the same hashes as when it was recorded', () => {
    const hashes = replayHashes(2026, 600, ['alice', 'bob', 'carol']);
    expect(new Set(hashes).size).toBeGreaterThan(500);
    expect(replayHashes(2026, 600, ['alice', 'bob', 'carol'])).toEqual(hashes);
    // Pinned: a change to the simulation (or to DMath or the generator) shows up here.
    expect(hashes[599]).toMatchInlineSnapshot(`4250528500`);
  });

  it('gives the same hash on two instances fed the same inputs', () => {
    for (const seed of [1, 2, 3, 99, 12345]) {
      const a = new ArenaGame(seed);
      const b = new ArenaGame(seed);
      const hashes = new Set<number>();
      for (const frame of scriptedInputs(seed, 1200, ['p1', 'p2', 'p3'])) {
        a.step(frame);
        b.step(new Map(frame));
        expect(b.hash(), `seed ${seed} tick ${a.tick}`).toBe(a.hash());
        hashes.add(a.hash());
      }
      expect(hashes.size, `seed ${seed}: the state changes over time`).toBeGreaterThan(100);
    }
  });

  it('round-trips its state through serialize and deserialize, continuing identically', () => {
    const seed = 7;
    const frames = scriptedInputs(seed, 900, ['alice', 'bob', 'carol', 'dave']);
    const a = new ArenaGame(seed);
    for (const frame of frames.slice(0, 450)) a.step(frame);
    const saved = a.serialize().slice();
    const b = new ArenaGame(0);
    b.deserialize(saved);
    expect(b.hash(), `seed ${seed}`).toBe(a.hash());
    expect(b.serialize()).toEqual(saved);
    for (const frame of frames.slice(450)) {
      a.step(frame);
      b.step(frame);
    }
    expect(b.hash(), `seed ${seed}`).toBe(a.hash());
    expect(b.players.map((p) => p.id)).toEqual(a.players.map((p) => p.id));
  });

  it('restores an earlier state exactly, as a rollback does', () => {
    const frames = scriptedInputs(11, 300, ['p1', 'p2']);
    const game = new ArenaGame(11);
    for (const frame of frames.slice(0, 100)) game.step(frame);
    const snapshot = game.serialize().slice();
    const hashAt100 = game.hash();
    for (const frame of frames.slice(100)) game.step(frame);
    expect(game.hash()).not.toBe(hashAt100);
    game.deserialize(snapshot);
    expect(game.hash()).toBe(hashAt100);
    expect(game.tick).toBe(100);
  });

  it('gives a different hash for different inputs', () => {
    const a = new ArenaGame(5);
    const b = new ArenaGame(5);
    const idle = Uint8Array.of(0);
    for (let t = 0; t < 30; t++) {
      a.step(new Map([['p1', idle]]));
      b.step(new Map([['p1', Uint8Array.of(Button.Right)]]));
    }
    expect(a.hash()).not.toBe(b.hash());
  });

  it('seats late joiners in free slots by sorted id and frees the slot of a player who left', () => {
    const game = new ArenaGame(3);
    const idle = Uint8Array.of(0);
    game.step(new Map([['m', idle]]));
    game.step(
      new Map([
        ['m', idle],
        ['z', idle],
        ['b', idle],
      ]),
    );
    expect(game.players.map((p) => p.id)).toEqual(['m', 'b', 'z', '']);
    game.step(new Map([['z', idle]]));
    expect(game.players.map((p) => p.phase)).toEqual([
      Phase.Empty,
      Phase.Empty,
      Phase.Alive,
      Phase.Empty,
    ]);
    game.step(
      new Map([
        ['z', idle],
        ['a', idle],
      ]),
    );
    expect(game.playerById('a')?.slot).toBe(0);
  });

  it('seats at most four players and ignores the rest', () => {
    const game = new ArenaGame(3);
    const idle = Uint8Array.of(0);
    game.step(new Map(['a', 'b', 'c', 'd', 'e'].map((id) => [id, idle])));
    expect(game.players.filter((p) => p.phase !== Phase.Empty)).toHaveLength(MAX_PLAYERS);
    expect(game.playerById('e')).toBeUndefined();
  });

  it('treats an empty input as no buttons pressed', () => {
    const a = new ArenaGame(9);
    const b = new ArenaGame(9);
    for (let t = 0; t < 20; t++) {
      a.step(new Map([['p', new Uint8Array(0)]]));
      b.step(new Map([['p', Uint8Array.of(0)]]));
    }
    expect(a.hash()).toBe(b.hash());
  });

  it('scores a ring-out for the player who dashed into the victim', () => {
    const game = new ArenaGame(1);
    // slot 0 spawns west of centre facing east, slot 1 east facing west.
    const pusher = 'a';
    const victim = 'b';
    let victimFell = false;
    for (let t = 0; t < 400 && !victimFell; t++) {
      const dash = t % 50 === 10 ? Button.Dash : 0;
      game.step(
        new Map([
          [pusher, Uint8Array.of(Button.Right | dash)],
          [victim, Uint8Array.of(0)],
        ]),
      );
      victimFell = game.playerById(victim)?.phase === Phase.Falling;
    }
    expect(victimFell).toBe(true);
    expect(game.playerById(pusher)?.score).toBeGreaterThanOrEqual(1);
  });

  it('ends the round when a player reaches the winning score, then resets the scores', () => {
    const game = new ArenaGame(1);
    const idle = Uint8Array.of(0);
    game.step(
      new Map([
        ['a', idle],
        ['b', idle],
      ]),
    );
    const pusher = game.playerById('a');
    if (!pusher) throw new Error('no player a');
    pusher.score = WIN_SCORE - 1;
    let ticks = 0;
    for (; ticks < 400 && game.winner === 0; ticks++) {
      const dash = ticks % 50 === 10 ? Button.Dash : 0;
      game.step(
        new Map([
          ['a', Uint8Array.of(Button.Right | dash)],
          ['b', idle],
        ]),
      );
    }
    expect(game.winner).toBe(pusher.slot + 1);
    expect(pusher.score).toBe(WIN_SCORE);
    // Nothing moves during the pause, whatever the inputs.
    const paused = game.roundOverTimer;
    const before = game.players.map((p) => [p.x, p.y, p.phase]);
    for (let t = 0; t < 30; t++) {
      game.step(
        new Map([
          ['a', Uint8Array.of(Button.Left | Button.Dash)],
          ['b', Uint8Array.of(Button.Up)],
        ]),
      );
    }
    expect(game.players.map((p) => [p.x, p.y, p.phase])).toEqual(before);
    expect(game.winner).toBe(pusher.slot + 1);
    for (let t = 30; t < paused; t++) {
      game.step(
        new Map([
          ['a', idle],
          ['b', idle],
        ]),
      );
    }
    expect(game.winner).toBe(0);
    expect(
      game.players.filter((p) => p.phase !== Phase.Empty).map((p) => [p.score, p.phase]),
    ).toEqual([
      [0, Phase.Alive],
      [0, Phase.Alive],
    ]);
  });

  it('respawns a fallen player on the platform', () => {
    const game = new ArenaGame(1);
    let phase: Phase | undefined;
    const seen = new Set<Phase>();
    for (let t = 0; t < 400; t++) {
      game.step(new Map([['solo', Uint8Array.of(t < 150 ? Button.Up : 0)]]));
      phase = game.playerById('solo')?.phase;
      if (phase !== undefined) seen.add(phase);
    }
    expect([...seen]).toEqual([Phase.Alive, Phase.Falling, Phase.Respawning]);
    expect(phase).toBe(Phase.Alive);
  });

  it('hashes differently after corrupt()', () => {
    const game = new ArenaGame(1);
    game.step(new Map([['p', Uint8Array.of(0)]]));
    const before = game.hash();
    game.corrupt();
    expect(game.hash()).not.toBe(before);
  });

  it("passes core's sync test: rollback and resimulation give the same hashes", () => {
    for (const seed of [1, 42, 777]) {
      const frames = scriptedInputs(seed, 1500, ['p1', 'p2', 'p3', 'p4']);
      const result = runSyncTest({
        createGame: () => new ArenaGame(seed),
        playerIds: ['p1', 'p2', 'p3', 'p4'],
        inputs: (tick, id) => frames[tick]?.get(id) ?? new Uint8Array(0),
        ticks: 1500,
        rollbackTicks: 7,
      });
      expect(
        result.ok,
        `seed ${seed}: ${JSON.stringify(result.ok ? {} : { tick: result.tick })}`,
      ).toBe(true);
    }
  });

  it('rejects bytes that are not an arena state', () => {
    expect(() => new ArenaGame().deserialize(Uint8Array.of(9, 9, 9))).toThrow(/not an arena state/);
  });
});

describe('isqrt', () => {
  it('returns the floor of the square root', () => {
    for (const n of [0, 1, 2, 3, 4, 15, 16, 17, 65535, 65536, 2 ** 40 + 5, 3e10]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1) * (r + 1) > n, `n=${n}`).toBe(true);
    }
  });
});
