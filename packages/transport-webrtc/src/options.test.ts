import { describe, expect, it } from 'vitest';
import { DEFAULT_STUN_SERVER, withDefaultStun } from './options';

const stun = { urls: 'stun:stun.l.google.com:19302' };
const turn = { urls: 'turn:turn.example.test:3478', username: 'u', credential: 'c' };
const turns = { urls: ['turns:turn.example.test:5349', 'turn:turn.example.test:3478'] };
const own = { urls: ['stun:stun.example.test:3478'] };

describe('withDefaultStun', () => {
  it.each([
    ['no servers', [], [stun]],
    ['undefined', undefined, [stun]],
    ['TURN only (what a signaling server sends)', [turn], [stun, turn]],
    ['TURN URLs in a list', [turns], [stun, turns]],
    ['a STUN server of its own', [own, turn], [own, turn]],
    ['the default STUN server already', [stun], [stun]],
    [
      'STUN in upper case',
      [{ urls: 'STUN:stun.example.test' }],
      [{ urls: 'STUN:stun.example.test' }],
    ],
  ] as const)('with %s', (_, given, expected) => {
    expect(withDefaultStun(given as RTCIceServer[] | undefined)).toEqual(expected);
  });

  it('returns a new list and leaves the given one alone', () => {
    const given = [turn];
    const result = withDefaultStun(given);
    expect(result).not.toBe(given);
    expect(given).toEqual([turn]);
  });

  it('adds the STUN server it is given instead of the default', () => {
    expect(withDefaultStun([turn], { urls: 'stun:mine.test' })).toEqual([
      { urls: 'stun:mine.test' },
      turn,
    ]);
    expect(DEFAULT_STUN_SERVER).toEqual(stun);
  });
});
