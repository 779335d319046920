import type { TransportAdapter } from '@rbn/protocol';
import { createLocalTransportGroup } from '@rbn/transport-local';
import type { LocalTransport } from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import { deflateBomb } from './internal/deflate-bomb';
import { TransformingTransport } from './transforming-transport';
import type { TransformError, TransformingTransportConfig } from './transforming-transport';

/** A transport that records what is sent and lets the test inject frames as if received. */
class CaptureTransport implements TransportAdapter {
  onMessage: ((peerId: string, message: Uint8Array) => void) | null = null;
  onConnect: ((peerId: string) => void) | null = null;
  onDisconnect: ((peerId: string) => void) | null = null;
  readonly connectedPeers = new Set<string>();
  readonly sent: { peerId: string; frame: Uint8Array; reliable: boolean }[] = [];

  constructor(readonly localPeerId: string) {}

  connect(peerId: string): Promise<void> {
    this.connectedPeers.add(peerId);
    this.onConnect?.(peerId);
    return Promise.resolve();
  }
  disconnect(peerId: string): void {
    if (this.connectedPeers.delete(peerId)) this.onDisconnect?.(peerId);
  }
  disconnectAll(): void {
    for (const peerId of [...this.connectedPeers]) this.disconnect(peerId);
  }
  send(peerId: string, message: Uint8Array, reliable: boolean): void {
    if (this.connectedPeers.has(peerId))
      this.sent.push({ peerId, frame: message.slice(), reliable });
  }
  broadcast(message: Uint8Array, reliable: boolean): void {
    for (const peerId of this.connectedPeers) this.send(peerId, message, reliable);
  }
  inject(peerId: string, frame: Uint8Array): void {
    this.onMessage?.(peerId, frame);
  }
}

/** Seeded xorshift32 bytes. */
function randomBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Compressible bytes: runs of repeated values. */
function compressible(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i >> 6) & 0x0f;
  return out;
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function localPair(config: TransformingTransportConfig = {}) {
  const group = createLocalTransportGroup(['a', 'b']);
  const innerA = group.get('a')!;
  const innerB = group.get('b')!;
  const errors: TransformError[] = [];
  const a = new TransformingTransport(innerA, config);
  const b = new TransformingTransport(innerB, { ...config, onError: (e) => errors.push(e) });
  const received: Uint8Array[] = [];
  b.onMessage = (_from, message) => received.push(message);
  await a.connect('b');
  return { a, b, innerA, innerB, received, errors };
}

/** Sends one message a → b over LocalTransport; returns what arrived and the frames used. */
async function roundTrip(message: Uint8Array, config: TransformingTransportConfig = {}) {
  const { a, innerA, innerB, received, errors } = await localPair(config);
  a.send('b', message, true);
  innerB.flush();
  const stats = innerA.getLinkStats('b')!;
  return { received, errors, frames: stats.messagesSent, wireBytes: stats.bytesSent };
}

/** Splits a message into the frames a sender would emit. */
async function framesOf(message: Uint8Array, config: TransformingTransportConfig = {}) {
  const inner = new CaptureTransport('sender');
  const sender = new TransformingTransport(inner, config);
  await sender.connect('rx');
  sender.send('rx', message, true);
  return inner.sent.map((s) => s.frame);
}

async function receiver(config: TransformingTransportConfig = {}, peers = ['p1']) {
  const inner = new CaptureTransport('rx');
  const errors: TransformError[] = [];
  const rx = new TransformingTransport(inner, { ...config, onError: (e) => errors.push(e) });
  const received: { from: string; message: Uint8Array }[] = [];
  rx.onMessage = (from, message) => received.push({ from, message });
  for (const peer of peers) await rx.connect(peer);
  return { inner, rx, errors, received };
}

function segment(id: number, index: number, total: number, payload: number[] = [0]): Uint8Array {
  return new Uint8Array([
    0x02,
    id >>> 24,
    (id >>> 16) & 0xff,
    (id >>> 8) & 0xff,
    id & 0xff,
    index >> 8,
    index & 0xff,
    total >> 8,
    total & 0xff,
    ...payload,
  ]);
}

/** What reassembly charges for held segments of these payload sizes, of a message of `total`. */
function charged(payloads: number[], total: number): number {
  return payloads.reduce((sum, bytes) => sum + bytes + 256, total * 8);
}

describe('TransformingTransport', () => {
  it('sends a small message raw with a single 0x00 header byte', async () => {
    const message = new Uint8Array([1, 2, 3]);
    const { received, frames, wireBytes } = await roundTrip(message);
    expect(received.map((m) => [...m])).toEqual([[1, 2, 3]]);
    expect(frames).toBe(1);
    expect(wireBytes).toBe(4);
    const [frame] = await framesOf(message);
    expect([...frame!]).toEqual([0x00, 1, 2, 3]);
  });

  it('carries an empty message', async () => {
    const { received } = await roundTrip(new Uint8Array(0), { compression: 'always' });
    expect(received.map((m) => m.byteLength)).toEqual([0]);
  });

  it('does not compress a message of exactly compressionThreshold bytes in auto mode', async () => {
    const message = new Uint8Array(128);
    const { received, wireBytes } = await roundTrip(message);
    expect(wireBytes).toBe(129);
    expect(equalBytes(received[0], message)).toBe(true);
  });

  it('compresses a compressible message one byte above the threshold, with header 0x01', async () => {
    const message = new Uint8Array(129);
    const { received, wireBytes } = await roundTrip(message);
    expect(wireBytes).toBeLessThan(40);
    expect(equalBytes(received[0], message)).toBe(true);
    const [frame] = await framesOf(message);
    expect(frame![0]).toBe(0x01);
  });

  it('sends incompressible data raw in auto mode, compressed in always mode, raw in never mode', async () => {
    const message = randomBytes(1000, 3);
    const auto = await roundTrip(message);
    expect(auto.wireBytes).toBe(1001);
    const always = await roundTrip(message, { compression: 'always' });
    expect(always.wireBytes).toBeGreaterThan(1001);
    expect(equalBytes(always.received[0], message)).toBe(true);
    const never = await roundTrip(new Uint8Array(5000), { compression: 'never' });
    expect(never.wireBytes).toBe(5001);
  });

  it('sends a large incompressible message raw but compresses one with a compressible body', async () => {
    const noise = await roundTrip(randomBytes(200_000, 8));
    expect(noise.wireBytes).toBe(200_001 + Math.ceil(200_001 / 15_991) * 9);
    // random first 4 KiB, compressible rest: the samples still shrink
    const mixed = compressible(200_000);
    mixed.set(randomBytes(4096, 9));
    const packed = await roundTrip(mixed);
    expect(packed.wireBytes).toBeLessThan(50_000);
    expect(equalBytes(packed.received[0], mixed)).toBe(true);
  });

  it('sends a frame of exactly maxSegmentSize whole, and one byte more as two segments', async () => {
    const config = { compression: 'never', maxSegmentSize: 1000 } as const;
    const fits = randomBytes(999, 5);
    const exact = await roundTrip(fits, config);
    expect(exact.frames).toBe(1);
    expect(equalBytes(exact.received[0], fits)).toBe(true);
    const over = randomBytes(1000, 6);
    const split = await roundTrip(over, config);
    expect(split.frames).toBe(2);
    expect(equalBytes(split.received[0], over)).toBe(true);
    for (const frame of await framesOf(over, config)) {
      expect(frame.byteLength).toBeLessThanOrEqual(1000);
    }
  });

  it('round-trips a 10 MB message, incompressible and compressible', async () => {
    const noise = randomBytes(10 * 1024 * 1024, 7);
    const raw = await roundTrip(noise);
    expect(raw.frames).toBe(Math.ceil((noise.byteLength + 1) / (16000 - 9)));
    expect(equalBytes(raw.received[0], noise)).toBe(true);
    const state = compressible(10 * 1024 * 1024);
    const packed = await roundTrip(state);
    expect(packed.wireBytes).toBeLessThan(state.byteLength / 10);
    expect(equalBytes(packed.received[0], state)).toBe(true);
    expect(raw.errors).toEqual([]);
  });

  it('lets the sender reuse its buffer, also when segmenting', async () => {
    const { a, innerB, received } = await localPair({ maxSegmentSize: 100, compression: 'never' });
    const buffer = randomBytes(450, 9);
    const copy = buffer.slice();
    a.send('b', buffer, true);
    buffer.fill(0);
    innerB.flush();
    expect(equalBytes(received[0], copy)).toBe(true);
  });

  it('reassembles segments that arrive out of order and duplicated, reporting the duplicates', async () => {
    const seed = 21;
    const message = randomBytes(5000, seed);
    const frames = await framesOf(message, { maxSegmentSize: 500, compression: 'never' });
    expect(frames.length).toBeGreaterThan(10);
    const { inner, errors, received } = await receiver();
    const order = [...frames.keys()].reverse();
    inner.inject('p1', frames[order[0]!]!);
    for (const i of order) {
      inner.inject('p1', frames[i]!);
      if (i % 3 === 0) inner.inject('p1', frames[i]!);
    }
    expect(received).toHaveLength(1);
    expect(equalBytes(received[0]!.message, message), `seed ${seed}`).toBe(true);
    expect(errors.every((e) => e.code === 'duplicate-segment')).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('reports a late duplicate of a completed message instead of starting a new one', async () => {
    const frames = await framesOf(randomBytes(300, 1), { maxSegmentSize: 100 });
    const { inner, rx, errors, received } = await receiver();
    for (const f of frames) inner.inject('p1', f);
    inner.inject('p1', frames[0]!);
    expect(received).toHaveLength(1);
    expect(errors.map((e) => e.code)).toEqual(['duplicate-segment']);
    expect(rx.getReassemblyStats().partialMessages).toBe(0);
  });

  it('keeps interleaved segmented messages from several peers apart (same message ids)', async () => {
    const peers = ['p1', 'p2', 'p3'];
    const messages = peers.map((_, i) => randomBytes(3000 + i * 100, 30 + i));
    const config = { maxSegmentSize: 256, compression: 'never' } as const;
    const frames = await Promise.all(messages.map((m) => framesOf(m, config)));
    const { inner, received, errors } = await receiver(config, peers);
    const longest = Math.max(...frames.map((f) => f.length));
    for (let i = 0; i < longest; i++) {
      peers.forEach((peer, p) => {
        const frame = frames[p]![i];
        if (frame !== undefined) inner.inject(peer, frame);
      });
    }
    expect(errors).toEqual([]);
    expect(received.map((r) => r.from).sort()).toEqual(peers);
    for (const { from, message } of received) {
      expect(equalBytes(message, messages[peers.indexOf(from)]!)).toBe(true);
    }
  });

  it('drops an unreliable message that would need segmenting and reports it', async () => {
    const errors: TransformError[] = [];
    const { a, innerB, received } = await localPair({ maxSegmentSize: 100, compression: 'never' });
    a.onError = (e) => errors.push(e);
    a.send('b', new Uint8Array(200), false);
    a.broadcast(new Uint8Array(200), false);
    a.send('b', new Uint8Array(50), false);
    innerB.flush();
    expect(received.map((m) => m.byteLength)).toEqual([50]);
    expect(errors.map((e) => [e.code, e.peerId])).toEqual([
      ['unreliable-too-large', 'b'],
      ['unreliable-too-large', null],
    ]);
  });

  it('throws MESSAGE_TOO_LARGE when a message is larger than maxMessageBytes', async () => {
    const { a } = await localPair({ maxMessageBytes: 1000 });
    expect(() => a.send('b', new Uint8Array(1001), true)).toThrow(/larger than maxMessageBytes/);
  });

  it('drops malformed frames and reports each with a reason', async () => {
    const { inner, errors, received, rx } = await receiver({ maxSegments: 100 });
    inner.inject('p1', new Uint8Array(0));
    inner.inject('p1', new Uint8Array([0x07, 1, 2]));
    inner.inject('p1', segment(1, 0, 2, []));
    inner.inject('p1', segment(1, 0, 1));
    inner.inject('p1', segment(1, 5, 5));
    inner.inject('p1', segment(1, 0, 101));
    inner.inject('p1', segment(2, 0, 3));
    inner.inject('p1', segment(2, 1, 4));
    inner.inject('p1', new Uint8Array([0x01, 0xde, 0xad, 0xbe, 0xef]));
    expect(errors.map((e) => e.code)).toEqual([
      'malformed-header',
      'malformed-header',
      'malformed-header',
      'malformed-header',
      'bad-segment-index',
      'too-many-segments',
      'segment-total-mismatch',
      'inflate-failed',
    ]);
    expect(errors.every((e) => e.peerId === 'p1')).toBe(true);
    expect(received).toEqual([]);
    expect(rx.getReassemblyStats('p1')).toEqual({
      partialMessages: 1,
      bufferedBytes: charged([1], 3),
    });
  });

  it('rejects a reassembled frame that is itself a segment or has an unknown kind', async () => {
    const { inner, errors, received } = await receiver();
    inner.inject('p1', segment(1, 0, 2, [0x02]));
    inner.inject('p1', segment(1, 1, 2, [1, 2, 3]));
    inner.inject('p1', segment(2, 0, 2, [0x09]));
    inner.inject('p1', segment(2, 1, 2, [1]));
    expect(received).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['malformed-header', 'malformed-header']);
  });

  it('bounds concurrent partial messages per peer', async () => {
    const { inner, errors, rx } = await receiver({ maxPartialMessages: 3 }, ['p1', 'p2']);
    for (let id = 0; id < 10; id++) inner.inject('p1', segment(id, 0, 2));
    inner.inject('p2', segment(0, 0, 2));
    expect(rx.getReassemblyStats('p1').partialMessages).toBe(3);
    expect(rx.getReassemblyStats('p2').partialMessages).toBe(1);
    expect(errors.filter((e) => e.code === 'too-many-partial-messages')).toHaveLength(7);
  });

  it('bounds the bytes of a reassembled message and of a peer in total', async () => {
    // a frame may reach 1000 + 0.1% + 64 = 1065 bytes; each 600-byte first segment costs 880
    const big = { maxMessageBytes: 1000, maxReassemblyBytes: 3000 };
    const { inner, errors, rx } = await receiver(big);
    const chunk = [...new Uint8Array(600)];
    inner.inject('p1', segment(1, 0, 3, chunk));
    inner.inject('p1', segment(1, 1, 3, chunk));
    expect(errors.map((e) => e.code)).toEqual(['message-too-large']);
    expect(errors[0]!.detail).toMatch(/message 1 grows past 1065 bytes/);
    expect(rx.getReassemblyStats()).toEqual({ partialMessages: 0, bufferedBytes: 0 });
    for (const id of [2, 3, 4, 5]) inner.inject('p1', segment(id, 0, 3, chunk));
    expect(errors.map((e) => e.code)).toEqual(['message-too-large', 'message-too-large']);
    expect(errors[1]!.detail).toMatch(/past maxReassemblyBytes \(3000\); message 5 discarded/);
    expect(rx.getReassemblyStats()).toEqual({
      partialMessages: 3,
      bufferedBytes: 3 * charged([600], 3),
    });
  });

  it('rejects a raw frame larger than maxMessageBytes on receipt, whole or reassembled', async () => {
    const { inner, errors, received } = await receiver({ maxMessageBytes: 1000 });
    inner.inject('p1', new Uint8Array(1 + 1001));
    // 1002 frame bytes pass the reassembly bound (1065) but not the message bound
    inner.inject('p1', segment(1, 0, 2, [0x00, ...new Uint8Array(600)]));
    inner.inject('p1', segment(1, 1, 2, [...new Uint8Array(401)]));
    expect(received).toEqual([]);
    expect(errors.map((e) => [e.code, e.detail])).toEqual([
      ['message-too-large', 'message of 1001 bytes is larger than maxMessageBytes (1000)'],
      ['message-too-large', 'message of 1001 bytes is larger than maxMessageBytes (1000)'],
    ]);
    inner.inject('p1', new Uint8Array(1 + 1000));
    expect(received.map((r) => r.message.byteLength)).toEqual([1000]);
  });

  it('rejects a deflate bomb without inflating it', async () => {
    const { inner, errors, received } = await receiver({ maxMessageBytes: 1024 * 1024 });
    const bomb = deflateBomb(130_000); // inflates to 33.5 MB
    const frame = new Uint8Array(1 + bomb.byteLength);
    frame[0] = 0x01;
    frame.set(bomb, 1);
    inner.inject('p1', frame);
    expect(received).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['inflate-too-large']);
    // the same stream below the limit is accepted
    const ok = await receiver({ maxMessageBytes: 40 * 1024 * 1024 });
    ok.inner.inject('p1', frame);
    expect(ok.received[0]?.message.byteLength).toBe(1 + 258 * 130_000);
  });

  it('discards partial messages after reassemblyTimeout on the injected clock', async () => {
    let now = 1000;
    const { inner, errors, rx, received } = await receiver({
      reassemblyTimeout: 5000,
      now: () => now,
    });
    inner.inject('p1', segment(1, 0, 2));
    now += 4999;
    inner.inject('p1', segment(2, 0, 2));
    expect(rx.getReassemblyStats().partialMessages).toBe(2);
    now += 1;
    expect(rx.discardExpired()).toBe(1);
    expect(errors.map((e) => e.code)).toEqual(['reassembly-timeout']);
    inner.inject('p1', segment(1, 1, 2));
    expect(rx.getReassemblyStats().partialMessages).toBe(2);
    now += 5000;
    inner.inject('p1', new Uint8Array([0x00, 42]));
    expect(rx.getReassemblyStats()).toEqual({ partialMessages: 0, bufferedBytes: 0 });
    expect(received.map((r) => [...r.message])).toEqual([[42]]);
  });

  it('frees partial messages of a peer when it disconnects', async () => {
    const { inner, rx } = await receiver({}, ['p1', 'p2']);
    const disconnected: string[] = [];
    rx.onDisconnect = (peer) => {
      disconnected.push(peer);
      expect(rx.getReassemblyStats(peer).partialMessages).toBe(0);
    };
    inner.inject('p1', segment(1, 0, 2));
    inner.inject('p2', segment(1, 0, 2));
    inner.disconnect('p1');
    expect(disconnected).toEqual(['p1']);
    expect(rx.getReassemblyStats()).toEqual({
      partialMessages: 1,
      bufferedBytes: charged([1], 2),
    });
    rx.disconnectAll();
    expect(rx.getReassemblyStats()).toEqual({ partialMessages: 0, bufferedBytes: 0 });
  });

  it('survives seeded fuzzing of segment and compression headers with bounded memory', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      let now = 0;
      const limits = { maxPartialMessages: 4, maxMessageBytes: 64 * 1024, now: () => now };
      const peers = ['p1', 'p2'];
      const { inner, rx, errors } = await receiver(limits, peers);
      const valid = await framesOf(compressible(20_000), { maxSegmentSize: 300 });
      const rng = randomBytes(200_000, seed);
      let r = 0;
      let maxPartials = 0;
      let maxBuffered = 0;
      const next = () => rng[r++ % rng.length]!;
      for (let i = 0; i < 4000; i++) {
        const peer = peers[next() & 1]!;
        let frame: Uint8Array;
        switch (next() % 5) {
          case 0: // random bytes
            frame = randomBytes(next() % 40, seed * 10_000 + i);
            break;
          case 1: // segment header with random fields (small ids and totals so they collide)
            frame = segment(next() % 8, next() % 12, next() % 12, [...randomBytes(next(), i)]);
            break;
          case 2: // compressed kind with random body
            frame = new Uint8Array([0x01, ...randomBytes(next() % 64, i + 7)]);
            break;
          case 3: // a valid frame with one byte flipped
            frame = valid[next() % valid.length]!.slice();
            {
              const at = next() % 9;
              frame[at] = frame[at]! ^ (1 << (next() % 8));
            }
            break;
          default: // a valid frame
            frame = valid[next() % valid.length]!;
        }
        try {
          inner.inject(peer, frame);
        } catch (error) {
          throw new Error(`seed ${seed}, frame ${i}: ${String(error)}`);
        }
        for (const p of peers) {
          const stats = rx.getReassemblyStats(p);
          maxPartials = Math.max(maxPartials, stats.partialMessages);
          maxBuffered = Math.max(maxBuffered, stats.bufferedBytes);
        }
        now += 1;
      }
      expect(maxPartials, `seed ${seed}`).toBeLessThanOrEqual(4);
      expect(maxPartials, `seed ${seed}`).toBeGreaterThan(0);
      // the default maxReassemblyBytes: the largest frame (64 KiB + 66 + 64 bytes), and 264
      // bytes for each of the 5 segments of 16000 bytes it would take
      expect(maxBuffered, `seed ${seed}`).toBeLessThanOrEqual(64 * 1024 + 130 + 5 * 264);
      expect(errors.length, `seed ${seed}`).toBeGreaterThan(100);
      now += 10_000;
      rx.discardExpired();
      expect(rx.getReassemblyStats(), `seed ${seed}`).toEqual({
        partialMessages: 0,
        bufferedBytes: 0,
      });
    }
  });

  it('rejects invalid configuration naming the field', () => {
    const inner = new CaptureTransport('x');
    expect(() => new TransformingTransport(inner, { maxSegmentSize: 10 })).toThrow(
      /maxSegmentSize/,
    );
    expect(() => new TransformingTransport(inner, { compression: 'sometimes' as 'auto' })).toThrow(
      /compression must be/,
    );
    expect(() => new TransformingTransport(inner, { reassemblyTimeout: 0 })).toThrow(
      /reassemblyTimeout/,
    );
    expect(() => new TransformingTransport(inner, { maxSegments: 70_000 })).toThrow(/maxSegments/);
  });

  it('passes connection events and metrics through from the inner transport', async () => {
    const group = createLocalTransportGroup(['a', 'b']);
    const a = new TransformingTransport(group.get('a')!);
    const events: string[] = [];
    a.onConnect = (p) => events.push(`+${p}`);
    a.onDisconnect = (p) => events.push(`-${p}`);
    await a.connect('b');
    expect(a.connectedPeers.has('b')).toBe(true);
    expect(a.localPeerId).toBe('a');
    expect(a.getConnectionMetrics('b')).not.toBeNull();
    a.disconnect('b');
    expect(events).toEqual(['+b', '-b']);
    (group.get('b') as LocalTransport).disconnectAll();
  });
});

describe('TransformingTransport reassembly memory', () => {
  it('charges every held segment 256 bytes over its payload and 8 bytes per declared segment', async () => {
    const { inner, rx, received } = await receiver();
    inner.inject('p1', segment(1, 0, 10, [0x00, 1, 2, 3, 4]));
    expect(rx.getReassemblyStats('p1')).toEqual({
      partialMessages: 1,
      bufferedBytes: 5 + 256 + 80,
    });
    for (let i = 1; i < 9; i++) inner.inject('p1', segment(1, i, 10, [i]));
    expect(rx.getReassemblyStats('p1').bufferedBytes).toBe(
      charged([5, 1, 1, 1, 1, 1, 1, 1, 1], 10),
    );
    inner.inject('p1', segment(1, 9, 10, [9]));
    expect(received.map((r) => [...r.message])).toEqual([[1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(rx.getReassemblyStats()).toEqual({ partialMessages: 0, bufferedBytes: 0 });
  });

  it('cuts a flood of one-byte segments off at maxReassemblyBytes, leaving other peers alone', async () => {
    const limit = 64 * 1024;
    const { inner, rx, errors, received } = await receiver({ maxReassemblyBytes: limit }, [
      'p1',
      'p2',
    ]);
    inner.inject('p2', segment(1, 0, 2, [0x00, 7]));
    const p2Before = rx.getReassemblyStats('p2');
    let most = 0;
    for (let i = 0; i < 1000; i++) {
      inner.inject('p1', segment(7, i, 1000, [i & 0xff]));
      most = Math.max(most, rx.getReassemblyStats('p1').bufferedBytes);
    }
    // (65536 - 1000 × 8) / 257 = 223 one-byte segments fit, the 224th drops the message
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toEqual({
      code: 'message-too-large',
      peerId: 'p1',
      detail: `incomplete messages of the peer grow past maxReassemblyBytes (${limit}); message 7 discarded`,
    });
    expect(errors.every((e) => e.code === 'message-too-large' && e.peerId === 'p1')).toBe(true);
    expect(most).toBeLessThanOrEqual(limit);
    expect(most).toBe(charged(new Array<number>(223).fill(1), 1000));
    // a segment table larger than the limit is refused before anything is held
    const errorsBefore = errors.length;
    inner.inject('p1', segment(8, 0, 65535, [0]));
    expect(errors.slice(errorsBefore).map((e) => e.code)).toEqual(['message-too-large']);
    expect(rx.getReassemblyStats('p1').partialMessages).toBeLessThanOrEqual(1);
    // the other peer and later messages of the flooding peer are unaffected
    expect(rx.getReassemblyStats('p2')).toEqual(p2Before);
    inner.inject('p2', segment(1, 1, 2, [8]));
    inner.inject('p1', new Uint8Array([0x00, 9]));
    expect(received.map((r) => [r.from, ...r.message])).toEqual([
      ['p2', 7, 8],
      ['p1', 9],
    ]);
  });

  it('with default limits, cuts off 65 534 one-byte segments of one message (about 17 MB held)', async () => {
    const { inner, rx, errors } = await receiver();
    let most = 0;
    for (let i = 0; i < 65534; i++) {
      inner.inject('p1', segment(3, i, 65535, [1]));
      if ((i & 1023) === 0) most = Math.max(most, rx.getReassemblyStats().bufferedBytes);
    }
    // the default room: the largest frame (16 MiB + 64 KiB + 0.1% + 64) and 264 bytes for each
    // of its 1055 segments of 16000 bytes
    const room = 16_842_752 + 16_843 + 64 + 1055 * 264;
    expect(errors.map((e) => e.code)).toEqual(['message-too-large']);
    expect(errors[0]!.detail).toContain(`maxReassemblyBytes (${room})`);
    expect(most).toBeLessThanOrEqual(room);
    expect(rx.getReassemblyStats().bufferedBytes).toBeLessThanOrEqual(room);
  });

  it('by default has room for a maxMessageBytes message in its own smallest segments', async () => {
    const config = {
      maxMessageBytes: 1024 * 1024,
      maxSegmentSize: 64,
      compression: 'never',
    } as const;
    const message = randomBytes(1024 * 1024, 41);
    const frames = await framesOf(message, config);
    expect(frames).toHaveLength(Math.ceil((1024 * 1024 + 1) / 55));
    const { inner, received, errors } = await receiver(config);
    for (const frame of frames) inner.inject('p1', frame);
    expect(errors).toEqual([]);
    expect(received).toHaveLength(1);
    expect(equalBytes(received[0]!.message, message)).toBe(true);
  });
});

describe('TransformingTransport reassemblyTimeout', () => {
  it('restarts with every new segment: a message arriving 1 ms per segment for 150 ms is delivered', async () => {
    let now = 0;
    const config = {
      reassemblyTimeout: 100,
      maxSegmentSize: 64,
      compression: 'never',
      now: () => now,
    } as const;
    const message = randomBytes(150 * 55 - 1, 52);
    const frames = await framesOf(message, config);
    expect(frames).toHaveLength(150);
    const { inner, received, errors } = await receiver(config);
    for (const frame of frames) {
      now += 1;
      inner.inject('p1', frame);
    }
    expect(now).toBeGreaterThan(100);
    expect(errors).toEqual([]);
    expect(received).toHaveLength(1);
    expect(equalBytes(received[0]!.message, message)).toBe(true);
  });

  it('discards a message once no new segment came for the timeout; duplicates do not count', async () => {
    let now = 0;
    const { inner, rx, errors } = await receiver({ reassemblyTimeout: 100, now: () => now });
    inner.inject('p1', segment(1, 0, 3));
    now = 60;
    inner.inject('p1', segment(1, 1, 3));
    now = 150;
    inner.inject('p1', segment(1, 1, 3)); // a duplicate: the timer still runs from 60
    expect(rx.discardExpired()).toBe(0);
    now = 159;
    expect(rx.discardExpired()).toBe(0);
    now = 160;
    expect(rx.discardExpired()).toBe(1);
    expect(errors.map((e) => [e.code, e.detail])).toEqual([
      ['duplicate-segment', 'segment 1 of message 1 again'],
      ['reassembly-timeout', 'message 1 got no new segment for 100 ms (2/3 segments)'],
    ]);
  });

  it('defaults to 5000 ms', async () => {
    let now = 0;
    const { inner, rx, errors } = await receiver({ now: () => now });
    inner.inject('p1', segment(1, 0, 2));
    now = 4999;
    expect(rx.discardExpired()).toBe(0);
    now = 5000;
    expect(rx.discardExpired()).toBe(1);
    expect(errors.map((e) => e.detail)).toEqual([
      'message 1 got no new segment for 5000 ms (1/2 segments)',
    ]);
  });
});

describe('TransformingTransport maxSegmentSize', () => {
  it('defaults to 16000: a 15 999-byte message goes in one frame, a 16 000-byte one in two', async () => {
    const config = { compression: 'never' } as const;
    const fits = await framesOf(randomBytes(15_999, 61), config);
    expect(fits.map((f) => f.byteLength)).toEqual([16_000]);
    const over = await framesOf(randomBytes(16_000, 62), config);
    expect(over.map((f) => f.byteLength)).toEqual([16_000, 9 + 10]);
  });
});
