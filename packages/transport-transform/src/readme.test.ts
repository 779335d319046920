import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { TransformingTransport } from './transforming-transport';

describe('README example', () => {
  it('delivers a 60000-byte incompressible state in 4 segments', async () => {
    const group = createLocalTransportGroup(['a', 'b']);
    const a = new TransformingTransport(group.get('a')!);
    const b = new TransformingTransport(group.get('b')!);
    const got: number[] = [];
    b.onMessage = (_from, bytes) => got.push(bytes.byteLength);
    await a.connect('b');
    const state = crypto.getRandomValues(new Uint8Array(60_000));
    a.send('b', state, true);
    group.get('b')!.flush();
    expect(got).toEqual([60_000]);
    expect(group.get('a')!.getLinkStats('b')!.messagesSent).toBe(4);
  });
});
