import { describe, expect, it } from 'vitest';
import { createFrameScheduler } from './frame-scheduler';
import type { FrameScheduler } from './frame-scheduler';
import { TimeSync, tickDiff } from './time-sync';

const FRAME_MS = 1000 / 60;

describe('tickDiff', () => {
  it('takes differences across 32-bit, signed 32-bit and 16-bit wraparound', () => {
    expect(tickDiff(10, 4)).toBe(6);
    expect(tickDiff(4, 10)).toBe(-6);
    expect(tickDiff(3, 2 ** 32 - 3)).toBe(6);
    expect(tickDiff(2 ** 32 - 3, 3)).toBe(-6);
    // Ticks kept as signed 32-bit integers wrap from 2^31 - 1 to -2^31.
    expect(tickDiff(-(2 ** 31) + 2, 2 ** 31 - 4)).toBe(6);
    expect(tickDiff(2 ** 31 + 2, 2 ** 31 - 4)).toBe(6);
    expect(tickDiff(2, 0xfffc, 16)).toBe(6);
    expect(tickDiff(0xfffc, 2, 16)).toBe(-6);
  });
});

describe('TimeSync', () => {
  it('estimates frames ahead from the remote tick, the RTT and the local tick', () => {
    const sync = new TimeSync({ tickRate: 60 });
    expect(sync.framesAhead('b')).toBeUndefined();
    // RTT 100 ms: the remote has moved on 50 ms = 3 frames since it reported tick 100.
    sync.addSample('b', 100, 100, 109);
    expect(sync.framesAhead('b')).toBeCloseTo(6);
    sync.addSample('c', 100, 100, 101);
    expect(sync.framesAhead('c')).toBeCloseTo(-2);
    expect(sync.maxFramesAhead).toBeCloseTo(6);
  });

  it('recommends no stretch within the threshold, proportional stretch beyond it, capped', () => {
    const sync = new TimeSync({ tickRate: 60 });
    expect(sync.frameDelayMultiplier).toBe(1);
    sync.addSample('b', 0, 100, 101);
    expect(sync.frameDelayMultiplier).toBe(1);
    const stretched = new TimeSync({ tickRate: 60 });
    stretched.addSample('b', 0, 100, 103.5);
    expect(stretched.frameDelayMultiplier).toBeCloseTo(1.05);
    const far = new TimeSync({ tickRate: 60 });
    far.addSample('b', 0, 100, 200);
    expect(far.frameDelayMultiplier).toBeCloseTo(1.1);
    const behind = new TimeSync({ tickRate: 60 });
    behind.addSample('b', 0, 200, 100);
    expect(behind.frameDelayMultiplier).toBe(1);
  });

  it('averages samples over the window and forgets older ones', () => {
    const sync = new TimeSync({ tickRate: 60, windowTicks: 60 });
    sync.addSample('b', 0, 100, 104);
    sync.addSample('b', 0, 110, 112);
    expect(sync.framesAhead('b')).toBeCloseTo(3);
    sync.addSample('b', 0, 190, 190);
    // The first two samples are more than 60 local ticks older than the newest.
    expect(sync.framesAhead('b')).toBeCloseTo(0);
  });

  it('combines its own estimate with the remote’s view symmetrically', () => {
    const sync = new TimeSync({ tickRate: 60 });
    sync.addSample('b', 0, 100, 106);
    sync.setRemoteView('b', -6);
    expect(sync.framesAhead('b')).toBeCloseTo(6);
    sync.setRemoteView('b', -2);
    expect(sync.framesAhead('b')).toBeCloseTo(4);
    sync.removePeer('b');
    expect(sync.framesAhead('b')).toBeUndefined();
    sync.setRemoteView('b', -3);
    expect(sync.framesAhead('b')).toBeCloseTo(3);
    sync.removePeer('b');
    expect(sync.maxFramesAhead).toBe(0);
  });

  it('compares 16-bit tick fields across their wraparound', () => {
    const sync = new TimeSync({ tickRate: 60, tickBits: 16 });
    sync.addSample('b', 100, 0xfff9, 2);
    expect(sync.framesAhead('b')).toBeCloseTo(6);
  });

  it('rejects bad options with errors naming the field', () => {
    expect(() => new TimeSync({ maxMultiplier: 3 })).toThrow(/maxMultiplier/);
    expect(() => new TimeSync({ tickBits: 8 })).toThrow(/tickBits/);
    expect(() => new TimeSync({ tickRate: 0 })).toThrow(/tickRate/);
  });
});

type SimPeer = {
  name: string;
  tick: number;
  sync: TimeSync;
  scheduler: FrameScheduler;
  maxMultiplier: number;
};

type SimResult = {
  a: SimPeer;
  b: SimPeer;
  /** A's tick minus B's tick at the same wall time, sampled every frame. */
  offsets: number[];
  multipliersA: number[];
  multipliersB: number[];
};

/**
 * Two peers ticking with their own schedulers and time sync; every 100 ms each sends its tick
 * (and its frames-ahead view) to the other over a 50 ms one-way link. Ticks wrap as signed
 * 32-bit integers.
 */
function simulate(options: {
  startTick: number;
  aHeadStart: number;
  seconds: number;
  exchangeViews: boolean;
}): SimResult {
  let now = 0;
  const peer = (name: string, tick: number): SimPeer => ({
    name,
    tick,
    sync: new TimeSync({ tickRate: 60 }),
    scheduler: createFrameScheduler({ tickRate: 60, now: () => now }),
    maxMultiplier: 1,
  });
  const a = peer('a', (options.startTick + options.aHeadStart) | 0);
  const b = peer('b', options.startTick | 0);
  type Msg = { at: number; to: SimPeer; from: SimPeer; tick: number; view: number | undefined };
  const inFlight: Msg[] = [];
  const offsets: number[] = [];
  const multipliersA: number[] = [];
  const multipliersB: number[] = [];
  let nextSend = 0;
  const frames = Math.round((options.seconds * 1000) / FRAME_MS);
  for (let f = 0; f < frames; f++) {
    now = f * FRAME_MS;
    for (let i = inFlight.length - 1; i >= 0; i--) {
      const m = inFlight[i]!;
      if (m.at > now) continue;
      inFlight.splice(i, 1);
      m.to.sync.addSample(m.from.name, 100, m.tick, m.to.tick);
      if (m.view !== undefined) m.to.sync.setRemoteView(m.from.name, m.view);
    }
    if (now >= nextSend) {
      nextSend += 100;
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const view = options.exchangeViews ? from.sync.framesAhead(to.name) : undefined;
        inFlight.push({ at: now + 50, to, from, tick: from.tick, view });
      }
    }
    for (const p of [a, b]) {
      const m = p.sync.frameDelayMultiplier;
      p.maxMultiplier = Math.max(p.maxMultiplier, m);
      p.scheduler.frameDelayMultiplier = m;
      p.tick = (p.tick + p.scheduler.frame()) | 0;
    }
    multipliersA.push(a.scheduler.frameDelayMultiplier);
    multipliersB.push(b.scheduler.frameDelayMultiplier);
    offsets.push(tickDiff(a.tick, b.tick));
  }
  return { a, b, offsets, multipliersA, multipliersB };
}

describe('TimeSync with FrameScheduler (simulated peers)', () => {
  it('keeps the multiplier at exactly 1 for symmetric peers', () => {
    const run = simulate({ startTick: 0, aHeadStart: 0, seconds: 10, exchangeViews: true });
    expect(run.a.maxMultiplier).toBe(1);
    expect(run.b.maxMultiplier).toBe(1);
    expect(Math.max(...run.offsets.map(Math.abs))).toBeLessThanOrEqual(1);
  });

  it('slows a peer 6 frames ahead and converges to even', () => {
    const run = simulate({ startTick: 0, aHeadStart: 6, seconds: 20, exchangeViews: true });
    expect(run.a.maxMultiplier).toBeGreaterThan(1.05);
    expect(run.a.maxMultiplier).toBeLessThanOrEqual(1.1);
    expect(run.b.maxMultiplier).toBe(1);
    // Converged: the last 5 seconds are even to within a frame and no one is slowed.
    const tail = run.offsets.slice(-300);
    expect(Math.max(...tail.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(run.multipliersA.slice(-300).every((m) => m === 1)).toBe(true);
    expect(Math.abs(run.a.sync.framesAhead('b')!)).toBeLessThanOrEqual(1);
  });

  it('converges from its own samples alone when the remote view is not exchanged', () => {
    const run = simulate({ startTick: 0, aHeadStart: 6, seconds: 20, exchangeViews: false });
    expect(run.a.maxMultiplier).toBeGreaterThan(1);
    const tail = run.offsets.slice(-300);
    expect(Math.max(...tail.map(Math.abs))).toBeLessThanOrEqual(1);
  });

  it('works across the signed 32-bit tick wrap at 2^31', () => {
    const run = simulate({
      startTick: 2 ** 31 - 120,
      aHeadStart: 6,
      seconds: 20,
      exchangeViews: true,
    });
    expect(run.a.tick).toBeLessThan(0); // wrapped
    expect(run.a.maxMultiplier).toBeGreaterThan(1);
    expect(run.b.maxMultiplier).toBe(1);
    expect(Math.max(...run.offsets.slice(-300).map(Math.abs))).toBeLessThanOrEqual(1);
  });
});

describe('createFrameScheduler', () => {
  it('runs tickRate ticks per second at multiplier 1 and fewer when stretched', () => {
    let now = 0;
    const scheduler = createFrameScheduler({ tickRate: 60, now: () => now });
    let ticks = 0;
    for (let f = 1; f <= 600; f++) {
      now = f * FRAME_MS;
      ticks += scheduler.frame();
    }
    expect(ticks).toBeGreaterThanOrEqual(599);
    expect(ticks).toBeLessThanOrEqual(600);
    scheduler.frameDelayMultiplier = 1.1;
    expect(scheduler.tickIntervalMs).toBeCloseTo(FRAME_MS * 1.1);
    ticks = 0;
    for (let f = 601; f <= 1260; f++) {
      now = f * FRAME_MS;
      ticks += scheduler.frame();
    }
    // 11 s at 60 / 1.1 ticks per second.
    expect(ticks).toBeGreaterThanOrEqual(599);
    expect(ticks).toBeLessThanOrEqual(601);
  });

  it('catches up a 3 s gap at most maxTicksPerFrame per frame, reporting the backlog', () => {
    let now = 0;
    const scheduler = createFrameScheduler({ tickRate: 60, now: () => now, maxTicksPerFrame: 4 });
    let ticks = 0;
    for (let f = 1; f <= 60; f++) {
      now = f * FRAME_MS;
      ticks += scheduler.frame();
    }
    now += 3000; // the tab was hidden for 3 s
    const first = scheduler.frame();
    ticks += first;
    expect(first).toBe(4);
    expect(scheduler.backlog).toBeGreaterThan(170);
    const backlogs = [scheduler.backlog];
    let frames = 0;
    while (scheduler.backlog > 0) {
      now += FRAME_MS;
      const n = scheduler.frame();
      expect(n).toBeLessThanOrEqual(4);
      ticks += n;
      backlogs.push(scheduler.backlog);
      frames++;
      expect(frames).toBeLessThan(100);
    }
    // The backlog shrinks by about 3 ticks per frame (4 run, 1 accrues) and no time is lost.
    expect(frames).toBeGreaterThan(50);
    expect(Math.abs(ticks - Math.round(now / FRAME_MS))).toBeLessThanOrEqual(1);
    expect(scheduler.droppedTicks).toBe(0);
  });

  it('drops time beyond maxBacklogTicks after a very long gap instead of overflowing', () => {
    let now = 0;
    const scheduler = createFrameScheduler({ tickRate: 60, now: () => now, maxBacklogTicks: 120 });
    now = 1e12; // ~32 years
    expect(scheduler.frame()).toBe(4);
    expect(scheduler.backlog).toBe(120);
    expect(scheduler.droppedTicks).toBeGreaterThan(5e10);
    expect(Number.isFinite(scheduler.droppedTicks)).toBe(true);
    let frames = 0;
    while (scheduler.backlog > 0 && frames < 1000) {
      now += FRAME_MS;
      scheduler.frame();
      frames++;
    }
    expect(frames).toBeLessThanOrEqual(41);
  });

  it('runs nothing when the clock goes backwards or reads NaN, and resets cleanly', () => {
    let now = 1000;
    const scheduler = createFrameScheduler({ tickRate: 60, now: () => now });
    now = 500;
    expect(scheduler.frame()).toBe(0);
    expect(scheduler.frame(Number.NaN)).toBe(0);
    now = 500 + 2 * FRAME_MS + 1;
    expect(scheduler.frame()).toBe(2);
    now += 1000;
    scheduler.reset();
    expect(scheduler.frame()).toBe(0);
    expect(scheduler.backlog).toBe(0);
  });

  it('rejects bad options and multipliers', () => {
    expect(() => createFrameScheduler({ tickRate: -1, now: () => 0 })).toThrow(/tickRate/);
    expect(() => createFrameScheduler({ maxTicksPerFrame: 0, now: () => 0 })).toThrow(
      /maxTicksPerFrame/,
    );
    const scheduler = createFrameScheduler({ now: () => 0 });
    expect(() => {
      scheduler.frameDelayMultiplier = Number.NaN;
    }).toThrow(/frameDelayMultiplier/);
  });
});
