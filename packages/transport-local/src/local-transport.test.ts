import { RbnError } from '@rbn/protocol';
import { describe, expect, it } from 'vitest';
import { createLocalTransportGroup } from './create-local-transport-group';
import { LocalTransport } from './local-transport';
import type { LocalTransportConfig } from './local-transport';

type Received = { from: string; data: number[] };

function record(t: LocalTransport): Received[] {
  const out: Received[] = [];
  t.onMessage = (from, data) => out.push({ from, data: [...data] });
  return out;
}

async function pair(config: LocalTransportConfig = {}) {
  const group = createLocalTransportGroup(['a', 'b'], config);
  const a = group.get('a')!;
  const b = group.get('b')!;
  await a.connect('b');
  return { a, b, received: record(b) };
}

/** Sends `count` one-byte-indexed messages a → b, then lets b's clock run until all due. */
async function run(config: LocalTransportConfig, reliable: boolean, count = 1000) {
  const { a, b, received } = await pair(config);
  for (let i = 0; i < count; i++) {
    a.send('b', new Uint8Array([i & 0xff, i >> 8]), reliable);
    b.tick(1);
  }
  b.tick(10_000);
  const order = received.map((r) => r.data[0]! | (r.data[1]! << 8));
  return { a, b, order, stats: a.getLinkStats('b')! };
}

describe('LocalTransport', () => {
  it('connects both sides through connect and fires onConnect on both', async () => {
    const group = createLocalTransportGroup(['host', 'client']);
    const host = group.get('host')!;
    const client = group.get('client')!;
    const events: string[] = [];
    host.onConnect = (id) => events.push(`host+${id}`);
    client.onConnect = (id) => events.push(`client+${id}`);
    await client.connect('host');
    expect(events).toEqual(['client+host', 'host+client']);
    expect([...host.connectedPeers]).toEqual(['client']);
    expect([...client.connectedPeers]).toEqual(['host']);
  });

  it('rejects connect to an unlinked peer with a clear error', async () => {
    const a = new LocalTransport('a');
    await expect(a.connect('nobody')).rejects.toThrow(
      /cannot connect to 'nobody'.*no such peer is linked/,
    );
    await expect(a.connect('nobody')).rejects.toBeInstanceOf(RbnError);
  });

  it('fires onDisconnect on both sides and drops messages in flight', async () => {
    const { a, b, received } = await pair({ latency: 50 });
    const events: string[] = [];
    a.onDisconnect = (id) => events.push(`a-${id}`);
    b.onDisconnect = (id) => events.push(`b-${id}`);
    a.send('b', new Uint8Array([1]), true);
    b.disconnect('a');
    b.tick(100);
    expect(events).toEqual(['b-a', 'a-b']);
    expect(received).toEqual([]);
    expect(a.getLinkStats('b')).toMatchObject({
      messagesSent: 1,
      messagesDropped: 1,
      messagesDelivered: 0,
    });
    expect(a.connectedPeers.size).toBe(0);
  });

  it('delivers after the one-way latency on the receiver clock', async () => {
    const { a, b, received } = await pair({ latency: 50 });
    a.send('b', new Uint8Array([7]), true);
    b.tick(49);
    expect(received).toEqual([]);
    b.tick(1);
    expect(received).toEqual([{ from: 'a', data: [7] }]);
  });

  it('delivers nothing inside send, even with zero latency', async () => {
    const { a, b, received } = await pair();
    a.send('b', new Uint8Array([1]), false);
    expect(received).toEqual([]);
    b.tick(0);
    expect(received).toHaveLength(1);
  });

  it('copies messages at send so the sender may reuse its buffer', async () => {
    const { a, b, received } = await pair({ latency: 10 });
    const buffer = new Uint8Array([1, 2, 3]);
    a.send('b', buffer, true);
    buffer.fill(9);
    b.flush();
    expect(received[0]?.data).toEqual([1, 2, 3]);
  });

  it('flush delivers everything pending in arrival order without moving the clock', async () => {
    const { a, b, received } = await pair({ latency: 100 });
    a.send('b', new Uint8Array([1]), true);
    a.send('b', new Uint8Array([2]), false);
    b.flush();
    expect(received.map((r) => r.data[0])).toEqual([1, 2]);
    expect(b.now).toBe(0);
    expect(b.pendingCount).toBe(0);
  });

  it('ignores a send to an unknown peer', () => {
    const a = new LocalTransport('a');
    expect(() => a.send('nobody', new Uint8Array([1]), true)).not.toThrow();
  });

  it('keeps its state when a handler throws, and rethrows after delivering everything due', async () => {
    const { a, b } = await pair();
    const seen: number[] = [];
    b.onMessage = (_from, data) => {
      seen.push(data[0]!);
      if (data[0] === 1) throw new Error('handler failed');
    };
    a.send('b', new Uint8Array([1]), true);
    a.send('b', new Uint8Array([2]), true);
    expect(() => b.tick(0)).toThrow('handler failed');
    expect(seen).toEqual([1, 2]);
    a.send('b', new Uint8Array([3]), true);
    b.tick(0);
    expect(seen).toEqual([1, 2, 3]);
    expect(b.connectedPeers.has('a')).toBe(true);
  });

  it('keeps both sides connected when an onConnect handler throws, and rejects connect with it', async () => {
    const group = createLocalTransportGroup(['a', 'b']);
    const a = group.get('a')!;
    const b = group.get('b')!;
    const seen: string[] = [];
    a.onConnect = (id) => {
      seen.push(`a+${id}`);
      throw new Error('bad handler');
    };
    b.onConnect = (id) => seen.push(`b+${id}`);
    await expect(a.connect('b')).rejects.toThrow('bad handler');
    expect(seen).toEqual(['a+b', 'b+a']);
    expect(a.connectedPeers.has('b') && b.connectedPeers.has('a')).toBe(true);
    const got = record(b);
    a.send('b', new Uint8Array([1]), true);
    b.tick(0);
    expect(got).toHaveLength(1);
  });

  it('reports the round trip as the sum of both one-way latencies', async () => {
    const { a, b } = await pair({ latency: 30 });
    b.setLinkConditions('a', { latency: 70 });
    expect(a.getConnectionMetrics('b')?.rtt).toBe(100);
    expect(a.getConnectionMetrics('nobody')).toBeNull();
  });

  it('counts messages and bytes sent, delivered and received per link', async () => {
    const { a, b } = await pair();
    a.send('b', new Uint8Array(10), true);
    a.send('b', new Uint8Array(5), false);
    b.tick(0);
    expect(a.getLinkStats('b')).toMatchObject({
      messagesSent: 2,
      bytesSent: 15,
      messagesDelivered: 2,
      bytesDelivered: 15,
      messagesDropped: 0,
    });
    expect(b.getLinkStats('a')).toMatchObject({ messagesReceived: 2, bytesReceived: 15 });
    expect(a.getConnectionMetrics('b')).toMatchObject({ packetsSent: 2, bytesSent: 15 });
    expect(a.getLinkStats('nobody')).toBeNull();
  });

  it('runs the architecture quick start frame loop (t1.tick(16); t2.tick(16))', async () => {
    const transports = createLocalTransportGroup(['host', 'client'], { latency: 50 });
    const t1 = transports.get('host')!;
    const t2 = transports.get('client')!;
    await t2.connect('host');
    const atHost: number[] = [];
    const atClient: number[] = [];
    t1.onMessage = (_f, d) => atHost.push(d[0]!);
    t2.onMessage = (_f, d) => atClient.push(d[0]!);
    for (let frame = 0; frame < 10; frame++) {
      t1.send('client', new Uint8Array([frame]), false);
      t2.send('host', new Uint8Array([frame]), false);
      t1.tick(16);
      t2.tick(16);
    }
    // sent at frame f (time 16f), due at 16f + 50; the clocks end at 160, so frames 0..6 arrived
    expect(atHost).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(atClient).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('loses only unreliable messages (seeded)', async () => {
    const seed = 11;
    const lossy = await run({ packetLoss: 0.3, seed }, false);
    expect(lossy.order.length, `seed ${seed}`).toBeGreaterThan(600);
    expect(lossy.order.length, `seed ${seed}`).toBeLessThan(800);
    expect(lossy.stats.messagesDropped + lossy.stats.messagesDelivered).toBe(1000);
    const reliable = await run({ packetLoss: 0.3, seed }, true);
    expect(reliable.order, `seed ${seed}`).toEqual([...Array(1000).keys()]);
    expect(reliable.stats.messagesDropped).toBe(0);
  });

  it('counts the messages and bytes of simulated loss as dropped', async () => {
    const seed = 12;
    const { a, b, received } = await pair({ packetLoss: 1, seed });
    for (let i = 1; i <= 4; i++) a.send('b', new Uint8Array(i), false);
    a.send('b', new Uint8Array(7), true);
    b.tick(0);
    expect(
      received.map((r) => r.data.length),
      `seed ${seed}`,
    ).toEqual([7]);
    expect(a.getLinkStats('b'), `seed ${seed}`).toMatchObject({
      messagesSent: 5,
      bytesSent: 17,
      messagesDropped: 4,
      bytesDropped: 10,
      messagesDelivered: 1,
      bytesDelivered: 7,
    });
  });

  it('reorders unreliable messages with jitter but never reliable ones (seeded)', async () => {
    const seed = 12;
    const config = { latency: 30, jitter: 25, seed };
    const unreliable = await run(config, false);
    expect(unreliable.order, `seed ${seed}`).not.toEqual([...Array(1000).keys()]);
    expect([...unreliable.order].sort((x, y) => x - y)).toEqual([...Array(1000).keys()]);
    const reliable = await run(config, true);
    expect(reliable.order, `seed ${seed}`).toEqual([...Array(1000).keys()]);
  });

  it('delivers by latency: a message on a faster link overtakes one sent earlier on a slower link', async () => {
    const group = createLocalTransportGroup(['fast', 'slow', 'rx']);
    const fast = group.get('fast')!;
    const slow = group.get('slow')!;
    const rx = group.get('rx')!;
    await rx.connect('fast');
    await rx.connect('slow');
    fast.setLinkConditions('rx', { latency: 10 });
    slow.setLinkConditions('rx', { latency: 40 });
    const got = record(rx);
    slow.send('rx', new Uint8Array([1]), false);
    fast.send('rx', new Uint8Array([2]), false);
    rx.tick(100);
    expect(got.map((r) => r.from)).toEqual(['fast', 'slow']);
  });

  it('duplicates unreliable messages only (seeded)', async () => {
    const seed = 13;
    const dup = await run({ duplication: 0.2, seed }, false);
    expect(dup.order.length, `seed ${seed}`).toBeGreaterThan(1100);
    expect(dup.stats.messagesDuplicated).toBe(dup.order.length - 1000);
    expect(new Set(dup.order).size).toBe(1000);
    const reliable = await run({ duplication: 0.2, seed }, true);
    expect(reliable.order).toHaveLength(1000);
  });

  it('reorders unreliable messages with the reorder probability alone (seeded)', async () => {
    const seed = 14;
    const { order } = await run({ reorder: 0.1, seed }, false);
    const inversions = order.filter((v, i) => i > 0 && v < order[i - 1]!).length;
    expect(inversions, `seed ${seed}`).toBeGreaterThan(20);
    expect(order).toHaveLength(1000);
    const reliable = await run({ reorder: 0.5, seed }, true);
    expect(reliable.order).toEqual([...Array(1000).keys()]);
  });

  it('reproduces the exact same deliveries with the same seed, and differs with another', async () => {
    const config = { latency: 20, jitter: 15, packetLoss: 0.2, duplication: 0.1, reorder: 0.1 };
    const first = await run({ ...config, seed: 99 }, false);
    const second = await run({ ...config, seed: 99 }, false);
    const other = await run({ ...config, seed: 100 }, false);
    expect(second.order).toEqual(first.order);
    expect(other.order).not.toEqual(first.order);
  });

  it('applies condition changes at runtime, globally and per link (lag spike)', async () => {
    const group = createLocalTransportGroup(['a', 'b', 'c']);
    const a = group.get('a')!;
    const b = group.get('b')!;
    const c = group.get('c')!;
    await a.connect('b');
    await a.connect('c');
    const atB = record(b);
    const atC = record(c);
    a.setConditions({ latency: 10 });
    a.setLinkConditions('b', { latency: 200 });
    a.broadcast(new Uint8Array([1]), true);
    b.tick(10);
    c.tick(10);
    expect(atB).toHaveLength(0);
    expect(atC).toHaveLength(1);
    b.tick(190);
    expect(atB).toHaveLength(1);
    a.setLinkConditions('b', null);
    expect(a.getConditions('b').latency).toBe(10);
    a.send('b', new Uint8Array([2]), true);
    b.tick(10);
    expect(atB).toHaveLength(2);
    expect(() => a.setConditions({ packetLoss: 2 })).toThrow(/packetLoss must be a probability/);
  });

  it('keeps reliable order when latency drops mid-stream', async () => {
    const { a, b, received } = await pair({ latency: 200 });
    a.send('b', new Uint8Array([1]), true);
    a.setConditions({ latency: 0 });
    a.send('b', new Uint8Array([2]), true);
    b.tick(0);
    expect(received).toEqual([]);
    b.tick(200);
    expect(received.map((r) => r.data[0])).toEqual([1, 2]);
  });

  it('rejects invalid configuration naming the field', () => {
    expect(() => new LocalTransport('a', { latency: -1 })).toThrow(/latency/);
    expect(() => new LocalTransport('a', { jitter: Number.NaN })).toThrow(/jitter/);
    expect(() => createLocalTransportGroup(['a', 'a'])).toThrow(/'a' appears more than once/);
    expect(() => new LocalTransport('a').tick(-1)).toThrow(/ms must be/);
  });

  it('unlinks a pair, disconnecting it first', async () => {
    const { a, b } = await pair();
    const events: string[] = [];
    b.onDisconnect = (id) => events.push(id);
    LocalTransport.unlink(a, b);
    expect(events).toEqual(['a']);
    await expect(a.connect('b')).rejects.toThrow(/no such peer is linked/);
  });
});

describe('LocalTransport tick order', () => {
  type Log = string[];

  /**
   * Three transports exchange seeded traffic for 12 frames, ticked in `order` each frame.
   * Every transport sends at the start of each frame, and answers each message it gets with a
   * reply that it queues in onMessage and sends only once every transport has ticked.
   */
  async function rounds(order: string[], seed: number): Promise<Log> {
    const ids = ['a', 'b', 'c'];
    const group = createLocalTransportGroup(ids, {
      latency: 20,
      jitter: 15,
      packetLoss: 0.2,
      duplication: 0.2,
      reorder: 0.2,
      seed,
    });
    const t = (id: string) => group.get(id)!;
    await t('a').connect('b');
    await t('a').connect('c');
    await t('b').connect('c');
    const log: Log = [];
    const outbox: [string, string, Uint8Array][] = [];
    for (const id of ids) {
      t(id).onMessage = (from, data) => {
        log.push(`${id}<${from} [${data.join(',')}] at ${t(id).now}`);
        if (data[0] === 0) outbox.push([id, from, new Uint8Array([1, data[1]!])]);
      };
    }
    for (let frame = 0; frame < 12; frame++) {
      for (const id of ids) t(id).broadcast(new Uint8Array([0, frame]), frame % 2 === 0);
      for (const id of order) t(id).tick(16);
      for (const [id, to, reply] of outbox.splice(0)) t(id).send(to, reply, true);
    }
    for (const id of order) t(id).tick(1000);
    return log.sort();
  }

  /** a echoes what b sends, from inside onMessage; b sends once, at time 0 (latency 10). */
  async function echo(order: 'ab' | 'ba', replyAfterRound: boolean): Promise<number[]> {
    const group = createLocalTransportGroup(['a', 'b'], { latency: 10 });
    const a = group.get('a')!;
    const b = group.get('b')!;
    await a.connect('b');
    const arrivals: number[] = [];
    const outbox: Uint8Array[] = [];
    a.onMessage = (_from, data) => {
      if (replyAfterRound) outbox.push(data);
      else a.send('b', data, true);
    };
    b.onMessage = () => arrivals.push(b.now);
    b.send('a', new Uint8Array([1]), true);
    for (let frame = 0; frame < 4; frame++) {
      if (order === 'ab') {
        a.tick(16);
        b.tick(16);
      } else {
        b.tick(16);
        a.tick(16);
      }
      for (const data of outbox.splice(0)) a.send('b', data, true);
    }
    return arrivals;
  }

  it('changes nothing when every send happens while all clocks are equal', async () => {
    for (const seed of [1, 2, 3]) {
      const abc = await rounds(['a', 'b', 'c'], seed);
      expect(abc.length, `seed ${seed}`).toBeGreaterThan(50);
      expect(await rounds(['c', 'b', 'a'], seed), `seed ${seed}`).toEqual(abc);
      expect(await rounds(['b', 'a', 'c'], seed), `seed ${seed}`).toEqual(abc);
    }
  });

  it('moves a reply sent inside onMessage by up to one tick, as the README says', async () => {
    // delivered to a at 10; the reply is stamped with b's clock when a sends it: 0 if b has
    // not ticked yet this frame (arrives at 10), 16 if it has (arrives at 26)
    expect(await echo('ab', false)).toEqual([10]);
    expect(await echo('ba', false)).toEqual([26]);
    // queued and sent after the round, it arrives at 26 either way
    expect(await echo('ab', true)).toEqual([26]);
    expect(await echo('ba', true)).toEqual([26]);
  });
});
