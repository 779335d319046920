import type { PlayerId, Tick } from '@rbn/protocol';
import type { Game } from '../game';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FNV-1a over bytes: the test game's hash. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

type State = { steps: number; checksum: number; positions: [PlayerId, number][] };

/**
 * A small deterministic game with integer state: per-player positions moved by the first input
 * byte (signed) and a running checksum over every (player, input) seen, in step order. Any
 * difference in inputs, in the order or the set of players, changes the checksum.
 */
export class TestGame implements Game<Uint8Array> {
  steps = 0;
  checksum = 0;
  positions = new Map<PlayerId, number>();
  /** Every input map seen by `step`, as plain copies (for assertions). */
  readonly stepLog: { players: PlayerId[] }[] = [];
  logSteps = false;

  step(inputs: Map<PlayerId, Uint8Array>): void {
    if (this.logSteps) this.stepLog.push({ players: [...inputs.keys()] });
    let c = Math.imul(this.checksum ^ 0x9e3779b9, 31) >>> 0;
    for (const [id, input] of inputs) {
      const delta = input.length > 0 ? ((input[0] ?? 0) << 24) >> 24 : 0;
      const pos = (this.positions.get(id) ?? 0) + delta;
      this.positions.set(id, pos);
      for (let i = 0; i < id.length; i++) c = Math.imul(c ^ id.charCodeAt(i), 0x01000193) >>> 0;
      c = Math.imul(c ^ (pos & 0xffff), 0x01000193) >>> 0;
      c = Math.imul(c ^ input.length, 0x01000193) >>> 0;
      for (const b of input) c = Math.imul(c ^ b, 0x01000193) >>> 0;
    }
    this.checksum = c;
    this.steps++;
  }

  serialize(): Uint8Array {
    const state: State = {
      steps: this.steps,
      checksum: this.checksum,
      positions: [...this.positions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    };
    return encoder.encode(JSON.stringify(state));
  }

  deserialize(data: Uint8Array): void {
    const state = JSON.parse(decoder.decode(data)) as State;
    this.steps = state.steps;
    this.checksum = state.checksum;
    this.positions = new Map(state.positions);
  }

  hash(): number {
    return fnv1a(this.serialize());
  }
}

/** A player's lifetime in a schedule: inputs of ticks in [join, leave) count. */
export type Lifetime = { id: PlayerId; join: Tick; leave?: Tick };

/**
 * Runs a fresh TestGame straight through `ticks` ticks with the true inputs (no prediction, no
 * rollback) and returns it: the reference every rollback run must reproduce.
 */
export function runStraight(
  players: Lifetime[],
  input: (tick: Tick, id: PlayerId) => Uint8Array,
  ticks: number,
  from: { game?: TestGame; startTick?: Tick } = {},
): TestGame {
  const game = from.game ?? new TestGame();
  const sorted = [...players].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const map = new Map<PlayerId, Uint8Array>();
  for (let t = from.startTick ?? 0; t < ticks; t++) {
    map.clear();
    for (const p of sorted) {
      if (t >= p.join && t < (p.leave ?? Infinity)) map.set(p.id, input(t, p.id));
    }
    game.step(map);
  }
  return game;
}

/** A deterministic pseudo-random generator (mulberry32) for seeded tests. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
