import { RbnError } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { createLocalTransportGroup } from './create-local-transport-group';
import { LocalTransport } from './local-transport';
import type { LocalTransportConfig } from './local-transport';

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('LocalTransport caller misuse', () => {
  it.each([
    ['latency', Number.POSITIVE_INFINITY],
    ['latency', Number.NaN],
    ['latency', '20'],
    ['jitter', -5],
    ['jitter', Number.POSITIVE_INFINITY],
    ['packetLoss', Number.NaN],
    ['packetLoss', 1.5],
    ['packetLoss', '0.5'],
    ['packetLoss', true],
    ['duplication', -0.1],
    ['duplication', '1'],
    ['reorder', Number.POSITIVE_INFINITY],
    ['reorder', null],
    ['seed', Number.NaN],
    ['seed', Number.POSITIVE_INFINITY],
    ['seed', '7'],
  ] as const)('rejects %s = %s with INVALID_CONFIG naming the field', (field, value) => {
    const config = { [field]: value } as unknown as LocalTransportConfig;
    const makers: (() => unknown)[] = [
      () => new LocalTransport('a', config),
      () => createLocalTransportGroup(['a', 'b'], config),
    ];
    // setConditions takes the network conditions only, not the seed.
    if (field !== 'seed') makers.push(() => new LocalTransport('a').setConditions(config));
    for (const make of makers) {
      const error = thrownBy(make);
      expect(error, String(make)).toBeInstanceOf(RbnError);
      expect((error as RbnError).code).toBe('INVALID_CONFIG');
      expect((error as RbnError).message).toContain(field);
    }
  });

  it.each([null, 'fast', 3])('rejects a config that is not an object (%s)', (config) => {
    const error = thrownBy(() => new LocalTransport('a', config as never));
    expect(error).toBeInstanceOf(RbnError);
    expect((error as RbnError).code).toBe('INVALID_CONFIG');
  });

  it('rejects bad arguments of tick, setLinkConditions and send without changing the link', async () => {
    const group = createLocalTransportGroup(['a', 'b'], { latency: 10 });
    const a = group.get('a')!;
    const b = group.get('b')!;
    await a.connect('b');
    const received: number[][] = [];
    b.onMessage = (_from, data) => received.push([...data]);
    const misuse: [() => unknown, RegExp][] = [
      [() => b.tick(Number.NaN), /ms must be/],
      [() => b.tick(Number.POSITIVE_INFINITY), /ms must be/],
      [() => b.tick(-1), /ms must be/],
      [() => a.setLinkConditions('b', { latency: Number.POSITIVE_INFINITY }), /latency/],
      [() => a.setLinkConditions('b', { packetLoss: Number.NaN }), /packetLoss/],
      [() => a.setLinkConditions('nobody', { latency: 1 }), /no link to 'nobody'/],
      // The method and the value, described as @rbn/protocol's describeValue does.
      [
        () => a.send('b', [1, 2] as unknown as Uint8Array, true),
        /^LocalTransport\.send: message must be a Uint8Array \(got array\(2\)\)$/,
      ],
      [
        () => a.send('b', 'hi' as unknown as Uint8Array, true),
        /^LocalTransport\.send: message must be a Uint8Array \(got "hi"\)$/,
      ],
      [
        () => a.broadcast(null as unknown as Uint8Array, false),
        /^LocalTransport\.broadcast: message must be a Uint8Array \(got null\)$/,
      ],
    ];
    for (const [call, pattern] of misuse) {
      const error = thrownBy(call);
      expect(error, String(call)).toBeInstanceOf(RbnError);
      expect((error as RbnError).message, String(call)).toMatch(pattern);
    }
    // Nothing changed: the counters, the clock and the conditions are as before.
    expect(a.getLinkStats('b')).toMatchObject({ messagesSent: 0, bytesSent: 0 });
    expect(b.now).toBe(0);
    expect(a.getConditions('b').latency).toBe(10);
    a.send('b', new Uint8Array([7]), true);
    b.tick(10);
    expect(received).toEqual([[7]]);
  });
});

describe('LocalTransport re-entrant handlers', () => {
  it('keeps its clock monotonic and delivers each message once when onMessage calls back into the transport', async () => {
    const group = createLocalTransportGroup(['a', 'b', 'c'], { latency: 5, seed: 3 });
    const a = group.get('a')!;
    const b = group.get('b')!;
    const c = group.get('c')!;
    await a.connect('b');
    await c.connect('b');
    const seen: number[] = [];
    const clocks: number[] = [];
    b.onMessage = (from, data) => {
      seen.push(data[0]!);
      clocks.push(b.now);
      if (data[0] === 1) b.tick(100); // a nested tick jumps the clock ahead
      if (data[0] === 2) b.send(from, new Uint8Array([99]), true);
      if (data[0] === 3) b.disconnect('c'); // drops c's message in flight
      if (data[0] === 4) b.flush();
    };
    a.send('b', new Uint8Array([1]), true);
    a.tick(1);
    a.send('b', new Uint8Array([2]), true);
    c.send('b', new Uint8Array([3]), true);
    c.tick(1);
    c.send('b', new Uint8Array([5]), true);
    a.send('b', new Uint8Array([4]), true);
    b.tick(10);
    b.tick(200);
    expect(seen).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < clocks.length; i++)
      expect(clocks[i]).toBeGreaterThanOrEqual(clocks[i - 1]!);
    // The outer tick(10) must not wind the clock back below the nested tick(100).
    expect(b.now).toBeGreaterThanOrEqual(300);
    expect(b.pendingCount).toBe(0);
    expect(c.getLinkStats('b')).toMatchObject({ messagesSent: 2, messagesDropped: 1 });
  });
});
