import { describe, expect, it } from 'vitest';
import { createResumeToken, createRoomToken, readResumeToken, verifyToken } from './tokens.js';

describe('room tokens', () => {
  const now = 1_700_000_000_000;

  it('accepts a shared secret only when it matches exactly', () => {
    const auth = { mode: 'shared', secret: 'abc' } as const;
    expect(verifyToken(auth, 'abc', 'room', now)).toBe(true);
    expect(verifyToken(auth, 'abcd', 'room', now)).toBe(false);
    expect(verifyToken(auth, null, 'room', now)).toBe(false);
  });

  it('accepts an HMAC token for its room until it expires', () => {
    const auth = { mode: 'hmac', secret: 'k' } as const;
    const token = createRoomToken('k', 'room', now / 1000 + 10);
    expect(verifyToken(auth, token, 'room', now)).toBe(true);
    expect(verifyToken(auth, token, 'room', now + 11_000)).toBe(false);
    expect(verifyToken(auth, token, 'other', now)).toBe(false);
    expect(
      verifyToken(
        auth,
        token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        'room',
        now,
      ),
    ).toBe(false);
    expect(verifyToken(auth, 'garbage', 'room', now)).toBe(false);
  });
});

describe('resume tokens', () => {
  it('prove the peer id they were minted for and nothing else', () => {
    const token = createResumeToken('s', 'peer-1');
    expect(readResumeToken('s', token)).toBe('peer-1');
    expect(readResumeToken('other-secret', token)).toBeNull();
    expect(readResumeToken('s', token.replace('peer-1', 'peer-2'))).toBeNull();
    expect(readResumeToken('s', 'no-dot')).toBeNull();
  });
});
