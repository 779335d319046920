/** The part of `window` that `joinOnline` watches for the page going away; tests pass an `EventTarget`. */
export interface PageEventTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * The events after which the page is gone or going: `pagehide` (tab closed, navigated away,
 * put in the back/forward cache) and `beforeunload`. Not `visibilitychange`: a hidden tab is
 * still playing (or "away"), never gone.
 */
const EXIT_EVENTS = ['pagehide', 'beforeunload'] as const;

/**
 * The page's `window` when there is one (a browser page), `undefined` elsewhere (Node, workers).
 * @returns The event target to watch, if any.
 */
export function browserWindow(): PageEventTarget | undefined {
  const candidate = (globalThis as { window?: unknown }).window;
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const target = candidate as Partial<PageEventTarget>;
  return typeof target.addEventListener === 'function' &&
    typeof target.removeEventListener === 'function'
    ? (target as PageEventTarget)
    : undefined;
}

/**
 * Calls `leave` once, the first time the page is hidden for good or unloads.
 * @param target - The page's window (or a stand-in).
 * @param leave - What to do.
 * @returns A function that stops watching.
 */
export function onPageExit(target: PageEventTarget, leave: () => void): () => void {
  const listener = (): void => {
    stop();
    leave();
  };
  const stop = (): void => {
    for (const type of EXIT_EVENTS) target.removeEventListener(type, listener);
  };
  for (const type of EXIT_EVENTS) target.addEventListener(type, listener);
  return stop;
}
