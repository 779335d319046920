import { PlayerRole, SessionState } from '@rbn/session';
import type { Session } from '@rbn/session';
import { describe, expect, it } from 'vitest';
import { awayWhileHidden } from './visibility';
import type { VisibilitySource } from './visibility';

/** A document stand-in whose visibility the test sets. */
class FakeDocument extends EventTarget implements VisibilitySource {
  visibilityState = 'visible';

  set(state: 'visible' | 'hidden'): void {
    this.visibilityState = state;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

/** The parts of a session `awayWhileHidden` reads, recording `setAway` calls. */
function fakeSession(state: SessionState, isHost = false, role = PlayerRole.Player) {
  const calls: boolean[] = [];
  const listeners = new Set<() => void>();
  const session = {
    state,
    isHost,
    localRole: role,
    setAway: (away: boolean) => calls.push(away),
    on: (_event: string, listener: () => void) => listeners.add(listener),
    off: (_event: string, listener: () => void) => listeners.delete(listener),
  };
  const enter = (next: SessionState): void => {
    session.state = next;
    for (const listener of listeners) listener();
  };
  return { session: session as unknown as Session, calls, enter, listeners };
}

describe('awayWhileHidden', () => {
  it('says away when the page is hidden and back when it is visible again', () => {
    const doc = new FakeDocument();
    const { session, calls } = fakeSession(SessionState.Playing);
    const stop = awayWhileHidden(doc, session);
    doc.set('hidden');
    doc.set('hidden');
    doc.set('visible');
    expect(calls).toEqual([true, false]);
    stop();
    doc.set('hidden');
    expect(calls).toEqual([true, false]);
  });

  it('never makes the host or a spectator away', () => {
    for (const [isHost, role] of [
      [true, PlayerRole.Player],
      [false, PlayerRole.Spectator],
    ] as const) {
      const doc = new FakeDocument();
      const { session, calls } = fakeSession(SessionState.Playing, isHost, role);
      awayWhileHidden(doc, session);
      doc.set('hidden');
      doc.set('visible');
      expect(calls).toEqual([]);
    }
  });

  it('a page hidden in the lobby is away once the game starts, and back when visible', () => {
    const doc = new FakeDocument();
    const { session, calls, enter } = fakeSession(SessionState.Lobby);
    doc.visibilityState = 'hidden';
    const stop = awayWhileHidden(doc, session);
    expect(calls).toEqual([]);
    enter(SessionState.Playing);
    expect(calls).toEqual([true]);
    doc.set('visible');
    expect(calls).toEqual([true, false]);
    stop();
  });

  it('stops listening to the session when stopped', () => {
    const doc = new FakeDocument();
    const { session, listeners } = fakeSession(SessionState.Playing);
    const stop = awayWhileHidden(doc, session);
    expect(listeners.size).toBe(1);
    stop();
    expect(listeners.size).toBe(0);
  });
});
