import { describe, expect, it } from 'vitest';
import { LoopWatch } from './loop-watch';

const TIMEOUT = 1000;

describe('LoopWatch', () => {
  it('calls a loop stopped once messages kept arriving for the timeout without a tick', () => {
    const watch = new LoopWatch();
    watch.ticked(0, true);
    expect(watch.stopped(100, TIMEOUT)).toBe(false); // a frame late at most
    expect(watch.stopped(300, TIMEOUT)).toBe(false); // the count starts here
    expect(watch.stopped(1299, TIMEOUT)).toBe(false);
    expect(watch.stopped(1300, TIMEOUT)).toBe(true);
  });

  it('does not count a page that stalled whole: its next tick ends the count', () => {
    const watch = new LoopWatch();
    watch.ticked(0, true);
    // Nothing ran for 10 s; then the queued messages, then the next frame.
    expect(watch.stopped(10_000, TIMEOUT)).toBe(false);
    expect(watch.stopped(10_001, TIMEOUT)).toBe(false);
    watch.ticked(10_005, true);
    expect(watch.stopped(10_020, TIMEOUT)).toBe(false);
    expect(watch.stopped(10_400, TIMEOUT)).toBe(false);
    expect(watch.stopped(11_399, TIMEOUT)).toBe(false);
  });

  it('keeps a loop that ticks once a second (a throttled hidden tab) going', () => {
    const watch = new LoopWatch();
    for (let t = 0; t < 10_000; t += 50) {
      if (t % 1000 === 0) watch.ticked(t, true);
      expect(watch.stopped(t + 10, TIMEOUT), `at ${t} ms`).toBe(false);
    }
  });

  it('does not count a loop that has not ticked the running game yet, nor one of a room left since', () => {
    const watch = new LoopWatch();
    watch.ticked(0, false); // the lobby
    expect(watch.stopped(5000, TIMEOUT)).toBe(false);
    expect(watch.stopped(9000, TIMEOUT)).toBe(false);
    watch.ticked(9000, true);
    watch.reset();
    expect(watch.stopped(9500, TIMEOUT)).toBe(false);
    expect(watch.stopped(20_000, TIMEOUT)).toBe(false);
  });
});
