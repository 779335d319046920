import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RbnError } from '@rbn/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestMesh, recordingSimplePeer, waitFor } from './internal/test-mesh';
import type { TestMesh } from './internal/test-mesh';
import type { WebRTCDisconnectReason } from './signaling';
import type { WebRTCTransportOptions } from './webrtc-transport';
import type { SimplePeerLike, WebRTCImplementation } from './simple-peer-types';
import { WebRTCTransport } from './webrtc-transport';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRTCImplementation;
/** Loopback only: no STUN server, so nothing leaves the machine. */
const rtcConfiguration: RTCConfiguration = { iceServers: [] };
/** …and no default STUN server added to it (see withDefaultStun). */
const defaultStunServer = null;

type CreateDataChannel = (
  this: RTCPeerConnection,
  label: string,
  init?: RTCDataChannelInit,
) => RTCDataChannel;

/** Lets a test see (and adjust) every data channel wrtc creates until `restore()` is called. */
function watchDataChannels(onChannel: (channel: RTCDataChannel) => void): () => void {
  const proto = (wrtc.RTCPeerConnection as { prototype: object }).prototype;
  const original = Reflect.get(proto, 'createDataChannel') as CreateDataChannel;
  Reflect.set(proto, 'createDataChannel', function (
    this: RTCPeerConnection,
    label: string,
    init?: RTCDataChannelInit,
  ) {
    const channel = original.call(this, label, init);
    onChannel(channel);
    return channel;
  } satisfies CreateDataChannel);
  return () => Reflect.set(proto, 'createDataChannel', original);
}

type Got = { from: string; bytes: number[] };

function inbox(transport: WebRTCTransport): Got[] {
  const got: Got[] = [];
  transport.onMessage = (from, message) => {
    expect(message.constructor).toBe(Uint8Array);
    got.push({ from, bytes: [...message] });
  };
  return got;
}

/** Sends an unreliable message until it arrives (loopback loses none in practice). */
async function sendUnreliableUntil(
  from: WebRTCTransport,
  to: string,
  got: Got[],
  bytes: number[],
): Promise<void> {
  const arrived = () =>
    got.some((g) => g.from === from.localPeerId && g.bytes.join() === bytes.join());
  for (let attempt = 0; attempt < 100 && !arrived(); attempt++) {
    from.send(to, new Uint8Array(bytes), false);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(arrived()).toBe(true);
}

/**
 * Makes `channel.bufferedAmount` read `fake()`, or the real value while `fake()` is undefined.
 * @param channel - A data channel of the WebRTC stack.
 * @param fake - The value to report.
 */
function fakeBufferedAmount(channel: RTCDataChannel, fake: () => number | undefined): void {
  const real = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(channel), 'bufferedAmount');
  Object.defineProperty(channel, 'bufferedAmount', {
    get: () => fake() ?? (real?.get?.call(channel) as number),
  });
}

/**
 * Wraps `channel.send` so `before` runs first (it may throw, as a refusing channel does).
 * @param channel - A data channel of the WebRTC stack.
 * @param before - Called with the bytes before the real send.
 */
function wrapSend(channel: RTCDataChannel, before: (data: Uint8Array) => void): void {
  const send = channel.send.bind(channel) as (data: Uint8Array<ArrayBuffer>) => void;
  Object.defineProperty(channel, 'send', {
    value: (data: Uint8Array<ArrayBuffer>) => {
      before(data);
      send(data);
    },
  });
}

/**
 * Connects a new pair a → b, calling `onChannel` for every data channel created meanwhile.
 * @param onChannel - Sees each channel as the stack creates it.
 * @param options - Options of `a`.
 * @returns Both transports and b's inbox, once b has accepted a.
 */
async function connectWatched(
  onChannel: (channel: RTCDataChannel) => void,
  options: WebRTCTransportOptions = {},
) {
  const restore = watchDataChannels(onChannel);
  const a = mesh.add('a', options);
  const b = mesh.add('b');
  try {
    await a.connect('b');
  } finally {
    restore();
  }
  const got = inbox(b);
  await waitFor(() => b.connectedPeers.has('a'), 'b connected');
  return { a, b, got };
}

/** How long a fixture child may take to print a line (tsx and wrtc start slowly under load). */
const FIXTURE_START_CAP_MS = 60_000;
/** Room for three fixture children in a row, each at its start cap plus a 10 s grace. */
const FIXTURE_TEST_TIMEOUT_MS = 3 * (FIXTURE_START_CAP_MS + 10_000) + 10_000;

/** What a fixture child did; `slow` names the child and the cap that killed it, or is empty. */
type FixtureResult = { code: number | null; killed: boolean; out: string; slow: string };

/**
 * Runs a fixture of `./internal` in a child Node process. It has `FIXTURE_START_CAP_MS` to print
 * a line (starting tsx and wrtc is slow on a loaded machine); once it has printed its last line,
 * it has `graceMs` to exit by itself before it is killed. `slow` says which cap killed it, so a
 * failure names the slow child.
 * @param name - The fixture's file name.
 * @param args - Its arguments.
 * @param graceMs - How long it may live after its last line.
 * @returns Its exit code, whether it had to be killed, what it printed, and what was slow.
 */
function runFixture(name: string, args: string[], graceMs: number) {
  const fixture = fileURLToPath(new URL(`./internal/${name}`, import.meta.url));
  const what = [name, ...args].join(' ');
  return new Promise<FixtureResult>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@rbn/source', fixture, ...args],
      { cwd: dirname(fixture), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    let killed = false;
    let slow = '';
    const kill = (why: string) => () => {
      killed = true;
      slow = `${what}: ${why}`;
      child.kill('SIGKILL');
    };
    let timer = setTimeout(
      kill(`printed no complete line within ${FIXTURE_START_CAP_MS} ms`),
      FIXTURE_START_CAP_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.endsWith('\n')) {
        clearTimeout(timer);
        timer = setTimeout(kill(`still alive ${graceMs} ms after its last line`), graceMs);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, out, slow });
    });
  });
}

/**
 * Makes wrtc's `createDataChannel` throw for the unreliable channel, as a stack that refuses it
 * would, until `restore()` is called.
 */
function refuseUnreliableChannels(): () => void {
  const proto = (wrtc.RTCPeerConnection as { prototype: object }).prototype;
  const original = Reflect.get(proto, 'createDataChannel') as CreateDataChannel;
  Reflect.set(proto, 'createDataChannel', function (
    this: RTCPeerConnection,
    label: string,
    init?: RTCDataChannelInit,
  ) {
    if (label === 'rbn-unreliable') throw new TypeError('the stack refuses this channel');
    return original.call(this, label, init);
  } satisfies CreateDataChannel);
  return () => Reflect.set(proto, 'createDataChannel', original);
}

/** The number of peers (connected or connecting) a transport holds state for. */
function heldPeers(transport: WebRTCTransport): number {
  return (transport as unknown as { peers: Map<string, unknown> }).peers.size;
}

let mesh: TestMesh;
afterEach(() => mesh.dispose());

function newMesh(): TestMesh {
  mesh = createTestMesh({ wrtc, rtcConfiguration, defaultStunServer });
  return mesh;
}

describe('WebRTCTransport', () => {
  it('connects two peers, fires onConnect on both sides and carries data on both channels', async () => {
    newMesh();
    const createdA: SimplePeerLike[] = [];
    const a = mesh.add('a', { SimplePeer: recordingSimplePeer(createdA) });
    const b = mesh.add('b');
    const events: string[] = [];
    a.onConnect = (p) => events.push(`a+${p}`);
    b.onConnect = (p) => events.push(`b+${p}`);
    const gotA = inbox(a);
    const gotB = inbox(b);

    await a.connect('b');
    await waitFor(() => b.connectedPeers.has('a'), 'b to accept a');
    expect(events.sort()).toEqual(['a+b', 'b+a']);
    expect([...a.connectedPeers]).toEqual(['b']);

    a.send('b', new Uint8Array([1, 2, 3]), true);
    b.send('a', new Uint8Array([4, 5]), true);
    await sendUnreliableUntil(a, 'b', gotB, [9, 9]);
    await sendUnreliableUntil(b, 'a', gotA, [8]);
    await waitFor(() => gotB.some((g) => g.bytes.join() === '1,2,3'), 'reliable a→b');
    await waitFor(() => gotA.some((g) => g.bytes.join() === '4,5'), 'reliable b→a');

    // The two sends used two different channels, configured as docs/architecture.md says.
    // (stacks cache stats for a few milliseconds, so poll until the counters show the sends).
    const pc = createdA[0]!._pc!;
    const sentPerChannel = async () => {
      const sent = new Map<string, number>();
      (await pc.getStats()).forEach(
        (s: { type: string; label?: string; messagesSent?: number }) => {
          if (s.type === 'data-channel') sent.set(s.label ?? '', s.messagesSent ?? 0);
        },
      );
      return sent;
    };
    let sent = await sentPerChannel();
    for (let i = 0; i < 50 && (sent.get('rbn-reliable') ?? 0) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      sent = await sentPerChannel();
    }
    expect(sent.get('rbn-reliable')).toBe(1);
    expect(sent.get('rbn-unreliable')).toBeGreaterThanOrEqual(1);
    expect(createdA[0]!._channel?.ordered).toBe(true);
  });

  it('connects with signals routed as docs/architecture.md shows (description / candidate handlers)', async () => {
    newMesh();
    mesh.splitHandlers = true;
    const a = mesh.add('a');
    const b = mesh.add('b');
    const got = inbox(b);
    await a.connect('b');
    a.send('b', new Uint8Array([1]), true);
    await waitFor(() => got.length === 1, 'a message');
    const kinds = new Set(mesh.log.map((l) => l.signal.type));
    expect(kinds).toEqual(new Set(['description', 'candidate']));
  });

  it('opens the unreliable channel unordered and without retransmits', async () => {
    newMesh();
    const created: SimplePeerLike[] = [];
    const a = mesh.add('a', { SimplePeer: recordingSimplePeer(created) });
    mesh.add('b');
    const channels: RTCDataChannel[] = [];
    const restore = watchDataChannels((channel) => channels.push(channel));
    try {
      await a.connect('b');
    } finally {
      restore();
    }
    const unreliable = channels.filter((c) => c.label === 'rbn-unreliable');
    expect(unreliable.length).toBe(2); // negotiated: created on both sides
    for (const channel of unreliable) {
      expect(channel.ordered).toBe(false);
      expect(channel.maxRetransmits).toBe(0);
      expect(channel.negotiated).toBe(true);
    }
    expect(created).toHaveLength(1);
  });

  it('connects three peers to each other and delivers every message to the right peer', async () => {
    newMesh();
    const ids = ['p1', 'p2', 'p3'];
    const transports = ids.map((id) => mesh.add(id));
    const inboxes = transports.map(inbox);
    await Promise.all([
      transports[0]!.connect('p2'),
      transports[0]!.connect('p3'),
      transports[1]!.connect('p3'),
    ]);
    await waitFor(() => transports.every((t) => t.connectedPeers.size === 2), 'full mesh');
    transports.forEach((t, i) => t.broadcast(new Uint8Array([i]), true));
    await waitFor(() => inboxes.every((box) => box.length === 2), 'broadcasts');
    inboxes.forEach((box, i) => {
      const expected = ids.map((id, j) => ({ from: id, bytes: [j] })).filter((_, j) => j !== i);
      expect(box.sort((x, y) => x.from.localeCompare(y.from))).toEqual(expected);
    });
  });

  it('resolves glare: both sides connect at once and one connection, offered by the lower id, opens', async () => {
    newMesh();
    const createdLow: SimplePeerLike[] = [];
    const createdHigh: SimplePeerLike[] = [];
    const low = mesh.add('alice', { SimplePeer: recordingSimplePeer(createdLow) });
    const high = mesh.add('bob', { SimplePeer: recordingSimplePeer(createdHigh) });
    const connects: string[] = [];
    low.onConnect = (p) => connects.push(`alice+${p}`);
    high.onConnect = (p) => connects.push(`bob+${p}`);
    const gotHigh = inbox(high);

    await Promise.all([high.connect('alice'), low.connect('bob')]);
    await waitFor(() => connects.length === 2, 'both onConnect');
    expect(connects.sort()).toEqual(['alice+bob', 'bob+alice']);
    // alice kept her single offering connection; bob dropped his offer and answered hers.
    expect(createdLow).toHaveLength(1);
    expect(createdHigh).toHaveLength(2);
    expect(createdHigh[0]!.destroyed).toBe(true);
    const descriptions = mesh.log
      .filter((l) => l.signal.type === 'description')
      .map((l) => `${l.from}:${l.signal.type === 'description' ? l.signal.description.type : ''}`);
    // (bob's own offer may or may not have gone out before alice's arrived: a race by design)
    expect(descriptions.filter((d) => d !== 'bob:offer').sort()).toEqual([
      'alice:offer',
      'bob:answer',
    ]);
    low.send('bob', new Uint8Array([7]), true);
    await waitFor(() => gotHigh.length === 1, 'a message over the surviving connection');
  });

  it('fires onDisconnect with a reason on the other side when one side closes', async () => {
    newMesh();
    const a = mesh.add('a');
    const b = mesh.add('b');
    const reasons: string[] = [];
    const record = (side: string) => (peer: string, reason: WebRTCDisconnectReason) =>
      reasons.push(`${side}-${peer}:${reason}`);
    a.onDisconnectReason = record('a');
    b.onDisconnectReason = record('b');
    const disconnects: string[] = [];
    a.onDisconnect = (p) => disconnects.push(`a-${p}`);
    b.onDisconnect = (p) => disconnects.push(`b-${p}`);
    await a.connect('b');
    await waitFor(() => b.connectedPeers.has('a'), 'b connected');

    a.disconnect('b');
    expect(disconnects).toEqual(['a-b']);
    await waitFor(() => disconnects.length === 2, 'b to notice');
    expect(disconnects).toEqual(['a-b', 'b-a']);
    expect(reasons).toEqual(['a-b:local', 'b-a:remote-closed']);
    expect(b.connectedPeers.size).toBe(0);
    expect(b.getConnectionMetrics('a')).toBeNull();
  });

  it('replaces the connection when a connected peer comes back with a new offer (a reload)', async () => {
    newMesh();
    const a = mesh.add('a');
    const events: string[] = [];
    a.onConnect = (p) => events.push(`connect ${p}`);
    a.onDisconnectReason = (p, reason) => events.push(`${reason} ${p}`);
    const first = mesh.add('b');
    await first.connect('a');
    await waitFor(() => a.connectedPeers.has('b'), 'a connected');
    // 'b' reloads: a new transport under the same id, the old one never said goodbye.
    const second = mesh.add('b');
    const got = inbox(second);
    await second.connect('a');
    await waitFor(() => events.length === 3, 'the replacement');
    expect(events).toEqual(['connect b', 'replaced b', 'connect b']);
    a.send('b', new Uint8Array([5]), true);
    await waitFor(() => got.length === 1, 'a message to the new b');
    first.dispose();
  });

  it('reports RTT, bytes and packets from the peer connection stats', async () => {
    newMesh();
    const a = mesh.add('a', { metricsInterval: 0 });
    mesh.add('b');
    await a.connect('b');
    a.send('b', new Uint8Array(1000), true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fresh = await a.refreshConnectionMetrics('b');
    expect(fresh).not.toBeNull();
    expect(fresh!.rtt).toBeGreaterThanOrEqual(0);
    expect(fresh!.bytesSent).toBeGreaterThan(1000);
    expect(fresh!.bytesReceived).toBeGreaterThan(0);
    expect(fresh!.packetsSent).toBeGreaterThan(0);
    expect(fresh!.packetsReceived).toBeGreaterThan(0);
    expect(a.getConnectionMetrics('b')).toEqual(fresh);
    expect(a.getConnectionMetrics('nobody')).toBeNull();
  });

  it('refreshes the cached metrics every metricsInterval without being asked', async () => {
    newMesh();
    const a = mesh.add('a', { metricsInterval: 20 });
    mesh.add('b');
    await a.connect('b');
    await waitFor(() => a.getConnectionMetrics('b') !== null, 'the sample taken at connect');
    const first = a.getConnectionMetrics('b')!;
    expect(first.bytesSent).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) a.send('b', new Uint8Array(10_000), true);
    // Only the periodic sample can show these bytes: nothing calls refreshConnectionMetrics.
    await waitFor(
      () => (a.getConnectionMetrics('b')!.bytesSent ?? 0) >= first.bytesSent! + 100_000,
      'a periodic sample with the 100 kB sent',
    );
    expect(a.getConnectionMetrics('b')!.packetsSent).toBeGreaterThan(first.packetsSent!);
  });

  it('drops unreliable messages above maxBufferedAmount but queues and delivers every reliable one', async () => {
    newMesh();
    const threshold = 64 * 1024;
    // A real channel whose bufferedAmount the test controls: how full the SCTP buffer gets on
    // loopback depends on scheduling, the decision to drop must not.
    let fakeBuffered = 0;
    // Count what really goes out on the unreliable channels, not what the transport says.
    let unreliableSends = 0;
    const { a, got } = await connectWatched(
      (channel) => {
        if (channel.label !== 'rbn-unreliable') return;
        fakeBufferedAmount(channel, () => fakeBuffered);
        wrapSend(channel, () => unreliableSends++);
      },
      { maxBufferedAmount: threshold },
    );

    // The channel reports more than the threshold queued: at most one threshold's worth more
    // goes out (the transport reads bufferedAmount once its own count of sent bytes could
    // pass the threshold), everything after that is dropped, nothing is queued.
    fakeBuffered = threshold + 1;
    const size = 8 * 1024;
    const sendsBefore = unreliableSends;
    for (let i = 0; i < 40; i++) a.send('b', new Uint8Array(size).fill(1), false);
    const sent = unreliableSends - sendsBefore;
    const dropped = a.getChannelStats('b')!.unreliableDropped;
    expect(dropped).toBeGreaterThan(0);
    expect(sent + dropped).toBe(40);
    expect(sent * size).toBeLessThanOrEqual(threshold + size);
    // Once the channel drains, unreliable messages flow again.
    fakeBuffered = 0;
    await sendUnreliableUntil(a, 'b', got, [2, 0]);
    expect(a.getChannelStats('b')!.unreliableDropped).toBe(dropped);

    const reliable = () => got.filter((g) => g.bytes[2] === 0xaa);
    for (let i = 0; i < 400; i++) {
      const message = new Uint8Array(4096);
      message.set([i & 0xff, i >> 8, 0xaa]);
      a.send('b', message, true);
    }
    await waitFor(() => reliable().length === 400, 'all 400 reliable messages', 20_000);
    expect(reliable().map((g) => g.bytes[0]! | (g.bytes[1]! << 8))).toEqual(
      Array.from({ length: 400 }, (_, i) => i),
    );
  });

  it('holds reliable messages while the channel is over 1 MiB buffered and sends them in order once it drains', async () => {
    newMesh();
    let fakeBuffered: number | undefined;
    const reliableChannels: RTCDataChannel[] = [];
    const { a, got } = await connectWatched((channel) => {
      if (channel.label !== 'rbn-reliable') return;
      reliableChannels.push(channel);
      fakeBufferedAmount(channel, () => fakeBuffered);
    });
    expect(reliableChannels.some((c) => c.readyState === 'open')).toBe(true);

    fakeBuffered = 2 * 1024 * 1024;
    for (let i = 0; i < 5; i++) a.send('b', new Uint8Array([i]), true);
    expect(a.getChannelStats('b')!.reliableBufferedAmount).toBe(fakeBuffered + 5);
    expect(got).toEqual([]);

    fakeBuffered = 0;
    for (const c of reliableChannels) c.dispatchEvent(new Event('bufferedamountlow'));
    a.send('b', new Uint8Array([5]), true);
    await waitFor(() => got.length === 6, 'the held messages');
    expect(got.map((g) => g.bytes[0])).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('drains held reliable messages even when the stack never fires bufferedamountlow', async () => {
    newMesh();
    let fakeBuffered: number | undefined;
    let refuseNext = 0;
    const { a, got } = await connectWatched((channel) => {
      if (channel.label !== 'rbn-reliable') return;
      fakeBufferedAmount(channel, () => fakeBuffered);
      wrapSend(channel, () => {
        if (refuseNext > 0) {
          refuseNext--;
          throw new Error('send queue is full');
        }
      });
    });

    // An open channel that refuses a send keeps the message: it goes out on a later try.
    refuseNext = 1;
    a.send('b', new Uint8Array([0]), true);
    expect(a.getChannelStats('b')!.reliableBufferedAmount).toBeGreaterThanOrEqual(1);
    fakeBuffered = 2 * 1024 * 1024;
    for (let i = 1; i < 5; i++) a.send('b', new Uint8Array([i]), true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(got).toEqual([]);
    // The channel drains, and no bufferedamountlow event comes: the transport notices anyway.
    fakeBuffered = undefined;
    await waitFor(() => got.length === 5, 'the held messages without the event');
    expect(got.map((g) => g.bytes[0])).toEqual([0, 1, 2, 3, 4]);
    a.send('b', new Uint8Array([5]), true);
    await waitFor(() => got.length === 6, 'a message after the queue emptied');
    expect(got[5]!.bytes).toEqual([5]);
  });

  it('rejects connect with an error naming the peer when the connection does not open in time', async () => {
    newMesh();
    mesh.deliver = false;
    const a = mesh.add('a', { connectTimeout: 200 });
    const error = await a.connect('ghost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RbnError);
    expect((error as RbnError).code).toBe('CONNECT_TIMEOUT');
    expect((error as RbnError).message).toContain('"ghost"');
    expect(a.connectedPeers.size).toBe(0);
  });

  it('throws MESSAGE_TOO_LARGE for a message above the negotiated limit and keeps the link', async () => {
    newMesh();
    const a = mesh.add('a', { maxMessageSize: 1024 });
    const b = mesh.add('b');
    const got = inbox(b);
    await a.connect('b');
    expect(a.getChannelStats('b')!.maxMessageSize).toBe(1024);
    expect(() => a.send('b', new Uint8Array(1025), true)).toThrow(/1025 bytes to peer "b"/);
    a.send('b', new Uint8Array(1024), true);
    await waitFor(() => got.length === 1, 'the largest allowed message');
  });

  it('names the method and the value when send or broadcast gets something other than bytes', () => {
    const a = newMesh().add('a');
    const cases: [() => void, string][] = [
      [
        () => a.send('b', 'hi' as unknown as Uint8Array, true),
        'WebRTCTransport.send: message must be a Uint8Array (got "hi")',
      ],
      [
        () => a.broadcast([1, 2] as unknown as Uint8Array, false),
        'WebRTCTransport.broadcast: message must be a Uint8Array (got array(2))',
      ],
    ];
    for (const [call, message] of cases) {
      let error: unknown;
      try {
        call();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RbnError);
      expect((error as RbnError).code).toBe('INVALID_ARGUMENT');
      expect((error as RbnError).message).toBe(message);
    }
  });

  it('copies what it sends, so the caller may reuse its buffer', async () => {
    newMesh();
    const a = mesh.add('a');
    const b = mesh.add('b');
    const got = inbox(b);
    await a.connect('b');
    const buffer = new Uint8Array(8);
    const view = buffer.subarray(2, 5);
    view.set([1, 2, 3]);
    a.send('b', view, true);
    view.set([0, 0, 0]);
    await waitFor(() => got.length === 1, 'message');
    expect(got[0]!.bytes).toEqual([1, 2, 3]);
  });

  it('refuses to connect without signaling callbacks and ignores malformed signals', async () => {
    const t = new WebRTCTransport('solo', { wrtc, rtcConfiguration, defaultStunServer });
    mesh = createTestMesh({});
    await expect(t.connect('x')).rejects.toMatchObject({ code: 'NO_SIGNALING' });
    await expect(t.connect('solo')).rejects.toMatchObject({ code: 'INVALID_PEER_ID' });
    t.setSignalingCallbacks({ onSignal: () => undefined });
    for (const junk of [
      null,
      1,
      'x',
      {},
      { type: 'description' },
      { type: 'candidate', candidate: 3 },
    ]) {
      t.handleSignal('x', junk);
    }
    t.handleRemoteCandidate('x', { candidate: 'candidate:1 1 udp 1 127.0.0.1 1 typ host' });
    expect(t.connectedPeers.size).toBe(0);
    t.dispose();
    await expect(t.connect('x')).rejects.toMatchObject({ code: 'TRANSPORT_DISPOSED' });
  });

  it('explains that Node needs the wrtc option', async () => {
    mesh = createTestMesh({});
    const t = new WebRTCTransport('a', { rtcConfiguration, defaultStunServer });
    t.setSignalingCallbacks({ onSignal: () => undefined });
    await expect(t.connect('b')).rejects.toMatchObject({ code: 'WEBRTC_UNSUPPORTED' });
    expect(() => new WebRTCTransport('a', { connectTimeout: -1 })).toThrow(/connectTimeout/);
  });
});

describe('WebRTCTransport configuration', () => {
  it('opens the unreliable channel with maxPacketLifeTime instead of the default maxRetransmits and carries data on it', async () => {
    newMesh();
    const unreliableChannelConfig = { maxPacketLifeTime: 50 };
    const channels: RTCDataChannel[] = [];
    const restore = watchDataChannels((channel) => channels.push(channel));
    const a = mesh.add('a', { unreliableChannelConfig });
    const b = mesh.add('b', { unreliableChannelConfig });
    const gotA = inbox(a);
    const gotB = inbox(b);
    try {
      await a.connect('b');
      await waitFor(() => b.connectedPeers.has('a'), 'b connected');
    } finally {
      restore();
    }
    const unreliable = channels.filter((c) => c.label === 'rbn-unreliable');
    expect(unreliable).toHaveLength(2);
    for (const channel of unreliable) {
      expect(channel.maxPacketLifeTime).toBe(50);
      expect(channel.maxRetransmits).not.toBe(0); // unset (the stack reports null or 65535)
      expect(channel.ordered).toBe(false);
    }
    await sendUnreliableUntil(a, 'b', gotB, [1, 2]);
    await sendUnreliableUntil(b, 'a', gotA, [3]);
  });

  it.each<[string, WebRTCTransportOptions, RegExp]>([
    [
      'both limits on the unreliable channel',
      { unreliableChannelConfig: { maxPacketLifeTime: 50, maxRetransmits: 0 } },
      /unreliableChannelConfig sets both maxPacketLifeTime and maxRetransmits/,
    ],
    [
      'a negative maxRetransmits',
      { unreliableChannelConfig: { maxRetransmits: -1 } },
      /unreliableChannelConfig\.maxRetransmits must be an integer from 0 to 65535, got -1/,
    ],
    [
      'a maxPacketLifeTime above 65535',
      { unreliableChannelConfig: { maxPacketLifeTime: 70_000 } },
      /unreliableChannelConfig\.maxPacketLifeTime must be an integer .* got 70000/,
    ],
    [
      'a fractional maxPacketLifeTime',
      { unreliableChannelConfig: { maxPacketLifeTime: 1.5 } },
      /unreliableChannelConfig\.maxPacketLifeTime must be an integer/,
    ],
    [
      'a stream id of 65535',
      { unreliableChannelConfig: { id: 65_535 } },
      /unreliableChannelConfig\.id must be an integer from 0 to 65534, got 65535/,
    ],
    [
      'the same stream id for both channels',
      { reliableChannelConfig: { id: 5 }, unreliableChannelConfig: { id: 5 } },
      /reliableChannelConfig\.id and unreliableChannelConfig\.id must differ, both are 5/,
    ],
    [
      'a limit on the reliable channel',
      { reliableChannelConfig: { maxRetransmits: 3 } },
      /reliableChannelConfig\.maxRetransmits would let the reliable channel drop messages/,
    ],
    [
      'an unordered reliable channel',
      { reliableChannelConfig: { ordered: false } },
      /reliableChannelConfig\.ordered must not be false/,
    ],
    [
      'a channel that is not negotiated',
      { unreliableChannelConfig: { negotiated: false } },
      /unreliableChannelConfig\.negotiated must be true or absent/,
    ],
    [
      'a config that is not an object',
      { unreliableChannelConfig: 'fast' as unknown as RTCDataChannelInit },
      /unreliableChannelConfig must be an object, got fast/,
    ],
  ])('throws INVALID_CONFIG naming the field for %s', (_what, options, message) => {
    mesh = createTestMesh({});
    const error = (() => {
      try {
        new WebRTCTransport('a', { wrtc, rtcConfiguration, defaultStunServer, ...options });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RbnError);
    expect((error as RbnError).code).toBe('INVALID_CONFIG');
    expect((error as RbnError).message).toMatch(message);
  });

  it('gives rtcConfiguration to every peer connection it opens, with the default STUN server added to TURN-only servers, and the default STUN server without it', () => {
    mesh = createTestMesh({});
    const created: SimplePeerLike[] = [];
    const custom: RTCConfiguration = {
      iceServers: [{ urls: 'turn:turn.example.test:3478', username: 'u', credential: 'c' }],
      iceTransportPolicy: 'relay',
    };
    const a = new WebRTCTransport('a', {
      wrtc,
      rtcConfiguration: custom,
      SimplePeer: recordingSimplePeer(created),
    });
    const plain = new WebRTCTransport('p', { wrtc, SimplePeer: recordingSimplePeer(created) });
    try {
      for (const t of [a, plain]) t.setSignalingCallbacks({ onSignal: () => undefined });
      void a.connect('b').catch(() => undefined); // an offering connection
      a.handleSignal('c', { type: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } });
      void plain.connect('b').catch(() => undefined);
      expect(created).toHaveLength(3);
      const configurations = created.map((peer) => peer._pc!.getConfiguration());
      for (const configuration of configurations.slice(0, 2)) {
        // TURN entries only: the default STUN server is added in front (withDefaultStun).
        expect(configuration.iceServers).toEqual([
          expect.objectContaining({ urls: 'stun:stun.l.google.com:19302' }),
          expect.objectContaining({
            urls: 'turn:turn.example.test:3478',
            username: 'u',
            credential: 'c',
          }),
        ]);
        expect(configuration.iceTransportPolicy).toBe('relay');
      }
      expect(configurations[2]!.iceServers).toEqual([
        expect.objectContaining({ urls: 'stun:stun.l.google.com:19302' }),
      ]);
      expect(configurations[2]!.iceTransportPolicy).toBe('all');
    } finally {
      // Before the offers are made: nothing is gathered, no STUN server is contacted.
      a.dispose();
      plain.dispose();
    }
  });

  it('releases a connection whose unreliable channel the stack refuses: connect rejects, signals never throw', async () => {
    mesh = createTestMesh({});
    const created: SimplePeerLike[] = [];
    const t = new WebRTCTransport('z', {
      wrtc,
      rtcConfiguration,
      defaultStunServer,
      SimplePeer: recordingSimplePeer(created),
    });
    t.setSignalingCallbacks({ onSignal: () => undefined });
    const offer = { type: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } };
    let restore = refuseUnreliableChannels();
    try {
      // An outgoing connection.
      const error = await t.connect('b').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RbnError);
      expect(error).toMatchObject({ code: 'CONNECT_FAILED' });
      expect((error as Error).message).toMatch(
        /unreliable data channel to peer "b" \(check unreliableChannelConfig\): the stack refuses this channel/,
      );
      // An incoming one.
      expect(() => t.handleSignal('c', offer)).not.toThrow();
      expect(created).toHaveLength(2);
      expect(heldPeers(t)).toBe(0);
      // An offering connection replaced by an answering one (glare, 'z' > 'd'): the pending
      // connect gets the error.
      restore();
      const pending = t.connect('d').catch((e: unknown) => e);
      restore = refuseUnreliableChannels();
      expect(() => t.handleSignal('d', offer)).not.toThrow();
      expect(await pending).toMatchObject({ code: 'CONNECT_FAILED' });
      expect(created).toHaveLength(4);
      expect(heldPeers(t)).toBe(0);
    } finally {
      restore();
    }
    await new Promise((resolve) => setTimeout(resolve, 0)); // simple-peer destroys in a microtask
    for (const peer of created) expect(peer.destroyed).toBe(true);
    // The transport still works once the stack does.
    newMesh();
    const a = mesh.add('a');
    mesh.add('b');
    await a.connect('b');
    t.dispose();
  });
});

describe('WebRTCTransport failure and release', () => {
  it.each([
    ['ICE failure', 'ERR_ICE_CONNECTION_FAILURE', 'ice-failed', 'Ice connection failed.'],
    [
      'peer-connection failure',
      'ERR_CONNECTION_FAILURE',
      'connection-failed',
      'Connection failed.',
    ],
  ])('reports %s as onDisconnect with the reason %s', async (_what, code, reason, message) => {
    newMesh();
    const created: SimplePeerLike[] = [];
    const a = mesh.add('a', { SimplePeer: recordingSimplePeer(created) });
    mesh.add('b');
    const seen: string[] = [];
    a.onDisconnect = (p) => seen.push(`disconnect ${p}`);
    a.onDisconnectReason = (p, why, error) => seen.push(`${p} ${why} ${error?.message}`);
    await a.connect('b');
    // What simple-peer does when iceConnectionState (or connectionState) becomes 'failed'.
    created[0]!.destroy(Object.assign(new Error(message), { code }));
    await waitFor(() => seen.length === 2, 'the disconnect');
    expect(seen).toEqual(['disconnect b', `b ${reason} ${message}`]);
    expect(a.connectedPeers.size).toBe(0);
  });

  it(
    'leaves nothing that keeps Node alive after dispose, or after disconnect(peer) alone (a child process exits by itself)',
    async () => {
      const fixture = 'dispose-exit-fixture.ts';
      // One child at a time: three at once on a loaded 2-core machine starve each other.
      const disposed = await runFixture(fixture, [], 10_000);
      expect(disposed.out, disposed.slow).toContain(
        'disposed; the pending connect ended with: RbnError',
      );
      expect(disposed, disposed.slow).toMatchObject({ code: 0, killed: false });
      const disconnected = await runFixture(fixture, ['--disconnect'], 10_000);
      expect(disconnected.out, disconnected.slow).toContain(
        'disconnected; the pending connect ended with: RbnError',
      );
      expect(disconnected, disconnected.slow).toMatchObject({ code: 0, killed: false });
      // Control: open connections do keep Node alive.
      const leaked = await runFixture(fixture, ['--skip-dispose'], 1_500);
      expect(leaked.out, leaked.slow).toContain('not disposed');
      expect(leaked.killed).toBe(true);
    },
    FIXTURE_TEST_TIMEOUT_MS,
  );

  it(
    'leaves nothing that keeps Node alive when the stack cannot open the unreliable channel (no dispose)',
    async () => {
      const result = await runFixture('channel-failure-fixture.ts', [], 10_000);
      expect(result.out, result.slow).toBe(
        'not disposed; connect ended with: RbnError: cannot open the unreliable data channel to peer "b" (check unreliableChannelConfig): the stack refuses this channel\n',
      );
      expect(result, result.slow).toMatchObject({ code: 0, killed: false });
    },
    FIXTURE_TEST_TIMEOUT_MS,
  );
});
