// Test support (not exported): WebRTCTransports wired to each other through in-process
// signaling that, like a real signaling channel, carries JSON text, in order, asynchronously.
import { WebRTCTransport } from '../webrtc-transport';
import type { WebRTCTransportOptions } from '../webrtc-transport';
import type { WebRTCSignal } from '../signaling';
import type {
  SimplePeerConstructor,
  SimplePeerLike,
  SimplePeerOptions,
} from '../simple-peer-types';
import { DefaultSimplePeer } from './default-simple-peer';

/** A group of transports that can reach each other by peer id. */
export type TestMesh = {
  /** Creates a transport registered under `peerId` (options merged over the mesh's). */
  add(peerId: string, options?: WebRTCTransportOptions): WebRTCTransport;
  /** Every signal that went through, in order. */
  readonly log: { from: string; to: string; signal: WebRTCSignal }[];
  /** Whether signals are delivered (set `false` to simulate a dead signaling channel). */
  deliver: boolean;
  /**
   * Route incoming signals as docs/architecture.md does (`handleRemoteDescription` /
   * `handleRemoteCandidate`) instead of through `handleSignal`.
   */
  splitHandlers: boolean;
  /** Disposes every transport of the mesh. */
  dispose(): void;
};

/**
 * Creates an in-process signaling mesh.
 * @param options - Options for every transport (at least `wrtc` in Node).
 * @returns The mesh.
 */
export function createTestMesh(options: WebRTCTransportOptions): TestMesh {
  const transports = new Map<string, WebRTCTransport>();
  const mesh: TestMesh = {
    log: [],
    deliver: true,
    splitHandlers: false,
    add(peerId, extra = {}) {
      const transport = new WebRTCTransport(peerId, { ...options, ...extra });
      transport.setSignalingCallbacks({
        onSignal(to, signal) {
          if (!mesh.deliver) return;
          mesh.log.push({ from: peerId, to, signal });
          const text = JSON.stringify(signal);
          queueMicrotask(() => {
            const target = transports.get(to);
            const parsed = JSON.parse(text) as WebRTCSignal;
            if (!target) return;
            if (!mesh.splitHandlers) target.handleSignal(peerId, parsed);
            else if (parsed.type === 'description') {
              target.handleRemoteDescription(peerId, parsed.description);
            } else target.handleRemoteCandidate(peerId, parsed.candidate);
          });
        },
      });
      transports.set(peerId, transport);
      return transport;
    },
    dispose() {
      for (const transport of transports.values()) transport.dispose();
      transports.clear();
    },
  };
  return mesh;
}

/**
 * Waits until `condition` holds, checking every few milliseconds.
 * @param condition - What to wait for.
 * @param what - Named in the error when it never holds.
 * @param timeoutMs - How long to wait: only a hang cap, generous because a loaded machine can
 *   starve the WebRTC threads for seconds.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A simple-peer constructor (for the `SimplePeer` option) that records every connection it
 * creates, so a test can inspect or break them.
 * @param created - Receives each connection as it is created.
 * @returns The constructor.
 */
export function recordingSimplePeer(created: SimplePeerLike[]): SimplePeerConstructor {
  return function RecordingPeer(options: SimplePeerOptions) {
    const peer = new DefaultSimplePeer(options);
    created.push(peer);
    return peer;
  } as unknown as SimplePeerConstructor;
}
