import { RbnError } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { TransformingTransport } from './transforming-transport';
import type { TransformingTransportConfig } from './transforming-transport';

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('TransformingTransport caller misuse', () => {
  it.each([
    ['reassemblyTimeout', Number.POSITIVE_INFINITY],
    ['reassemblyTimeout', Number.NaN],
    ['reassemblyTimeout', '5000'],
    ['reassemblyTimeout', -1],
    ['compressionThreshold', Number.NaN],
    ['compressionThreshold', Number.POSITIVE_INFINITY],
    ['compressionLevel', 10],
    ['maxSegmentSize', 1.5],
    ['maxSegmentSize', Number.POSITIVE_INFINITY],
    ['maxMessageBytes', 0],
    ['maxPartialMessages', Number.NaN],
    ['maxReassemblyBytes', -4],
    ['maxSegments', 1],
    ['inflateBytesPerSecond', 0],
    ['inflateBytesPerSecond', 1.5],
    ['segmentation', 'yes'],
    ['now', 5],
    ['onError', 'log'],
  ] as const)('rejects %s = %s with INVALID_CONFIG naming the field', (field, value) => {
    const inner = createLocalTransportGroup(['a']).get('a')!;
    const config = { [field]: value } as unknown as TransformingTransportConfig;
    const error = thrownBy(() => new TransformingTransport(inner, config));
    expect(error).toBeInstanceOf(RbnError);
    expect((error as RbnError).code).toBe('INVALID_CONFIG');
    expect((error as RbnError).message).toContain(field);
  });

  it.each([null, 'fast', 3])('rejects a config that is not an object (%s)', (config) => {
    const inner = createLocalTransportGroup(['a']).get('a')!;
    const error = thrownBy(() => new TransformingTransport(inner, config as never));
    expect(error).toBeInstanceOf(RbnError);
    expect((error as RbnError).code).toBe('INVALID_CONFIG');
  });

  it('rejects a message that is not a Uint8Array, sending nothing, and keeps working', async () => {
    const group = createLocalTransportGroup(['a', 'b']);
    const a = new TransformingTransport(group.get('a')!);
    const b = new TransformingTransport(group.get('b')!);
    const received: number[][] = [];
    b.onMessage = (_from, message) => received.push([...message]);
    await a.connect('b');
    // Each error names the method and the value (described as @rbn/protocol's describeValue does).
    const misuse: [() => unknown, string][] = [
      [
        () => a.send('b', [1, 2, 3] as unknown as Uint8Array, true),
        'TransformingTransport.send: message must be a Uint8Array (got array(3))',
      ],
      [
        () => a.send('b', 'abc' as unknown as Uint8Array, false),
        'TransformingTransport.send: message must be a Uint8Array (got "abc")',
      ],
      [
        () => a.broadcast(undefined as unknown as Uint8Array, true),
        'TransformingTransport.broadcast: message must be a Uint8Array (got undefined)',
      ],
    ];
    for (const [call, message] of misuse) {
      const error = thrownBy(call);
      expect(error, String(call)).toBeInstanceOf(RbnError);
      expect((error as RbnError).code).toBe('INVALID_ARGUMENT');
      expect((error as RbnError).message).toBe(message);
    }
    expect(group.get('a')!.getLinkStats('b')!.messagesSent).toBe(0);
    a.send('b', new Uint8Array([4, 5]), true);
    group.get('b')!.flush();
    expect(received).toEqual([[4, 5]]);
  });
});
