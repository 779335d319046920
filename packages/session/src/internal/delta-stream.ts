import type { RollbackEngine } from '@rbn/core';
import { ByteWriter, DEFAULT_LIMITS, writeInputDelta } from '@rbn/protocol';
import type { InputWriter, Tick } from '@rbn/protocol';

const MAX_RUN = DEFAULT_LIMITS.maxInputsPerRun;

/**
 * One slot's inputs as an `Input` message's run carries them after its first: each tick's delta
 * against the tick before. Every message on every link carries all the inputs its peer has not
 * acknowledged (a star's host: every player's, to every guest): encoded here once per tick, a
 * run is its first input and one copy.
 *
 * Holds the deltas of ticks `(first, last]`, tick t's from `at[t % MAX_RUN]`, and a copy of each
 * input of `[first, last]` (a run may start at any of them). They stay right while the engine
 * holds the same inputs: the same engine and player, the same `version` (nothing retracted,
 * loaded, added or removed) and ticks a rollback can still restore (older inputs may have left
 * the engine's ring). Anything else starts the stream over.
 */
export class DeltaStream {
  readonly #w = new ByteWriter(256);
  readonly #at = new Int32Array(MAX_RUN);
  /** Tick t's input, copied, at `t % MAX_RUN`: what a run starting at t writes first. */
  readonly #inputs: Uint8Array[] = [];
  #first = 0;
  #last = -1;
  #engine: RollbackEngine | null = null;
  #id = '';
  #version = -1;

  readonly #slot: number;

  /** @param slot - The slot whose runs this writes. */
  constructor(slot: number) {
    this.#slot = slot;
  }

  /**
   * Writes the run of `id`'s inputs from `from` into `writer`: at most through `upTo` and
   * `maxInputsPerRun` of them (`upTo >= from`), and no further than the engine holds them
   * without a gap.
   * @returns The run's last tick, or `from - 1` (nothing written) without an input at `from`.
   */
  write(writer: InputWriter, engine: RollbackEngine, id: string, from: Tick, upTo: Tick): Tick {
    let last = Math.min(upTo, from + MAX_RUN - 1);
    const w = this.#w;
    const at = this.#at;
    if (
      this.#engine !== engine ||
      this.#id !== id ||
      this.#version !== engine.version ||
      from < Math.max(this.#first, engine.oldestRestorableTick) ||
      from > this.#last ||
      last - this.#first >= MAX_RUN
    ) {
      const input = engine.getInput(id, from);
      if (input === undefined) return from - 1;
      w.reset();
      this.#first = this.#last = from;
      this.#engine = engine;
      this.#id = id;
      this.#version = engine.version;
      this.#keep(from, input);
    }
    // Usually every link but the first of a tick finds the deltas encoded already.
    if (this.#last < last) {
      for (let prev = engine.getInput(id, this.#last); this.#last < last;) {
        const next = engine.getInput(id, this.#last + 1);
        if (prev === undefined || next === undefined) last = this.#last;
        else {
          at[++this.#last % MAX_RUN] = w.pos;
          writeInputDelta(w, prev, next);
          this.#keep(this.#last, next);
          prev = next;
        }
      }
    }
    writer.run(this.#slot, from, last - from + 1);
    // The engine holds the same bytes (same version, restorable tick): no lookup per link.
    writer.input(this.#inputs[from % MAX_RUN]!);
    if (last > from) {
      const end = last === this.#last ? w.pos : at[(last + 1) % MAX_RUN]!;
      writer.encoded(last - from, w.buf, at[(from + 1) % MAX_RUN]!, end);
    }
    return last;
  }

  /** Keeps a copy of tick `t`'s input (a run's first input), reusing its slot's array. */
  #keep(t: Tick, input: Uint8Array): void {
    const i = t % MAX_RUN;
    const n = input.length;
    let copy = this.#inputs[i];
    if (copy?.length !== n) copy = this.#inputs[i] = new Uint8Array(n);
    for (let k = 0; k < n; k++) copy[k] = input[k]!;
  }
}
