// A small deterministic game for the online tests (Node and browser): a few 32-bit words that
// every player's input stirs. It logs the hash after each step by its own tick counter, and keeps
// the hash a tick had when its session confirmed it: what a peer would report, and what the tests
// compare. A tick the game never simulated (it loaded a state past it) is recorded as skipped.
import type { Game } from '@rbn/core';
import type { PlayerId } from '@rbn/protocol';

/** How many of the newest ticks' inputs a {@link HashGame} keeps. */
const INPUT_RECORDS = 1000;

/** A deterministic game that records its hash per tick. */
export class HashGame implements Game<Uint8Array> {
  /** Hash of each confirmed tick as it was when confirmed (see {@link confirm}). */
  readonly hashes = new Map<number, number>();
  /** Confirmed ticks this game never simulated: it loaded a state past them. */
  readonly skipped = new Set<number>();
  /** Confirmed ticks simulated again afterwards to a different hash (a session bug). */
  readonly revised: number[] = [];
  /**
   * The inputs each confirmed tick was simulated with, as `id:bytes` per player (the id's first
   * 4 characters), for the newest {@link INPUT_RECORDS} confirmed ticks: says which player's
   * input differed where two peers' hashes do.
   */
  readonly inputs = new Map<number, string>();
  /** The newest tick {@link confirm} took (0, the start, is no step: nothing to take). */
  confirmed = 0;
  /**
   * Hash after each step of the current history, by the game's own tick counter (word 0 of the
   * state): a rollback forgets the ticks after the state it loads, a foreign state all of them.
   */
  readonly #log = new Map<number, number>();
  /** The inputs of each step of the current history, as {@link inputs} keeps them. */
  readonly #inputLog = new Map<number, string>();
  readonly #state = new Int32Array(8);
  readonly #bytes = new Uint8Array(this.#state.buffer);

  /** The game's tick counter: how many ticks its state has seen. */
  get tick(): number {
    return this.#state[0] ?? 0;
  }

  serialize(): Uint8Array {
    return this.#bytes.slice();
  }

  deserialize(data: Uint8Array): void {
    this.#bytes.set(data.subarray(0, this.#bytes.length));
    const tick = this.tick;
    if (this.#log.get(tick) === this.hash()) {
      // A rollback to a state of our own history: the ticks after it are simulated again.
      for (const t of this.#log.keys()) if (t > tick) this.#log.delete(t);
      for (const t of this.#inputLog.keys()) if (t > tick) this.#inputLog.delete(t);
    } else {
      // A state from elsewhere (a late join, coming back from away, a state transfer): nothing
      // logged so far belongs to its history.
      this.#log.clear();
      this.#inputLog.clear();
    }
  }

  /**
   * Takes the hashes of the ticks up to `tick` the session has now confirmed. Call it between
   * ticks of the session, with the `confirmedTick` its `tick()` returned.
   */
  confirm(tick: number): void {
    for (let t = this.confirmed + 1; t <= tick; t++) {
      const hash = this.#log.get(t);
      if (hash === undefined) this.skipped.add(t);
      else this.hashes.set(t, hash);
      const inputs = this.#inputLog.get(t);
      if (inputs !== undefined) this.inputs.set(t, inputs);
      this.inputs.delete(t - INPUT_RECORDS);
    }
    this.confirmed = Math.max(this.confirmed, tick);
  }

  step(inputs: Map<PlayerId, Uint8Array>): void {
    const s = this.#state;
    let mix = s[0] ?? 0;
    const used: string[] = [];
    for (const id of [...inputs.keys()].sort()) {
      used.push(`${id.slice(0, 4)}:${(inputs.get(id) ?? []).join('.')}`);
      let h = 0x811c9dc5;
      for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
      for (const b of inputs.get(id) ?? []) h = Math.imul(h ^ b, 16777619);
      mix = (Math.imul(mix, 31) + h) | 0;
    }
    for (let i = 1; i < s.length; i++) {
      s[i] = (Math.imul(s[i] ?? 0, 1103515245) + mix + i) | 0;
      mix = (mix ^ (s[i] ?? 0)) | 0;
    }
    s[0] = (s[0] ?? 0) + 1;
    const hash = this.hash();
    this.#log.set(this.tick, hash);
    this.#inputLog.set(this.tick, used.join(' '));
    this.#inputLog.delete(this.tick - INPUT_RECORDS);
    const confirmed = this.hashes.get(this.tick);
    if (confirmed !== undefined && confirmed !== hash && this.revised.length < 100) {
      this.revised.push(this.tick);
    }
  }

  hash(): number {
    let h = 0x811c9dc5;
    for (const b of this.#bytes) h = Math.imul(h ^ b, 16777619);
    return h >>> 0;
  }
}

/**
 * The scripted input of player `index` at `tick`: a byte that changes often, so a wrong
 * prediction happens and rollbacks are exercised.
 * @param index - The player's index in the test.
 * @param tick - The session's current tick.
 */
export function scriptedInput(index: number, tick: number): number {
  return (Math.floor(tick / (3 + index)) * (7 + index * 13)) & 0xff;
}
