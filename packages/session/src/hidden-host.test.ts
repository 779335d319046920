import { describe, expect, it } from 'vitest';
import { tickWhileHiddenHost, watchHiddenHost, workerMetronome } from './hidden-host';
import type { HiddenPageSource, Metronome } from './hidden-host';
import type { Session } from './session';
import { SessionState } from './types';

/** A document stand-in whose visibility the test sets. */
class FakeDocument extends EventTarget implements HiddenPageSource {
  visibilityState = 'visible';

  set(state: 'visible' | 'hidden'): void {
    this.visibilityState = state;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

/** The parts of a session `tickWhileHiddenHost` uses; counts its ticks and their inputs. */
function fakeSession(state: SessionState, isHost: boolean) {
  const listeners = new Map<string, Set<() => void>>();
  const inputs: (Uint8Array | undefined)[] = [];
  const fake = {
    state,
    isHost,
    config: { tickRate: 60 },
    frameDelayMultiplier: 1,
    fail: false,
    tick(input?: Uint8Array) {
      if (fake.fail) throw new Error('the game threw');
      inputs.push(input);
      return { advanced: true };
    },
    on: (event: string, listener: () => void) => {
      const set = listeners.get(event) ?? new Set<() => void>();
      set.add(listener);
      listeners.set(event, set);
    },
    off: (event: string, listener: () => void) => listeners.get(event)?.delete(listener),
  };
  const emit = (event: string): void => {
    for (const listener of listeners.get(event) ?? []) listener();
  };
  return { fake, session: fake as unknown as Session, inputs, emit, listeners };
}

/** A clock the test beats by hand, at a time it sets. */
function manualClock() {
  const clock = { ms: 0, beating: 0, beat: (): void => undefined };
  const metronome: Metronome = (everyMs, beat) => {
    expect(everyMs).toBeLessThanOrEqual(1000 / 60);
    clock.beating++;
    clock.beat = beat;
    return () => {
      clock.beating--;
      clock.beat = () => undefined;
    };
  };
  /** Lets `ms` pass, beating every 10 ms. */
  const pass = (ms: number): void => {
    for (let t = 0; t < ms; t += 10) {
      clock.ms += 10;
      clock.beat();
    }
  };
  return { clock, metronome, now: () => clock.ms, pass };
}

describe('tickWhileHiddenHost', () => {
  it('does nothing where there is no page (Node)', () => {
    const { session, listeners } = fakeSession(SessionState.Playing, true);
    tickWhileHiddenHost(session)();
    expect(listeners.size).toBe(0);
  });

  it("ticks a hidden host's session at its tick rate with no input, and stops once the page is visible", () => {
    const doc = new FakeDocument();
    const { session, inputs } = fakeSession(SessionState.Playing, true);
    const { clock, metronome, now, pass } = manualClock();
    const stop = watchHiddenHost(doc, session, metronome, now);
    pass(500);
    expect(inputs).toEqual([]);
    doc.set('hidden');
    pass(1000);
    // 60 ticks a second (the scheduler's first beat starts its clock).
    expect(inputs.length).toBeGreaterThanOrEqual(59);
    expect(inputs.length).toBeLessThanOrEqual(60);
    expect(inputs.every((input) => input === undefined)).toBe(true);
    doc.set('visible');
    const ticked = inputs.length;
    pass(1000);
    expect(inputs.length).toBe(ticked);
    expect(clock.beating).toBe(0);
    doc.set('hidden');
    pass(100);
    stop();
    expect(clock.beating).toBe(0);
  });

  it('follows frameDelayMultiplier', () => {
    const doc = new FakeDocument();
    const { fake, session, inputs } = fakeSession(SessionState.Playing, true);
    const { metronome, now, pass } = manualClock();
    fake.frameDelayMultiplier = 2;
    watchHiddenHost(doc, session, metronome, now);
    doc.set('hidden');
    pass(1000);
    expect(inputs.length).toBeGreaterThanOrEqual(29);
    expect(inputs.length).toBeLessThanOrEqual(30);
  });

  it('never ticks a member that does not host, nor a room that is not running', () => {
    for (const [state, isHost] of [
      [SessionState.Playing, false],
      [SessionState.Lobby, true],
      [SessionState.Disconnected, true],
    ] as const) {
      const doc = new FakeDocument();
      const { session, inputs } = fakeSession(state, isHost);
      const { clock, metronome, now, pass } = manualClock();
      watchHiddenHost(doc, session, metronome, now);
      doc.set('hidden');
      pass(500);
      expect(inputs, `state ${state}, host ${isHost}`).toEqual([]);
      expect(clock.beating).toBe(0);
    }
  });

  it('starts when a hidden member becomes the host or the game starts, stops when it ends or the host changes', () => {
    const doc = new FakeDocument();
    doc.visibilityState = 'hidden';
    const { fake, session, inputs, emit } = fakeSession(SessionState.Lobby, true);
    const { clock, metronome, now, pass } = manualClock();
    watchHiddenHost(doc, session, metronome, now);
    pass(200);
    expect(inputs).toEqual([]);
    fake.state = SessionState.Playing;
    emit('stateChange');
    pass(200);
    expect(inputs.length).toBeGreaterThan(0);
    fake.isHost = false;
    emit('hostChanged');
    expect(clock.beating).toBe(0);
    fake.isHost = true;
    emit('hostChanged');
    expect(clock.beating).toBe(1);
    fake.state = SessionState.Disconnected;
    emit('stateChange');
    expect(clock.beating).toBe(0);
  });

  it("stops beating when a tick throws (the game's own error) and reports it, and stops listening when stopped", () => {
    const doc = new FakeDocument();
    const { fake, session, listeners } = fakeSession(SessionState.Playing, true);
    const { clock, metronome, now, pass } = manualClock();
    const global = globalThis as { reportError?: (error: unknown) => void };
    const reported: unknown[] = [];
    global.reportError = (error) => reported.push(error);
    try {
      const stop = watchHiddenHost(doc, session, metronome, now);
      doc.set('hidden');
      fake.fail = true;
      pass(100);
      expect(clock.beating).toBe(0);
      expect(reported.map((error) => (error as Error).message)).toEqual(['the game threw']);
      stop();
      expect([...listeners.values()].every((set) => set.size === 0)).toBe(true);
    } finally {
      delete global.reportError;
    }
  });

  it('falls back to the timer where no worker can run', async () => {
    // Node has no Worker: the beats come from setInterval.
    let beats = 0;
    const stop = workerMetronome(5, () => beats++);
    await new Promise((resolve) => setTimeout(resolve, 60));
    stop();
    const after = beats;
    expect(after).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(beats).toBe(after);
  });
});
