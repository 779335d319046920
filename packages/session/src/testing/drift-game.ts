import type { Game } from '@rbn/core';
import type { PlayerId } from '@rbn/protocol';

/**
 * A two-player test game whose state is the tick and each player's position (32-bit integers:
 * `[tick, x0, y0, x1, y1]`), with a `describe` view `{ tick, players: [{ x, y }, …] }`. A drift
 * set makes THIS instance add 7 to `players[1].x` at chosen ticks, so a desync touches exactly
 * one field (every resimulation of such a tick drifts again).
 */
export class DriftGame implements Game<Uint8Array> {
  readonly state = new Int32Array(5);
  private readonly bytes = new Uint8Array(this.state.buffer);
  private readonly ids: PlayerId[] = [];

  /** @param driftAt - Ticks at which this instance drifts. */
  constructor(readonly driftAt: ReadonlySet<number> = new Set()) {}

  serialize(): Uint8Array {
    return this.bytes.slice();
  }

  deserialize(data: Uint8Array): void {
    this.bytes.set(data.subarray(0, this.bytes.length));
  }

  step(inputs: Map<PlayerId, Uint8Array>): void {
    const s = this.state;
    this.ids.length = 0;
    for (const id of inputs.keys()) this.ids.push(id);
    this.ids.sort();
    for (let i = 0; i < this.ids.length && i < 2; i++) {
      const b = inputs.get(this.ids[i]!)![0] ?? 0;
      s[1 + i * 2] = s[1 + i * 2]! + ((b % 3) - 1);
      s[2 + i * 2] = s[2 + i * 2]! + (((b >> 2) % 3) - 1);
    }
    if (this.driftAt.has(s[0]!)) s[3] = s[3]! + 7;
    s[0] = s[0]! + 1;
  }

  hash(): number {
    let h = 0x811c9dc5;
    for (const b of this.bytes) h = Math.imul(h ^ b, 16777619);
    return h >>> 0;
  }

  describe(state: Uint8Array): unknown {
    const v = new Int32Array(state.slice(0, 20).buffer);
    return {
      tick: v[0],
      players: [
        { x: v[1], y: v[2] },
        { x: v[3], y: v[4] },
      ],
    };
  }
}
