// Automatic input delay: each peer sets its own delay from the latency it measures, with
// hysteresis, and the peers still agree on every state.
import { describe, expect, it } from 'vitest';
import {
  AutoDelay,
  LOWER_AFTER_MS,
  MAX_AUTO_DELAY_TICKS,
  RAISE_AFTER_MS,
  delayFor,
} from './auto-delay';
import { Link } from './internal/link';
import type { LinkTable } from './links';
import type { LocalTransport } from '@rbn/transport-local';
import { localHarness } from './testing/harness';
import type { SessionConfig } from './types';
import type { RollbackEngine } from '@rbn/core';

const FRAME = 1000 / 60;
const CFG = { inputDelayTicks: 'auto', tickRate: 60 } as SessionConfig;

function harness(n: number, seed: number, latency: number, config: Partial<SessionConfig>) {
  return localHarness(n, seed, { latency, jitter: 4 }, config);
}

describe('delayFor', () => {
  it('aims remote inputs at two ticks late, from 0 up to its cap', () => {
    expect(delayFor(0, FRAME)).toBe(0);
    expect(delayFor(16, FRAME)).toBe(0);
    expect(delayFor(50, FRAME)).toBe(2);
    expect(delayFor(60, FRAME)).toBe(3);
    expect(delayFor(1000, FRAME)).toBe(MAX_AUTO_DELAY_TICKS);
  });
});

describe('AutoDelay', () => {
  /** An engine stand-in holding only a delay, and one link with a steady RTT. */
  function setup(rtt: number) {
    const engine = { inputDelayTicks: 0 } as RollbackEngine;
    const link = new Link('p1', 0);
    link.addRttSample(rtt);
    const links = { list: [link] } as unknown as LinkTable;
    return { engine, link, links, auto: new AutoDelay() };
  }

  it('raises the delay once the measurement called for it for RAISE_AFTER_MS', () => {
    const { engine, links, auto } = setup(100);
    let now = 0;
    for (; now < RAISE_AFTER_MS; now += FRAME) auto.frame(engine, links, CFG, now);
    expect(engine.inputDelayTicks).toBe(0);
    auto.frame(engine, links, CFG, now + FRAME);
    expect(engine.inputDelayTicks).toBe(delayFor(50, FRAME));
  });

  it('lowers it only after LOWER_AFTER_MS of a lower measurement', () => {
    const { engine, link, links, auto } = setup(100);
    let now = 0;
    for (; now <= RAISE_AFTER_MS + FRAME; now += FRAME) auto.frame(engine, links, CFG, now);
    const high = engine.inputDelayTicks;
    for (let i = 0; i < 40; i++) link.addRttSample(0);
    const start = now;
    for (; now - start < LOWER_AFTER_MS - FRAME; now += FRAME) auto.frame(engine, links, CFG, now);
    expect(engine.inputDelayTicks).toBe(high);
    for (let i = 0; i < 4; i++, now += FRAME) auto.frame(engine, links, CFG, now);
    expect(engine.inputDelayTicks).toBe(0);
  });
});

describe("Session inputDelayTicks: 'auto'", () => {
  it('settles each peer on the delay its RTT calls for, and every peer agrees on the state (seed 91)', async () => {
    const h = harness(3, 91, 50, { inputDelayTicks: 'auto' });
    await h.start();
    expect(h.peers.map((p) => p.session.inputDelayTicks)).toEqual([0, 0, 0]);
    // Every change of each peer's delay over 20 s: [frame, from, to].
    const changes: [number, number, number][][] = [[], [], []];
    let last = h.peers.map((p) => p.session.inputDelayTicks);
    for (let f = 0; f < 60 * 20; f++) {
      h.runFrame();
      const now = h.peers.map((p) => p.session.inputDelayTicks);
      now.forEach((d, i) => {
        if (d !== last[i]) changes[i]!.push([f, last[i]!, d]);
      });
      last = now;
    }
    // 50 ± 4 ms each way: without delay an input is 4–5 ticks late, so 2–4 ticks of delay bring
    // that to about 2. 50 ms is a step's edge (3 ticks), so the estimate (RTT / 2 plus twice its
    // deviation) may call for one delay and then its neighbour; hysteresis keeps a peer from
    // flapping: it takes a higher delay only after RAISE_AFTER_MS of calling for it, a lower one
    // after LOWER_AFTER_MS.
    const report = `seed 91: delays ${last.join(', ')}, changes ${JSON.stringify(changes)}`;
    for (const d of last) expect(d >= 2 && d <= 4, report).toBe(true);
    for (const peer of changes) {
      expect(peer.length, report).toBeLessThanOrEqual(5);
      for (let k = 1; k < peer.length; k++) {
        const [frame, from, to] = peer[k]!;
        const hold = to > from ? RAISE_AFTER_MS : LOWER_AFTER_MS;
        expect((frame - peer[k - 1]![0]) * FRAME, report).toBeGreaterThanOrEqual(hold);
      }
    }
    h.inputsChange = false;
    h.run(120);
    const { hashes } = h.confirmedHashes();
    expect(new Set(hashes).size).toBe(1);
    expect(hashes[0]).toBeDefined();
  });

  it('keeps the delay at 0 on a fast network (seed 92)', async () => {
    const h = harness(2, 92, 2, { inputDelayTicks: 'auto' });
    await h.start();
    h.run(600);
    expect(h.peers.map((p) => p.session.inputDelayTicks)).toEqual([0, 0]);
  });

  it('takes a number again when set while playing (seed 93)', async () => {
    const h = harness(2, 93, 50, { inputDelayTicks: 'auto' });
    await h.start();
    h.run(600);
    h.host.session.inputDelayTicks = 5;
    h.run(600);
    expect(h.host.session.inputDelayTicks).toBe(5);
  });
});

describe("inputDelayTicks: 'auto' changes the delay locally, and that is safe", () => {
  /** The inputs a game was stepped with, by tick (the last simulation of a tick wins). */
  function recordInputs(game: { step(inputs: Map<string, Uint8Array>): void; state: Int32Array }) {
    const byTick = new Map<number, string>();
    const step = game.step.bind(game);
    game.step = (inputs) => {
      const ids = [...inputs.keys()].sort();
      byTick.set(game.state[0]!, ids.map((id) => `${id}:${inputs.get(id)!.join('.')}`).join(' '));
      step(inputs);
    };
    return byTick;
  }

  /** `values` without consecutive repeats. */
  function collapse(values: string[]): string[] {
    return values.filter((v, i) => i === 0 || v !== values[i - 1]);
  }

  it('every peer steps every tick with the same inputs and no change of input is lost, while each peer changes its delay at its own ticks (seed 94)', async () => {
    const seed = 94;
    /** Marks this test's inputs apart from those the harness gave while starting. */
    const MARK = 0xee;
    const h = harness(3, seed, 2, { inputDelayTicks: 'auto' });
    const recorded = h.peers.map((p) => recordInputs(p.game));
    await h.start();
    const given: string[][] = h.peers.map(() => []);
    const delays: number[][] = h.peers.map(() => []);
    const setLatency = (ms: number) => {
      for (const p of h.peers)
        (p.transport as unknown as LocalTransport).setConditions({ latency: ms });
    };
    // 5 s fast, 8 s at 50 ms each way (every delay rises), 25 s fast again (the RTT estimate
    // takes a while to come down, then the delay falls back), then 2 s of steady input to
    // confirm everything.
    const phases: [frames: number, latency: number, changing: boolean][] = [
      [300, 2, true],
      [480, 50, true],
      [1500, 2, true],
      [120, 2, false],
    ];
    const steady = 300 + 480 + 1500;
    let frame = 0;
    for (const [frames, latency, changing] of phases) {
      setLatency(latency);
      for (let f = 0; f < frames; f++, frame++) {
        h.peers.forEach((p, i) => {
          // A new input every other frame: a delay that shrinks can only skip repeats.
          const input = new Uint8Array([MARK, i, ((changing ? frame : steady) >> 1) & 0xff]);
          given[i]!.push(`${p.id}:${input.join('.')}`);
          p.session.tick(input);
          delays[i]!.push(p.session.inputDelayTicks);
        });
        for (const p of h.peers) p.transport.tick(h.frameMs);
      }
    }
    const changesAt = delays.map((d) => d.flatMap((x, f) => (f > 0 && x !== d[f - 1] ? [f] : [])));
    const report = `seed ${seed}: delay changes at frames ${JSON.stringify(changesAt)}`;
    // Each peer raised and lowered its delay, not all on the same frames.
    for (const d of delays) expect(Math.max(...d), report).toBeGreaterThanOrEqual(2);
    for (const d of delays) expect(d.at(-1), report).toBe(0);
    expect(new Set(changesAt.map((c) => c.join())).size, report).toBeGreaterThan(1);

    const confirmed = Math.min(...h.peers.map((p) => p.session.confirmedTick));
    expect(confirmed, report).toBeGreaterThan(steady);
    // Every peer stepped every confirmed tick with the same inputs of every player.
    for (let t = 0; t <= confirmed; t++) {
      const host = recorded[0]!.get(t);
      expect(host, `${report}: tick ${t}`).toBeDefined();
      for (const r of recorded) expect(r.get(t), `${report}: tick ${t}`).toBe(host);
    }
    // Each player's inputs, tick by tick, are the inputs it gave frame by frame with repeats
    // added (a longer delay) or left out (a shorter one): no change lost, none reordered.
    h.peers.forEach((p, i) => {
      const byTick: string[] = [];
      for (let t = 0; t <= confirmed; t++) {
        const own = recorded[0]!
          .get(t)!
          .split(' ')
          .find((s) => s.startsWith(`${p.id}:`))!;
        // From the first of this test's inputs on (before it: the harness's, while starting).
        if (byTick.length > 0 || own.startsWith(`${p.id}:${MARK}.`)) byTick.push(own);
      }
      const sent = collapse(byTick);
      expect(collapse(given[i]!).slice(0, sent.length), `${report}: ${p.id}`).toEqual(sent);
      expect(sent.length, report).toBeGreaterThan(steady / 2 - 10);
    });
    expect(h.peers.flatMap((p) => p.desyncs)).toEqual([]);
  });
});
