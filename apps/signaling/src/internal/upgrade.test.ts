import { describe, expect, it } from 'vitest';
import { checkUpgrade, clientIp } from './upgrade.js';
import type { UpgradePolicy, UpgradeRequest } from './upgrade.js';

const policy = (overrides: Partial<UpgradePolicy> = {}): UpgradePolicy => ({
  draining: false,
  backendReady: true,
  maxRoomSize: 16,
  allowedOrigins: new Set(),
  trustedProxyHops: 0,
  maxPerIp: 32,
  connectionsOf: () => 0,
  verifyToken: null,
  ...overrides,
});

const request = (overrides: Partial<UpgradeRequest> = {}): UpgradeRequest => ({
  url: '/room',
  origin: undefined,
  forwardedFor: undefined,
  remoteAddress: '10.0.0.9',
  ...overrides,
});

describe('clientIp', () => {
  it.each<[string | undefined, string | string[] | undefined, number, string]>([
    // [remote, X-Forwarded-For, trusted hops, client IP]
    ['10.0.0.9', undefined, 0, '10.0.0.9'],
    ['10.0.0.9', 'spoofed', 0, '10.0.0.9'],
    ['10.0.0.9', '203.0.113.7', 1, '203.0.113.7'],
    // The client prepended a fake hop; the proxy appended the address it saw.
    ['10.0.0.9', 'spoofed, 203.0.113.7', 1, '203.0.113.7'],
    ['10.0.0.9', 'a, b, 203.0.113.7, 10.0.0.2', 2, '203.0.113.7'],
    // Fewer hops than trusted: everything listed came from trusted proxies.
    ['10.0.0.9', '203.0.113.7', 3, '203.0.113.7'],
    ['10.0.0.9', ['spoofed', '203.0.113.7'], 1, '203.0.113.7'],
    ['10.0.0.9', ' , ', 1, '10.0.0.9'],
    [undefined, undefined, 0, 'unknown'],
  ])('remote %s, XFF %j, %i trusted hops → %s', (remote, xff, hops, expected) => {
    expect(clientIp(remote, xff, hops)).toBe(expected);
  });
});

describe('checkUpgrade', () => {
  it.each([
    ['draining', request(), policy({ draining: true }), 503, 'draining'],
    ['backend down', request(), policy({ backendReady: false }), 503, 'not-ready'],
    ['bad room name', request({ url: '/bad room!' }), policy(), 400, 'bad-room-name'],
    ['no room', request({ url: '/' }), policy(), 400, 'bad-room-name'],
    ['next=1', request({ url: '/r?next=1' }), policy(), 400, 'bad-next'],
    ['next over the room size', request({ url: '/r?next=17' }), policy(), 400, 'bad-next'],
    ['next not a number', request({ url: '/r?next=2e0' }), policy(), 400, 'bad-next'],
    ['group without next', request({ url: '/r?group=n:r:2:1' }), policy(), 400, 'bad-group'],
    ['group with a space', request({ url: '/r?next=2&group=a%20b' }), policy(), 400, 'bad-group'],
    [
      'origin not listed',
      request({ origin: 'https://evil' }),
      policy({ allowedOrigins: new Set(['https://ok']) }),
      403,
      'origin',
    ],
    [
      'origin missing',
      request(),
      policy({ allowedOrigins: new Set(['https://ok']) }),
      403,
      'origin',
    ],
    ['token refused', request(), policy({ verifyToken: () => false }), 401, 'token'],
    ['IP at its cap', request(), policy({ connectionsOf: () => 32 }), 429, 'ip-limit'],
  ])('refuses: %s', (_what, req, pol, status, reason) => {
    expect(checkUpgrade(req, pol)).toMatchObject({ ok: false, status, reason });
  });

  it('admits a valid request with its room, ?next, ?group, resume token and client IP', () => {
    const decision = checkUpgrade(
      request({
        url: '/lobby?next=4&group=n%3Alobby%3A4%3A7&resume=tok&token=t',
        origin: 'https://ok',
        forwardedFor: 'spoofed, 203.0.113.7',
      }),
      policy({
        allowedOrigins: new Set(['https://ok']),
        trustedProxyHops: 1,
        verifyToken: (token, room) => token === 't' && room === 'lobby',
      }),
    );
    expect(decision).toEqual({
      ok: true,
      room: 'lobby',
      groupSize: 4,
      targetGroup: 'n:lobby:4:7',
      resume: 'tok',
      ip: '203.0.113.7',
    });
  });

  it('counts the per-IP cap against the address the trusted proxy saw, not a spoofed hop', () => {
    const counts = new Map([['203.0.113.7', 32]]);
    const decision = checkUpgrade(
      request({ forwardedFor: 'fresh-spoof-1, 203.0.113.7' }),
      policy({ trustedProxyHops: 1, connectionsOf: (ip) => counts.get(ip) ?? 0 }),
    );
    expect(decision).toMatchObject({ ok: false, reason: 'ip-limit' });
  });
});
