import { describe, expect, it } from 'vitest';
import { createLocalTransportGroup } from './create-local-transport-group';

describe('README example', () => {
  it('delivers the client message to the host during the 4th 16 ms frame', async () => {
    const transports = createLocalTransportGroup(['host', 'client'], {
      latency: 50,
      jitter: 10,
      packetLoss: 0.01,
      seed: 42,
    });
    const t1 = transports.get('host')!;
    const t2 = transports.get('client')!;
    const log: string[] = [];
    t1.onMessage = (from, bytes) => log.push(`${t1.now}: ${bytes.byteLength} bytes from ${from}`);
    await t2.connect('host');
    t2.send('host', new Uint8Array([1, 2, 3]), true);
    for (let frame = 0; frame < 4; frame++) {
      t1.tick(16);
      t2.tick(16);
      if (frame < 2) expect(log).toEqual([]);
    }
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/bytes from client$/);
    expect(t2.getLinkStats('host')).toMatchObject({ messagesSent: 1, messagesDelivered: 1 });
  });
});
