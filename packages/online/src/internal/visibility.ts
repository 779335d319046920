import { PlayerRole, SessionState } from '@rbn/session';
import type { Session } from '@rbn/session';

/**
 * The part of `document` that `joinOnline` watches for the page being hidden (another tab in
 * front, a minimised window, a phone's lock screen); tests pass a stand-in.
 */
export interface VisibilitySource {
  /** `'hidden'` while the page is hidden; anything else counts as visible. */
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * The page's `document` when there is one (a browser page), `undefined` elsewhere.
 * @returns The visibility source to watch, if any.
 */
export function browserDocument(): VisibilitySource | undefined {
  const candidate = (globalThis as { document?: unknown }).document;
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const doc = candidate as Partial<VisibilitySource>;
  return typeof doc.visibilityState === 'string' &&
    typeof doc.addEventListener === 'function' &&
    typeof doc.removeEventListener === 'function'
    ? (doc as VisibilitySource)
    : undefined;
}

/**
 * Says the local player is away while the page is hidden and back once it is visible again
 * (`session.setAway`), so a hidden tab, whose timers the browser slows or stops, never makes
 * the others wait. Only a player (not the host, not a spectator) in a running game can be away;
 * a page hidden at another moment is checked again when the game starts.
 * @param source - The page's document (or a stand-in).
 * @param session - The session in the room.
 * @returns A function that stops watching.
 */
export function awayWhileHidden(source: VisibilitySource, session: Session): () => void {
  let saidAway = false;
  const update = (): void => {
    const hidden = source.visibilityState === 'hidden';
    if (hidden === saidAway) return;
    const running = session.state === SessionState.Playing || session.state === SessionState.Paused;
    if (hidden && (!running || session.isHost || session.localRole !== PlayerRole.Player)) return;
    saidAway = hidden;
    if (!running) return; // left the game while hidden: nothing to come back to
    try {
      session.setAway(hidden);
    } catch {
      // The session changed under us (it left the room): nothing to say.
    }
  };
  const onState = (): void => update();
  source.addEventListener('visibilitychange', update);
  session.on('stateChange', onState);
  update();
  return () => {
    source.removeEventListener('visibilitychange', update);
    session.off('stateChange', onState);
  };
}
