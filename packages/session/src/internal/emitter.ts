import type { ErrorContext, SessionEventName, SessionEvents } from '../types';

type AnyListener = (...args: never[]) => void;

/**
 * A small typed event emitter. A listener that throws never breaks the emitter's caller: the
 * exception is reported as an `error` event with `source: 'listener'` (and swallowed if an
 * `error` listener itself throws).
 */
export class Emitter {
  private readonly listeners = new Map<SessionEventName, AnyListener[]>();

  on<E extends SessionEventName>(event: E, listener: SessionEvents[E]): void {
    const list = this.listeners.get(event);
    if (list) list.push(listener);
    else this.listeners.set(event, [listener]);
  }

  off<E extends SessionEventName>(event: E, listener: SessionEvents[E]): void {
    const list = this.listeners.get(event);
    if (!list) return;
    const index = list.indexOf(listener);
    if (index >= 0) list.splice(index, 1);
  }

  removeAll(event?: SessionEventName): void {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
  }

  emit<E extends SessionEventName>(event: E, ...args: Parameters<SessionEvents[E]>): void {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return;
    // Copy so a listener may remove itself (or others) while we iterate.
    for (const listener of list.slice()) {
      try {
        (listener as (...a: Parameters<SessionEvents[E]>) => void)(...args);
      } catch (cause) {
        if (event === 'error') continue;
        const error = cause instanceof Error ? cause : new Error(String(cause));
        const context: ErrorContext = { source: 'listener', recoverable: true, event };
        this.emit('error', error, context);
      }
    }
  }
}
