import { createRequire } from 'node:module';
import { describeTransportConformance } from '@rbn/transport-conformance';
import type { ConformanceHarness } from '@rbn/transport-conformance';
import { createTestMesh } from './internal/test-mesh';
import type { TestMesh } from './internal/test-mesh';
import type { SignalingCallbacks } from './signaling';
import type { WebRTCImplementation } from './simple-peer-types';
import type { WebRTCTransport } from './webrtc-transport';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRTCImplementation;

/**
 * WebRTCTransports over real WebRTC (@roamhq/wrtc, loopback) with in-process signaling.
 * `settle` waits until no connection attempt is pending and nothing (signal, connect,
 * disconnect, message) has happened for a while.
 */
function webrtcHarness(): ConformanceHarness {
  let mesh: TestMesh | undefined;
  let transports: WebRTCTransport[] = [];
  let lastActivity = 0;
  const touch = () => (lastActivity = performance.now());

  /** Wraps the callbacks the suite sets so that every delivery counts as activity. */
  function watch(transport: WebRTCTransport): void {
    for (const name of ['onMessage', 'onConnect', 'onDisconnect'] as const) {
      let handler: ((...args: never[]) => void) | null = null;
      Object.defineProperty(transport, name, {
        get: () => handler,
        set: (value: ((...args: never[]) => void) | null) => {
          handler =
            value &&
            ((...args: never[]) => {
              touch();
              value(...args);
            });
        },
      });
    }
  }

  const connecting = () =>
    transports.some((t) =>
      [...(t as unknown as { peers: Map<string, { connected: boolean }> }).peers.values()].some(
        (entry) => !entry.connected,
      ),
    );

  /** Whether every pair agrees on being connected (a close is seen by both sides). */
  const symmetric = () =>
    transports.every((x) =>
      transports.every(
        (y) =>
          x === y || x.connectedPeers.has(y.localPeerId) === y.connectedPeers.has(x.localPeerId),
      ),
    );

  /** Whether a channel still holds bytes it has not handed to the network. */
  const buffered = () =>
    transports.some((t) =>
      [...t.connectedPeers].some((peer) => {
        const stats = t.getChannelStats(peer);
        return stats !== null && stats.reliableBufferedAmount + stats.unreliableBufferedAmount > 0;
      }),
    );

  return {
    maxMessageBytes: 256 * 1024,
    create(count) {
      mesh = createTestMesh({
        wrtc,
        rtcConfiguration: { iceServers: [] },
        defaultStunServer: null,
      });
      const m = mesh;
      transports = Array.from({ length: count }, (_, i) => {
        const t = m.add(`peer-${i}`);
        watch(t);
        const signaling = (t as unknown as { signaling: SignalingCallbacks }).signaling;
        t.setSignalingCallbacks({
          onSignal: (peerId, signal) => {
            touch();
            signaling.onSignal(peerId, signal);
          },
        });
        return t;
      });
      return Promise.resolve(transports);
    },
    async settle() {
      // Quiet means: no connection half open, no close one side has seen and the other not
      // yet, no bytes still queued on a channel, and no callback for 100 ms. The 20 s cap only
      // bounds a hang (a loaded machine can starve the WebRTC threads for a while).
      const start = performance.now();
      touch();
      while (performance.now() - start < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        if (connecting() || !symmetric() || buffered()) {
          touch();
          continue;
        }
        if (performance.now() - lastActivity >= 100) return;
      }
    },
    cleanup() {
      mesh?.dispose();
      mesh = undefined;
      transports = [];
      return Promise.resolve();
    },
  };
}

describeTransportConformance('WebRTCTransport (@roamhq/wrtc, loopback)', webrtcHarness);
