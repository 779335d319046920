import { describe, expect, it, vi } from 'vitest';
import { browserWindow, onPageExit } from './page-exit';

describe('onPageExit', () => {
  it.each(['pagehide', 'beforeunload'])('leaves once on %s', (type) => {
    const page = new EventTarget();
    const leave = vi.fn();
    onPageExit(page, leave);
    page.dispatchEvent(new Event(type));
    page.dispatchEvent(new Event('pagehide'));
    page.dispatchEvent(new Event('beforeunload'));
    expect(leave).toHaveBeenCalledTimes(1);
  });

  it('does not leave when the tab is merely hidden', () => {
    const page = new EventTarget();
    const leave = vi.fn();
    onPageExit(page, leave);
    page.dispatchEvent(new Event('visibilitychange'));
    page.dispatchEvent(new Event('blur'));
    expect(leave).not.toHaveBeenCalled();
  });

  it('stops watching when told to', () => {
    const page = new EventTarget();
    const leave = vi.fn();
    onPageExit(page, leave)();
    page.dispatchEvent(new Event('pagehide'));
    expect(leave).not.toHaveBeenCalled();
  });

  it('finds no page window in Node', () => {
    expect(browserWindow()).toBeUndefined();
  });
});
