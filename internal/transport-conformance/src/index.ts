import type { TransportAdapter } from '@rbn/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What the conformance suite needs from one kind of transport. */
export interface ConformanceHarness {
  /** Creates `count` fresh transports that can connect to each other by peer id. */
  create(count: number): Promise<TransportAdapter[]>;
  /** Lets pending deliveries happen (Local: flush/tick; WebRTC: poll until quiet). Called after sends/connects before asserting. */
  settle(): Promise<void>;
  /** Releases everything created; called after each test. */
  cleanup(): Promise<void>;
  /** Largest message the transport carries whole (default 1 MiB); used by the large-message test. */
  maxMessageBytes?: number;
}

type Event =
  | { kind: 'connect'; peer: string }
  | { kind: 'disconnect'; peer: string }
  | { kind: 'message'; peer: string; data: Uint8Array };

/** Records every callback of a transport, in order. */
class Recorder {
  readonly events: Event[] = [];

  constructor(transport: TransportAdapter) {
    transport.onConnect = (peer) => this.events.push({ kind: 'connect', peer });
    transport.onDisconnect = (peer) => this.events.push({ kind: 'disconnect', peer });
    transport.onMessage = (peer, data) => this.events.push({ kind: 'message', peer, data });
  }

  messages(from?: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const e of this.events) {
      if (e.kind === 'message' && (from === undefined || e.peer === from)) out.push(e.data);
    }
    return out;
  }

  count(kind: Event['kind'], peer: string): number {
    return this.events.filter((e) => e.kind === kind && e.peer === peer).length;
  }
}

/** How many times {@link describeTransportConformance}'s `settleUntil` settles at the most. */
const MAX_SETTLES = 10;

/** A deterministic pattern of `size` bytes (varies with `salt`). */
function pattern(size: number, salt: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (salt * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** @returns What `call` threw, or `undefined`. */
function thrownBy(call: () => void): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** @returns The first index where the arrays differ, or -1 when they are equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.byteLength === b.byteLength ? -1 : n;
}

/**
 * Registers the transport conformance suite: the behaviour every `TransportAdapter` must have
 * (connect/disconnect events on both sides, `connectedPeers`, reliable in-order delivery,
 * unreliable delivery on a perfect link, broadcast, empty and large messages, buffer reuse,
 * `send`/`broadcast` of something that is not a `Uint8Array` throwing an `INVALID_ARGUMENT`
 * error whatever the peer, sends to unknown peers, `disconnectAll` cleanup).
 * @param name - The transport's name, used as the `describe` title.
 * @param makeHarness - Creates a fresh harness for each test.
 * @example
 * ```ts
 * describeTransportConformance('LocalTransport', () => {
 *   let group: LocalTransport[] = [];
 *   return {
 *     async create(count) { group = [...createLocalTransportGroup(ids(count)).values()]; return group; },
 *     async settle() { for (const t of group) t.flush(); },
 *     async cleanup() { for (const t of group) t.disconnectAll(); },
 *   };
 * });
 * ```
 */
export function describeTransportConformance(
  name: string,
  makeHarness: () => ConformanceHarness,
): void {
  describe(`${name} (transport conformance)`, () => {
    let harness: ConformanceHarness;

    beforeEach(() => {
      harness = makeHarness();
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    /**
     * Settles until `arrived` holds, at most {@link MAX_SETTLES} times: a quiet spell can come
     * before a large message is through (a loaded machine delivers it in pieces, late).
     */
    async function settleUntil(arrived: () => boolean): Promise<void> {
      for (let i = 0; i < MAX_SETTLES && !arrived(); i++) await harness.settle();
    }

    async function connected(count: number) {
      const transports = await harness.create(count);
      const recorders = transports.map((t) => new Recorder(t));
      const [first, ...rest] = transports;
      if (first === undefined) throw new Error('harness.create returned no transports');
      for (const other of rest) await other.connect(first.localPeerId);
      await harness.settle();
      for (let i = 1; i < rest.length; i++) {
        for (let j = 0; j < i; j++) {
          await rest[i]!.connect(rest[j]!.localPeerId);
        }
      }
      await harness.settle();
      return { transports, recorders };
    }

    it('gives every transport a distinct localPeerId and no connections at first', async () => {
      const transports = await harness.create(3);
      expect(new Set(transports.map((t) => t.localPeerId)).size).toBe(3);
      for (const t of transports) expect(t.connectedPeers.size).toBe(0);
    });

    it('fires onConnect once on both sides and lists the peers in connectedPeers', async () => {
      const [a, b] = await harness.create(2);
      const ra = new Recorder(a!);
      const rb = new Recorder(b!);
      await a!.connect(b!.localPeerId);
      await harness.settle();
      expect(ra.count('connect', b!.localPeerId)).toBe(1);
      expect(rb.count('connect', a!.localPeerId)).toBe(1);
      expect([...a!.connectedPeers]).toEqual([b!.localPeerId]);
      expect([...b!.connectedPeers]).toEqual([a!.localPeerId]);
    });

    it('fires onDisconnect once on both sides and removes the peers from connectedPeers', async () => {
      const {
        transports: [a, b],
        recorders: [ra, rb],
      } = await connected(2);
      a!.disconnect(b!.localPeerId);
      await harness.settle();
      expect(ra!.count('disconnect', b!.localPeerId)).toBe(1);
      expect(rb!.count('disconnect', a!.localPeerId)).toBe(1);
      expect(a!.connectedPeers.size).toBe(0);
      expect(b!.connectedPeers.size).toBe(0);
    });

    it('does nothing when disconnecting a peer that is not connected', async () => {
      const [a] = await harness.create(2);
      const ra = new Recorder(a!);
      expect(() => a!.disconnect('no-such-peer')).not.toThrow();
      await harness.settle();
      expect(ra.events).toEqual([]);
    });

    it('delivers reliable messages exactly once and in order, both ways', async () => {
      const {
        transports: [a, b],
        recorders: [ra, rb],
      } = await connected(2);
      for (let i = 0; i < 200; i++) {
        a!.send(b!.localPeerId, new Uint8Array([i, i >> 8, 1]), true);
        b!.send(a!.localPeerId, new Uint8Array([i, i >> 8, 2]), true);
      }
      await harness.settle();
      const atB = rb!.messages(a!.localPeerId).map((m) => m[0]! | (m[1]! << 8));
      const atA = ra!.messages(b!.localPeerId).map((m) => m[0]! | (m[1]! << 8));
      expect(atB).toEqual([...Array(200).keys()]);
      expect(atA).toEqual([...Array(200).keys()]);
    });

    it('delivers unreliable messages on a perfect link', async () => {
      const {
        transports: [a, b],
        recorders: [, rb],
      } = await connected(2);
      for (let i = 0; i < 20; i++) a!.send(b!.localPeerId, new Uint8Array([i]), false);
      await harness.settle();
      const got = rb!.messages(a!.localPeerId).map((m) => m[0]!);
      expect(new Set(got)).toEqual(new Set([...Array(20).keys()]));
    });

    it('broadcasts to every connected peer and not to itself', async () => {
      const { transports, recorders } = await connected(4);
      const [a] = transports;
      a!.broadcast(new Uint8Array([42]), true);
      a!.broadcast(new Uint8Array([43]), false);
      await harness.settle();
      expect(recorders[0]!.messages()).toEqual([]);
      for (let i = 1; i < 4; i++) {
        const got = recorders[i]!.messages(a!.localPeerId).map((m) => [...m]);
        expect(got, `peer ${i}`).toContainEqual([42]);
        expect(got, `peer ${i}`).toContainEqual([43]);
      }
    });

    it('carries empty messages', async () => {
      const {
        transports: [a, b],
        recorders: [, rb],
      } = await connected(2);
      a!.send(b!.localPeerId, new Uint8Array(0), true);
      a!.send(b!.localPeerId, new Uint8Array([1]), true);
      await harness.settle();
      expect(rb!.messages(a!.localPeerId).map((m) => m.byteLength)).toEqual([0, 1]);
    });

    it('carries a large message whole on the reliable channel', async () => {
      const size = harness.maxMessageBytes ?? 1024 * 1024;
      const {
        transports: [a, b],
        recorders: [, rb],
      } = await connected(2);
      const big = pattern(size, 7);
      a!.send(b!.localPeerId, big, true);
      await settleUntil(() => rb!.messages(a!.localPeerId).length > 0);
      const got = rb!.messages(a!.localPeerId);
      expect(got).toHaveLength(1);
      expect(got[0]!.byteLength).toBe(size);
      expect(firstDifference(got[0]!, big)).toBe(-1);
    });

    it('lets the sender reuse its buffer right after send and broadcast', async () => {
      const {
        transports: [a, b],
        recorders: [, rb],
      } = await connected(2);
      const buffer = new Uint8Array([1, 2, 3, 4]);
      a!.send(b!.localPeerId, buffer, true);
      buffer.fill(0xee);
      a!.broadcast(buffer, true);
      buffer.fill(0x11);
      await harness.settle();
      expect(rb!.messages(a!.localPeerId).map((m) => [...m])).toEqual([
        [1, 2, 3, 4],
        [0xee, 0xee, 0xee, 0xee],
      ]);
    });

    it('rejects a message that is not a Uint8Array with INVALID_ARGUMENT, sending nothing', async () => {
      const {
        transports: [a, b],
        recorders: [, rb],
      } = await connected(2);
      const to = b!.localPeerId;
      const notBytes: unknown[] = [
        [1, 2, 3],
        'abc',
        null,
        undefined,
        42,
        { byteLength: 1, 0: 1 },
        new ArrayBuffer(2),
        new DataView(new ArrayBuffer(2)),
        new Uint16Array(2),
      ];
      const calls: [string, (message: Uint8Array) => void][] = [
        ['send reliable', (m) => a!.send(to, m, true)],
        ['send unreliable', (m) => a!.send(to, m, false)],
        ['send to an unknown peer', (m) => a!.send('no-such-peer', m, true)],
        ['broadcast reliable', (m) => a!.broadcast(m, true)],
        ['broadcast unreliable', (m) => a!.broadcast(m, false)],
      ];
      for (const value of notBytes) {
        for (const [what, call] of calls) {
          const error = thrownBy(() => call(value as Uint8Array));
          const label = `${what} of ${Object.prototype.toString.call(value)}`;
          expect(error, label).toBeInstanceOf(Error);
          expect((error as { code?: unknown }).code, label).toBe('INVALID_ARGUMENT');
          expect((error as Error).message, label).toMatch(/message must be a Uint8Array \(got /);
        }
      }
      await harness.settle();
      expect(rb!.messages()).toEqual([]);
      a!.send(to, new Uint8Array([7]), true);
      await harness.settle();
      expect(rb!.messages(a!.localPeerId).map((m) => [...m])).toEqual([[7]]);
      // with no peer connected, the argument is still checked
      a!.disconnectAll();
      await harness.settle();
      for (const [what, call] of calls) {
        const error = thrownBy(() => call('abc' as unknown as Uint8Array));
        expect((error as { code?: unknown } | undefined)?.code, `${what}, alone`).toBe(
          'INVALID_ARGUMENT',
        );
      }
    });

    it('does not throw when sending to an unknown or disconnected peer', async () => {
      const {
        transports: [a, b],
        recorders: [, rb],
      } = await connected(2);
      expect(() => a!.send('no-such-peer', new Uint8Array([1]), true)).not.toThrow();
      expect(() => a!.send('no-such-peer', new Uint8Array([1]), false)).not.toThrow();
      a!.disconnect(b!.localPeerId);
      await harness.settle();
      expect(() => a!.send(b!.localPeerId, new Uint8Array([1]), true)).not.toThrow();
      await harness.settle();
      expect(rb!.messages()).toEqual([]);
    });

    it('disconnectAll closes every connection and stops deliveries', async () => {
      const { transports, recorders } = await connected(3);
      const [a, b, c] = transports;
      b!.send(a!.localPeerId, new Uint8Array([9]), true);
      a!.disconnectAll();
      await harness.settle();
      expect(a!.connectedPeers.size).toBe(0);
      expect(b!.connectedPeers.has(a!.localPeerId)).toBe(false);
      expect(c!.connectedPeers.has(a!.localPeerId)).toBe(false);
      expect(recorders[1]!.count('disconnect', a!.localPeerId)).toBe(1);
      expect(recorders[2]!.count('disconnect', a!.localPeerId)).toBe(1);
      a!.broadcast(new Uint8Array([1]), true);
      b!.send(a!.localPeerId, new Uint8Array([2]), true);
      await harness.settle();
      expect(recorders[0]!.messages()).toEqual([]);
      expect(recorders[1]!.messages(a!.localPeerId)).toEqual([]);
      // the others still talk to each other
      b!.send(c!.localPeerId, new Uint8Array([3]), true);
      await harness.settle();
      expect(recorders[2]!.messages(b!.localPeerId).map((m) => [...m])).toEqual([[3]]);
    });
  });
}
