// The games of the session suite. Each counts its own `step` calls, so steps per frame are read
// from the game, the same way for every library.

/** A game both libraries accept, counting its `step` calls. */
export interface BenchGame {
  /** `step` calls so far. */
  steps: number;
  /**
   * Wall-clock µs spent in this game's own `step`, `serialize` and `deserialize` so far: what
   * the game itself costs inside a library's `tick()`, kept apart from the library's own time.
   */
  ownMicros: number;
  /** Timed calls (`step`, `serialize`, `deserialize`) so far: each one's timer costs a little outside its own window. */
  ownCalls: number;
  serialize(): Uint8Array;
  deserialize(data: Uint8Array): void;
  step(inputs: Map<string, Uint8Array>): void;
  hash(): number;
}

/** Folds every player's input, in player-id order, into one number. */
function mixInputs(seed: number, inputs: Map<string, Uint8Array>, ids: string[]): number {
  ids.length = 0;
  for (const id of inputs.keys()) ids.push(id);
  ids.sort();
  let mix = seed | 0;
  for (const id of ids) {
    const input = inputs.get(id)!;
    for (let i = 0; i < input.length; i++) mix = (Math.imul(mix, 31) + input[i]! + 7) | 0;
    mix = (mix + id.length) | 0;
  }
  return mix;
}

/**
 * A game over a fixed array of 32-bit words: serialize, deserialize and hash are the same for
 * every game of the suite; `advance` is what a game does with the frame's mixed inputs.
 */
abstract class WordsGame implements BenchGame {
  steps = 0;
  ownMicros = 0;
  ownCalls = 0;
  protected readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly ids: string[] = [];
  constructor(wordCount: number) {
    this.words = new Int32Array(wordCount);
    this.bytes = new Uint8Array(this.words.buffer);
  }
  serialize(): Uint8Array {
    const start = performance.now();
    const state = this.bytes.slice();
    this.ownMicros += (performance.now() - start) * 1000;
    this.ownCalls++;
    return state;
  }
  deserialize(data: Uint8Array): void {
    const start = performance.now();
    this.bytes.set(data.subarray(0, this.bytes.length));
    this.ownMicros += (performance.now() - start) * 1000;
    this.ownCalls++;
  }
  step(inputs: Map<string, Uint8Array>): void {
    const start = performance.now();
    this.steps++;
    this.advance(mixInputs(this.words[0]!, inputs, this.ids));
    this.words[0] = this.words[0]! + 1;
    this.ownMicros += (performance.now() - start) * 1000;
    this.ownCalls++;
  }
  hash(): number {
    let h = 0x811c9dc5;
    for (const x of this.words) h = Math.imul(h ^ x, 16777619);
    return h >>> 0;
  }
  /** Updates words 1… from the frame's mixed inputs (word 0 counts frames). */
  protected abstract advance(mix: number): void;
}

/** A near-free game (16 bytes of state): its own cost is noise next to the library's. */
export class TrivialGame extends WordsGame {
  constructor() {
    super(4);
  }
  protected advance(mix: number): void {
    const w = this.words;
    w[1] = (Math.imul(w[1]!, 1103515245) + mix) | 0;
    w[2] = w[2]! ^ mix;
    w[3] = (w[3]! + w[1]) | 0;
  }
}

/**
 * A game whose `step` is expensive: `rounds` passes of integer mixing over 1 KB of state (a fixed
 * amount of deterministic work, calibrated by the session suite to about 200 µs).
 */
export class HeavyGame extends WordsGame {
  constructor(private readonly rounds: number) {
    super(256);
  }
  protected advance(mix: number): void {
    const w = this.words;
    for (let r = 0; r < this.rounds; r++) {
      for (let i = 1; i < w.length; i++) {
        w[i] = (Math.imul(w[i]!, 1103515245) + mix + i) | 0;
        mix ^= w[i]! >>> 3;
      }
    }
  }
}

/**
 * Player `player`'s input on frame `frame`: a nibble that changes every 8 frames, players out of
 * phase.
 */
export function inputFor(seed: number, player: number, frame: number): Uint8Array {
  const epoch = Math.floor((frame + player * 5) / 8);
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(player + 1, 0xc2b2ae35);
  h = Math.imul(h ^ epoch, 0x165667b1);
  h ^= h >>> 15;
  return new Uint8Array([h & 0x0f]);
}
