import type { Game } from '@rbn/core';
import type { PlayerId } from '@rbn/protocol';

/**
 * A deterministic test game: an integer state (`size` 32-bit words, word 0 is the tick) that
 * every player's input stirs. `perturbAt` makes THIS instance diverge at chosen ticks (every
 * resimulation of such a tick diverges again), which is how tests induce a desync.
 */
export class TestGame implements Game<Uint8Array> {
  readonly state: Int32Array;
  /** Ticks at which this instance adds a private perturbation (an induced desync). */
  readonly perturbAt = new Set<number>();
  /** How many times `step` ran (including resimulations). */
  steps = 0;
  private readonly bytes: Uint8Array;
  private readonly ids: PlayerId[] = [];

  constructor(size = 16) {
    this.state = new Int32Array(Math.max(size, 4));
    this.bytes = new Uint8Array(this.state.buffer);
  }

  serialize(): Uint8Array {
    return this.bytes.slice();
  }

  deserialize(data: Uint8Array): void {
    this.bytes.set(data.subarray(0, this.bytes.length));
  }

  step(inputs: Map<PlayerId, Uint8Array>): void {
    this.steps++;
    const s = this.state;
    const tick = s[0]!;
    this.ids.length = 0;
    for (const id of inputs.keys()) this.ids.push(id);
    this.ids.sort();
    let mix = tick | 0;
    for (const id of this.ids) {
      const input = inputs.get(id)!;
      let h = 0x811c9dc5;
      for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
      for (const b of input) h = Math.imul(h ^ b, 16777619);
      mix = (Math.imul(mix, 31) + h) | 0;
    }
    const n = s.length;
    for (let i = 1; i < n; i++) {
      s[i] = (Math.imul(s[i]!, 1103515245) + mix + i) | 0;
      mix = (mix ^ s[i]!) | 0;
    }
    if (this.perturbAt.has(tick)) s[1] = (s[1]! + 12345) | 0;
    s[0] = tick + 1;
  }

  hash(): number {
    let h = 0x811c9dc5;
    const b = this.bytes;
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 16777619);
    return h >>> 0;
  }
}

/**
 * A deterministic input schedule: each player's input changes every ~8 ticks.
 * @param seed - Run seed.
 * @param player - Player index.
 * @param frame - Frame number.
 * @returns One or two bytes.
 */
export function scheduledInput(seed: number, player: number, frame: number): Uint8Array {
  const epoch = Math.floor((frame + player * 3) / 8);
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(player + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (epoch + 0x27d4eb2f), 0x165667b1);
  h ^= h >>> 15;
  return new Uint8Array([h & 0xff, (h >>> 8) & 0x03]);
}
