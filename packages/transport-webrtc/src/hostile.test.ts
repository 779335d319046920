import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestMesh, recordingSimplePeer, waitFor } from './internal/test-mesh';
import type { TestMesh } from './internal/test-mesh';
import type { SimplePeerLike, WebRTCImplementation } from './simple-peer-types';
import { WebRTCTransport } from './webrtc-transport';

// Bad input from the network or a caller: a clear outcome, nothing else changed, nothing
// thrown, nothing kept.

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRTCImplementation;
const rtcConfiguration: RTCConfiguration = { iceServers: [] };
/** …and no default STUN server added to it (see withDefaultStun). */
const defaultStunServer = null;

/** The number of peers (connected or connecting) a transport holds state for. */
function heldPeers(transport: WebRTCTransport): number {
  return (transport as unknown as { peers: Map<string, unknown> }).peers.size;
}

/** A real offer from a throwaway transport, to replay from places it should not come from. */
async function realOffer(): Promise<RTCSessionDescriptionInit> {
  const source = new WebRTCTransport('offerer', { wrtc, rtcConfiguration, defaultStunServer });
  const offer = new Promise<RTCSessionDescriptionInit>((resolve) => {
    source.setSignalingCallbacks({
      onSignal: (_peer, signal) => {
        if (signal.type === 'description') resolve(signal.description);
      },
    });
  });
  void source.connect('target').catch(() => undefined);
  const description = await offer;
  source.dispose();
  return description;
}

let mesh: TestMesh | undefined;
afterEach(() => {
  mesh?.dispose();
  mesh = undefined;
});

describe('WebRTCTransport with hostile input', () => {
  it('ignores garbage signals of every shape without throwing or creating state', () => {
    const created: SimplePeerLike[] = [];
    const t = new WebRTCTransport('me', {
      wrtc,
      rtcConfiguration,
      defaultStunServer,
      SimplePeer: recordingSimplePeer(created),
    });
    t.setSignalingCallbacks({ onSignal: () => undefined });
    const huge = 'x'.repeat(5_000_000);
    const junk: unknown[] = [
      undefined,
      null,
      0,
      'offer',
      [],
      { type: 'description' },
      { type: 'description', description: null },
      { type: 'description', description: { type: 'offer' } },
      { type: 'description', description: { type: 'offer', sdp: 42 } },
      { type: 'description', description: { type: 'rollback', sdp: '' } },
      { type: 'description', description: { type: 'offer', sdp: huge } },
      { type: 'candidate', candidate: null },
      { type: 'candidate', candidate: { candidate: 7 } },
      { type: 'candidate', candidate: { candidate: huge } },
      { type: 'bye' },
    ];
    for (const signal of junk) {
      expect(() => t.handleSignal('peer', signal)).not.toThrow();
    }
    for (const peerId of [undefined, null, 5, {}, '']) {
      expect(() =>
        t.handleSignal(peerId as string, {
          type: 'description',
          description: { type: 'offer', sdp: 'v=0\r\n' },
        }),
      ).not.toThrow();
    }
    const call = (f: () => void) => expect(f).not.toThrow();
    call(() => t.handleRemoteDescription('peer', null as unknown as RTCSessionDescriptionInit));
    call(() => t.handleRemoteDescription('peer', { type: 'offer', sdp: huge }));
    call(() => t.handleRemoteCandidate('peer', 'candidate' as unknown as RTCIceCandidateInit));
    call(() => t.handleRemoteCandidate('peer', { candidate: huge }));
    // A candidate or an answer for a peer nobody is talking to.
    call(() =>
      t.handleRemoteCandidate('stranger', { candidate: 'candidate:1 1 udp 1 1.2.3.4 9 typ host' }),
    );
    call(() => t.handleRemoteDescription('stranger', { type: 'answer', sdp: 'v=0\r\n' }));
    expect(created).toHaveLength(0);
    expect(heldPeers(t)).toBe(0);
    t.dispose();
  });

  it('releases the connection an offer with broken SDP from an unknown peer opened, firing nothing', async () => {
    const created: SimplePeerLike[] = [];
    const t = new WebRTCTransport('me', {
      wrtc,
      rtcConfiguration,
      defaultStunServer,
      SimplePeer: recordingSimplePeer(created),
    });
    const events: string[] = [];
    t.onConnect = (p) => events.push(`connect ${p}`);
    t.onDisconnect = (p) => events.push(`disconnect ${p}`);
    t.setSignalingCallbacks({ onSignal: () => undefined });
    t.handleRemoteDescription('mallory', { type: 'offer', sdp: 'v=0\r\nthis is not sdp\r\n' });
    expect(created).toHaveLength(1);
    await waitFor(() => heldPeers(t) === 0, 'the broken offer to be released');
    expect(created[0]!.destroyed).toBe(true);
    expect(events).toEqual([]);
    t.dispose();
  });

  it('bounds the candidates held for a peer whose description has not arrived', () => {
    mesh = createTestMesh({ wrtc, rtcConfiguration, defaultStunServer });
    mesh.deliver = false; // signals go nowhere: the remote side never answers
    const a = mesh.add('a', { connectTimeout: 60_000 });
    void a.connect('b').catch(() => undefined);
    for (let i = 0; i < 10_000; i++) {
      a.handleRemoteCandidate('b', { candidate: `candidate:${i} 1 udp 1 10.0.0.1 ${i} typ host` });
    }
    const entry = (
      a as unknown as { peers: Map<string, { pendingCandidates: unknown[] }> }
    ).peers.get('b');
    expect(entry?.pendingCandidates.length).toBe(64);
  });

  it('releases everything of a peer that never answers once connectTimeout passes', async () => {
    mesh = createTestMesh({ wrtc, rtcConfiguration, defaultStunServer });
    mesh.deliver = false;
    const created: SimplePeerLike[] = [];
    const a = mesh.add('a', { connectTimeout: 200, SimplePeer: recordingSimplePeer(created) });
    const events: string[] = [];
    a.onDisconnect = (p) => events.push(`disconnect ${p}`);
    const [first, second] = await Promise.all([
      a.connect('ghost').catch((e: unknown) => e),
      a.connect('ghost').catch((e: unknown) => e), // a second caller waits on the same attempt
    ]);
    for (const error of [first, second]) expect(error).toMatchObject({ code: 'CONNECT_TIMEOUT' });
    expect(created).toHaveLength(1);
    expect(created[0]!.destroyed).toBe(true);
    expect(created[0]!._pc).toBeNull();
    expect(heldPeers(a)).toBe(0);
    expect(events).toEqual([]); // it never connected, so it never disconnects
    // A later offer from the same peer id starts afresh; its offerer is gone too, so the
    // incoming attempt is released after connectTimeout as well.
    a.handleRemoteDescription('ghost', await realOffer());
    expect(created).toHaveLength(2);
    expect(heldPeers(a)).toBe(1);
    await waitFor(() => heldPeers(a) === 0, 'the incoming attempt to time out');
    expect(created[1]!.destroyed).toBe(true);
    expect(events).toEqual([]);
  });

  it('ignores sends and signals after dispose and on closed connections without throwing', async () => {
    mesh = createTestMesh({ wrtc, rtcConfiguration, defaultStunServer });
    const a = mesh.add('a');
    const b = mesh.add('b');
    const got: number[] = [];
    b.onMessage = (_from, message) => got.push(message[0]!);
    await a.connect('b');
    await waitFor(() => b.connectedPeers.has('a'), 'b connected');
    b.disconnect('a');
    // Sends racing the remote close are exercised in a child process (below): @roamhq/wrtc can
    // crash the process on that race, which must not take the test runner down. Here, a's
    // sends after it noticed the close are dropped without throwing.
    await waitFor(() => a.connectedPeers.size === 0, 'a to notice', 15_000);
    for (let i = 0; i < 20; i++) {
      expect(() => a.send('b', new Uint8Array([i]), i % 2 === 0)).not.toThrow();
    }
    expect(got).toEqual([]);
    a.dispose();
    expect(() => a.send('b', new Uint8Array([1]), true)).not.toThrow();
    expect(() => a.broadcast(new Uint8Array([1]), false)).not.toThrow();
    expect(() => a.disconnect('b')).not.toThrow();
    expect(() => a.disconnectAll()).not.toThrow();
    expect(() => a.dispose()).not.toThrow();
    a.handleRemoteDescription('b', await realOffer());
    expect(heldPeers(a)).toBe(0);
    expect(a.getConnectionMetrics('b')).toBeNull();
    expect(a.getChannelStats('b')).toBeNull();
  });

  it('survives sending on both channels while the remote side closes (child process, 12 rounds)', async () => {
    const fixture = fileURLToPath(new URL('./internal/remote-close-fixture.ts', import.meta.url));
    const result = await new Promise<{ code: number | null; signal: string | null; out: string }>(
      (resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--conditions=@rbn/source', fixture, '12'],
          { cwd: dirname(fixture), stdio: ['ignore', 'pipe', 'ignore'] },
        );
        let out = '';
        // A hang cap (the run takes a few seconds alone; a loaded machine took over 25 s): a
        // child killed by it shows as signal SIGKILL below, with what it printed so far.
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, out });
        });
      },
    );
    expect(result).toEqual({ code: 0, signal: null, out: 'survived 12 rounds\n' });
  }, 90_000);

  it('connects five peers that all dial each other at once (glare on every pair)', async () => {
    mesh = createTestMesh({ wrtc, rtcConfiguration, defaultStunServer });
    const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
    const m = mesh;
    const transports = ids.map((id) => m.add(id));
    const inboxes = transports.map(() => new Set<string>());
    transports.forEach((t, i) => (t.onMessage = (from) => inboxes[i]!.add(from)));
    await Promise.all(
      transports.flatMap((t) =>
        ids.filter((id) => id !== t.localPeerId).map((id) => t.connect(id)),
      ),
    );
    await waitFor(
      () => transports.every((t) => t.connectedPeers.size === ids.length - 1),
      'every pair connected',
      15_000,
    );
    for (const t of transports) {
      expect([...t.connectedPeers].sort()).toEqual(ids.filter((id) => id !== t.localPeerId));
      expect(heldPeers(t)).toBe(ids.length - 1);
    }
    transports.forEach((t) => t.broadcast(new Uint8Array([1]), true));
    await waitFor(() => inboxes.every((box) => box.size === ids.length - 1), 'every broadcast');
  }, 30_000);
});
