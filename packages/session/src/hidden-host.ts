import { RbnError } from '@rbn/protocol';
import { createFrameScheduler } from './frame-scheduler';
import type { Session } from './session';
import { SessionState } from './types';

/**
 * The part of `document` that {@link tickWhileHiddenHost} watches (`visibilityState` and its
 * `visibilitychange` event); tests pass a stand-in.
 */
export interface HiddenPageSource {
  /** `'hidden'` while the page is hidden; anything else counts as visible. */
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * A repeating timer: calls `beat` about every `everyMs` milliseconds until the function it
 * returns is called.
 */
export type Metronome = (everyMs: number, beat: () => void) => () => void;

/** How often a hidden host's clock beats; the frame scheduler turns beats into due ticks. */
const BEAT_MS = 10;

/** A dedicated worker that posts a message every `ms` milliseconds it is sent. */
const WORKER_SOURCE =
  'onmessage=function(e){clearInterval(self.t);self.t=setInterval(function(){postMessage(0)},e.data)}';

/**
 * The page's timer that a hidden tab does not slow down: a dedicated worker's. Browsers throttle
 * a hidden page's own timers (Chromium and Firefox to one wake-up a second, and stop its
 * animation frames), not its workers' timers, and a worker's messages wake the page at once.
 * Where no worker can run (no `Worker`, or a content security policy without `blob:` workers)
 * it falls back to the page's own `setInterval`.
 */
export const workerMetronome: Metronome = (everyMs, beat) => {
  let fallback: ReturnType<typeof setInterval> | undefined;
  const useTimer = (): void => {
    fallback ??= setInterval(beat, everyMs);
  };
  let worker: Worker | undefined;
  let url = '';
  try {
    url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    worker = new Worker(url);
    worker.onmessage = beat;
    worker.onerror = useTimer;
    worker.postMessage(everyMs);
  } catch {
    useTimer();
  }
  return () => {
    worker?.terminate();
    if (url !== '') URL.revokeObjectURL(url);
    clearInterval(fallback);
  };
};

/**
 * Keeps the room of a host whose page is hidden running. A hidden page gets no animation frames
 * and its own timers run about once a second, so a game loop driven by either stops ticking; a
 * host cannot be away (nobody decides its inputs): every other player would wait for it, and
 * after `disconnectTimeout` it would hand the room on (`LOOP_STOPPED`). While the page is hidden
 * and the session hosts a running game, this ticks the session at its tick rate (following
 * `frameDelayMultiplier`) with no input (the game's empty input, as for an away player), from a
 * dedicated worker's timer, which browsers do not throttle in a hidden tab (where no worker can
 * run, the page's own timer). It stops once the page is visible again, the game ends or another
 * member hosts. A tick that throws stops it, and the error is reported as uncaught
 * (`reportError`). `joinOnline` of `@rbn/online` calls it for you.
 *
 * Your own loop should not tick while the page is hidden (one driven by `requestAnimationFrame`
 * does not), and its {@link createFrameScheduler} should be `reset()` when the page is shown.
 * @param session - The session.
 * @param page - The page's `document` (or a stand-in). @default `globalThis.document`
 * @returns A function that stops watching (and ticking); a no-op where there is no page.
 * @example
 * ```ts
 * const stop = tickWhileHiddenHost(session);
 * // …when the session is done with:
 * stop();
 * ```
 */
export function tickWhileHiddenHost(session: Session, page?: HiddenPageSource): () => void {
  const source = page ?? (globalThis as { document?: HiddenPageSource }).document;
  if (source === undefined || typeof source.addEventListener !== 'function') return () => {};
  return watchHiddenHost(source, session, workerMetronome);
}

/**
 * {@link tickWhileHiddenHost} with its clock and time source given (tests).
 * @param source - The page's document (or a stand-in).
 * @param session - The session.
 * @param metronome - The clock that beats.
 * @param now - The time source of the ticks' pacing, in milliseconds. @default performance.now
 * @returns A function that stops watching (and ticking).
 */
export function watchHiddenHost(
  source: HiddenPageSource,
  session: Session,
  metronome: Metronome,
  now?: () => number,
): () => void {
  let stopBeats: (() => void) | null = null;
  const stopTicking = (): void => {
    stopBeats?.();
    stopBeats = null;
  };
  const update = (): void => {
    const running = session.state === SessionState.Playing || session.state === SessionState.Paused;
    const due = running && session.isHost && source.visibilityState === 'hidden';
    if (!due) stopTicking();
    else if (stopBeats === null)
      stopBeats = metronome(BEAT_MS, beatTicks(session, stopTicking, now));
  };
  source.addEventListener('visibilitychange', update);
  session.on('stateChange', update);
  session.on('hostChanged', update);
  update();
  return () => {
    source.removeEventListener('visibilitychange', update);
    session.off('stateChange', update);
    session.off('hostChanged', update);
    stopTicking();
  };
}

/**
 * A beat: runs the ticks due since the last one. A tick that throws stops the beats, and its
 * error is reported as an uncaught one (`reportError`): nobody else would see it while hidden.
 */
function beatTicks(session: Session, stop: () => void, now?: () => number): () => void {
  const tickRate = session.config.tickRate;
  const scheduler = createFrameScheduler(now ? { tickRate, now } : { tickRate });
  return () => {
    try {
      scheduler.frameDelayMultiplier = session.frameDelayMultiplier;
      for (let n = scheduler.frame(); n > 0; n--) session.tick();
    } catch (error) {
      // The game's own code threw, or the session was destroyed.
      stop();
      if (!(error instanceof RbnError && error.code === 'DESTROYED')) report(error);
    }
  };
}

/** Reports an error as uncaught without throwing (the page's `reportError`, else a throw later). */
function report(error: unknown): void {
  const reportError = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof reportError === 'function') reportError(error);
  else
    setTimeout(() => {
      throw error;
    });
}
