import { describe, expect, it } from 'vitest';
import { TraceNetwork, packetFate } from './trace-network';

const LOSSY = { latency: 50, jitter: 5, packetLoss: 0.3 };

describe('TraceNetwork', () => {
  it('puts one packet per connected peer on the wire for a broadcast, counted once', async () => {
    const network = new TraceNetwork(1, ['a', 'b', 'c']);
    const [a] = network.transports;
    await a!.connect('b');
    await a!.connect('c');
    const received: string[] = [];
    for (const t of network.transports) t.onMessage = () => received.push(t.localPeerId);
    a!.broadcast(new Uint8Array(10), false);
    a!.send('b', new Uint8Array(5), false);
    network.advance(1);
    expect(network.wire[0]).toEqual({ messages: 3, bytes: 25, lost: 0, delivered: 3 });
    expect(received.sort()).toEqual(['b', 'b', 'c']);
  });

  it('gives a packet the same fate for the same seed, link, millisecond and position', () => {
    const fates = (seed: number) =>
      Array.from({ length: 200 }, (_, ms) => packetFate(seed, 0, 1, ms, 0, LOSSY, false));
    expect(fates(7)).toEqual(fates(7));
    expect(fates(7)).not.toEqual(fates(8));
    const lost = fates(7).filter((f) => f === null).length;
    expect(lost).toBeGreaterThan(30);
    expect(lost).toBeLessThan(90);
  });

  it('never loses a reliable packet', () => {
    for (let ms = 0; ms < 500; ms++) {
      expect(packetFate(3, 1, 0, ms, 0, LOSSY, true)).not.toBeNull();
    }
  });
});
