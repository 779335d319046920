import { describe, expect, it } from 'vitest';
import { judgeFrame } from './connection.js';
import { TokenBucket } from './rate-limiter.js';

const limits = { rate: 10, maxStrikes: 3, maxMessageBytes: 100 };
const conn = (overrides: { joined?: boolean; ended?: boolean; burst?: number } = {}) => ({
  ended: overrides.ended ?? false,
  joined: overrides.joined ?? true,
  strikes: 0,
  bucket: new TokenBucket(10, overrides.burst ?? 100, 0),
});
const text = (s: string) => Buffer.from(s);

describe('judgeFrame', () => {
  it('parses a valid message of a joined peer', () => {
    expect(judgeFrame(conn(), text('{"type":"ping"}'), false, 0, limits)).toEqual({
      kind: 'message',
      message: { type: 'ping' },
    });
  });

  it.each([
    ['too large', conn(), text('x'.repeat(101)), false, 'too-large'],
    ['binary', conn(), text('{"type":"ping"}'), true, 'malformed'],
    ['before the welcome', conn({ joined: false }), text('{"type":"ping"}'), false, 'not-ready'],
    ['not JSON', conn(), text('{'), false, 'malformed'],
    ['unknown type', conn(), text('{"type":"nope"}'), false, 'unknown-type'],
  ])('answers %s with an error', (_what, c, data, isBinary, code) => {
    expect(judgeFrame(c, data, isBinary, 0, limits)).toMatchObject({ kind: 'error', code });
  });

  it('ignores frames of a connection that already ended', () => {
    expect(judgeFrame(conn({ ended: true }), text('{"type":"ping"}'), false, 0, limits)).toEqual({
      kind: 'ignore',
    });
  });

  it('rate limits: one error, then quiet rejects, then a close once strikes pass the cap', () => {
    const c = conn({ burst: 1 });
    const ping = text('{"type":"ping"}');
    const kinds = Array.from({ length: 6 }, () => judgeFrame(c, ping, false, 0, limits).kind);
    expect(kinds).toEqual([
      'message',
      'error',
      'quiet-reject',
      'quiet-reject',
      'close-abusive',
      'close-abusive',
    ]);
  });
});
