import { describe, expect, it } from 'vitest';
import { resumeUrl, saveSeat, seatKey, takeSeat } from './rejoin-storage';
import type { RejoinStorage, SavedSeat } from './rejoin-storage';

function storage(): RejoinStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

const URL_A = 'wss://signal.example/arena?next=2&group=g1';
const seat: SavedSeat = {
  url: URL_A,
  peerId: 'peer-1',
  resumeToken: 'peer-1.sig',
  ticket: {
    roomId: 'room-1',
    hostPeerId: 'peer-0',
    slot: 1,
    playerId: 'peer-1',
    token: Uint8Array.from({ length: 16 }, (_, i) => i * 7),
  },
};

describe('rejoin storage', () => {
  it('gives a saved seat back once, for the same room on the same server', () => {
    const s = storage();
    saveSeat(s, seat);
    expect(takeSeat(s, 'wss://signal.example/other?next=2')).toBeUndefined();
    expect(takeSeat(s, 'wss://signal.example/arena?next=2')).toEqual(seat);
    // Taken: a second page of the tab (or a duplicated tab) finds nothing.
    expect(takeSeat(s, URL_A)).toBeUndefined();
    expect(resumeUrl(seat)).toBe(`${URL_A}&resume=peer-1.sig`);
  });

  it.each([
    ['not JSON', '{'],
    ['another format', JSON.stringify({ v: 2 })],
    [
      'a short token',
      JSON.stringify({
        v: 1,
        url: URL_A,
        peerId: 'p',
        resumeToken: 't',
        ticket: { ...seat.ticket, token: 'abcd' },
      }),
    ],
    [
      'a token that is not hex',
      JSON.stringify({
        v: 1,
        url: URL_A,
        peerId: 'p',
        resumeToken: 't',
        ticket: { ...seat.ticket, token: 'zz'.repeat(16) },
      }),
    ],
    [
      'a seat of another room',
      JSON.stringify({
        v: 1,
        url: 'wss://signal.example/elsewhere',
        peerId: 'p',
        resumeToken: 't',
        ticket: { ...seat.ticket, token: '00'.repeat(16) },
      }),
    ],
    [
      'a slot that is not a number',
      JSON.stringify({
        v: 1,
        url: URL_A,
        peerId: 'p',
        resumeToken: 't',
        ticket: { ...seat.ticket, slot: '1', token: '00'.repeat(16) },
      }),
    ],
  ])('ignores (and removes) %s', (_label, raw) => {
    const s = storage();
    s.items.set(seatKey(URL_A), raw);
    expect(takeSeat(s, URL_A)).toBeUndefined();
    expect(s.items.size).toBe(0);
  });

  it('never throws on a blocked storage', () => {
    const blocked: RejoinStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    expect(() => saveSeat(blocked, seat)).not.toThrow();
    expect(takeSeat(blocked, URL_A)).toBeUndefined();
  });
});
