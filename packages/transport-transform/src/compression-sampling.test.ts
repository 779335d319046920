import * as pako from 'pako';
import { describe, expect, it, vi } from 'vitest';
import { TransformingTransport } from './transforming-transport';
import type { TransportAdapter } from '@rbn/protocol';

vi.mock('pako', async (importOriginal) => {
  const actual = await importOriginal<typeof pako>();
  return { ...actual, deflate: vi.fn(actual.deflate) };
});

function sink(): TransportAdapter {
  return {
    onMessage: null,
    onConnect: null,
    onDisconnect: null,
    connectedPeers: new Set(['b']),
    localPeerId: 'a',
    connect: () => Promise.resolve(),
    disconnect: () => undefined,
    disconnectAll: () => undefined,
    send: () => undefined,
    broadcast: () => undefined,
  };
}

function noise(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 77;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('TransformingTransport auto compression sampling', () => {
  it('deflates only a 12 KiB sample of a large incompressible message', () => {
    const deflate = vi.mocked(pako.deflate);
    deflate.mockClear();
    new TransformingTransport(sink()).send('b', noise(1 << 20), true);
    expect(deflate).toHaveBeenCalledTimes(1);
    expect((deflate.mock.calls[0]![0] as Uint8Array).byteLength).toBe(12 * 1024);
  });

  it('deflates a large compressible message whole after the sample', () => {
    const deflate = vi.mocked(pako.deflate);
    deflate.mockClear();
    new TransformingTransport(sink()).send('b', new Uint8Array(1 << 20), true);
    expect(deflate.mock.calls.map((c) => (c[0] as Uint8Array).byteLength)).toEqual([
      12 * 1024,
      1 << 20,
    ]);
  });

  it('never samples in always mode', () => {
    const deflate = vi.mocked(pako.deflate);
    deflate.mockClear();
    new TransformingTransport(sink(), { compression: 'always' }).send('b', noise(1 << 20), true);
    expect(deflate.mock.calls.map((c) => (c[0] as Uint8Array).byteLength)).toEqual([1 << 20]);
  });
});
