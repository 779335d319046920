import { describe, expect, it } from 'vitest';
import { defaultMaxConnections, resolveLimits } from './limits.js';

const limitsFile = (soft: string) =>
  `Limit                     Soft Limit           Hard Limit           Units\n` +
  `Max open files            ${soft}                 1048576              files\n`;

describe('defaultMaxConnections', () => {
  it.each([
    ['1024', 960],
    ['1048576', 10_000],
    ['100', 64],
  ])('keeps below a soft open-file limit of %s: %i', (soft, expected) => {
    expect(defaultMaxConnections(limitsFile(soft))).toBe(expected);
  });

  it('falls back to 10 000 when the limit cannot be read', () => {
    expect(defaultMaxConnections('nothing here')).toBe(10_000);
  });
});

describe('resolveLimits', () => {
  it.each([
    [undefined, 0],
    [false, 0],
    [true, 1],
    [2, 2],
    [-1, 0],
    [1.7, 1],
  ])('trustProxy %j → %i trusted hops', (trustProxy, hops) => {
    const options = trustProxy === undefined ? {} : { trustProxy };
    expect(resolveLimits(options).trustedProxyHops).toBe(hops);
  });

  it('gives each sender four messages of room in the Redis relay queue', () => {
    expect(resolveLimits({ maxMessageBytes: 1_000 }).redisPerSenderBytes).toBe(4_000);
  });
});
