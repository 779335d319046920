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
    // Count every change of each peer's delay over 20 s.
    const changes = [0, 0, 0];
    let last = h.peers.map((p) => p.session.inputDelayTicks);
    for (let f = 0; f < 60 * 20; f++) {
      h.runFrame();
      const now = h.peers.map((p) => p.session.inputDelayTicks);
      now.forEach((d, i) => {
        if (d !== last[i]) changes[i]!++;
      });
      last = now;
    }
    // 50 ± 4 ms each way, plus up to a frame before a pong leaves: without delay an input is
    // 4–5 ticks late, so 2–4 ticks of delay bring that to about 2. Hysteresis: no flapping.
    const report = `seed 91: delays ${last.join(', ')}, changes ${changes.join(', ')}`;
    for (const d of last) expect(d >= 2 && d <= 4, report).toBe(true);
    for (const c of changes) expect(c, report).toBeLessThanOrEqual(3);
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
