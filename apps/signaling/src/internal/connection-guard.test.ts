import { describe, expect, it } from 'vitest';
import { ConnectionGuard } from './connection-guard.js';

const socket = (name: string) => ({ name, destroy: () => undefined });

describe('ConnectionGuard', () => {
  it('evicts the oldest idle connection once too many have sent nothing', () => {
    const guard = new ConnectionGuard(100, 2, 10_000);
    const [a, b, c] = [socket('a'), socket('b'), socket('c')];
    expect(guard.arrived(a, 0)).toEqual([]);
    expect(guard.arrived(b, 1)).toEqual([]);
    expect(guard.arrived(c, 2)).toEqual([a]);
    expect(guard.pending).toBe(2);
    expect(guard.open).toBe(2);
  });

  it('spares idle connections younger than minIdleMs from the pending cap, then trims them', () => {
    const guard = new ConnectionGuard(100, 2, 10_000, 1_000);
    const burst = ['a', 'b', 'c', 'd'].map(socket);
    for (const s of burst) expect(guard.arrived(s, 0)).toEqual([]);
    expect(guard.pending).toBe(4);
    expect(guard.expired(999)).toEqual([]);
    expect(guard.expired(1_000)).toEqual(burst.slice(0, 2));
    expect(guard.pending).toBe(2);
  });

  it('counts upgraded connections against the global cap and refuses beyond it', () => {
    const guard = new ConnectionGuard(2, 10, 10_000);
    const [a, b, c] = [socket('a'), socket('b'), socket('c')];
    guard.arrived(a, 0);
    guard.settled(a);
    guard.arrived(b, 0);
    guard.settled(b);
    expect(guard.arrived(c, 0)).toEqual([c]);
    guard.closed(a);
    expect(guard.arrived(c, 0)).toEqual([]);
  });

  it('makes room for a new connection by evicting an idle one when at the global cap', () => {
    const guard = new ConnectionGuard(2, 10, 10_000);
    const [upgraded, idle, fresh] = [socket('u'), socket('i'), socket('f')];
    guard.arrived(upgraded, 0);
    guard.settled(upgraded);
    guard.arrived(idle, 0);
    expect(guard.arrived(fresh, 1)).toEqual([idle]);
    expect(guard.open).toBe(2);
  });

  it('expires connections that sent no request within the handshake time, oldest first', () => {
    const guard = new ConnectionGuard(100, 100, 1_000);
    const [a, b, c] = [socket('a'), socket('b'), socket('c')];
    guard.arrived(a, 0);
    guard.arrived(b, 500);
    guard.arrived(c, 600);
    guard.settled(c);
    expect(guard.expired(999)).toEqual([]);
    expect(guard.expired(1_000)).toEqual([a]);
    expect(guard.expired(5_000)).toEqual([b]);
    expect(guard.open).toBe(1);
  });
});
