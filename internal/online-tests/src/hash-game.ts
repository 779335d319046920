// A small deterministic game for the online tests (Node and browser): a few 32-bit words that
// every player's input stirs. It records the hash after each step by its own tick counter, so a
// resimulated tick overwrites its guess and a confirmed tick's entry is final.
import type { Game } from '@rbn/core';
import type { PlayerId } from '@rbn/protocol';

/** A deterministic game that records its hash per tick. */
export class HashGame implements Game<Uint8Array> {
  /** Hash after each tick, by the game's own tick counter (word 0 of the state). */
  readonly hashes = new Map<number, number>();
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
  }

  step(inputs: Map<PlayerId, Uint8Array>): void {
    const s = this.#state;
    let mix = s[0] ?? 0;
    for (const id of [...inputs.keys()].sort()) {
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
    this.hashes.set(this.tick, this.hash());
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
