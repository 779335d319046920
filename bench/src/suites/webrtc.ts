// WebRTC over loopback in Node, one real stack for both libraries (@roamhq/wrtc, libwebrtc):
// connection setup time (first signal to both data channels open on both sides) and the
// round-trip time of a 16-byte unreliable message echoed back, median of 20 each.
// @rbn/transport-webrtc gets the stack through its `wrtc` option; rollback-netcode@0.0.6's
// WebRTCTransport uses the global RTCPeerConnection, so the stack's classes are installed as
// globals while it is measured. Signals travel in-process as JSON, one macrotask per hop.
import { createRequire } from 'node:module';
import type { TransportAdapter } from '@rbn/protocol';
import { WebRTCTransport } from '@rbn/transport-webrtc';
import type { WebRTCImplementation } from '@rbn/transport-webrtc';
import * as rn from 'rollback-netcode';
import { median, printTable, type Row } from '../table';

const RUNS = 20;
const require = createRequire(import.meta.url);

type Signal = unknown;
/** One side of a pair under test, whatever the library. */
type Side = {
  transport: TransportAdapter;
  setOnSignal(onSignal: (to: string, signal: Signal) => void): void;
  handle(from: string, signal: Signal): void;
  dispose(): void;
};
type Library = { name: string; side(id: string): Side };

const later = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Connects a fresh pair and returns the setup time and the pair. */
async function connectPair(
  lib: Library,
  run: number,
): Promise<{ ms: number; fromCall: number; a: Side; b: Side }> {
  const a = lib.side(`a${run}`);
  const b = lib.side(`b${run}`);
  const sides = new Map([
    [a.transport.localPeerId, a],
    [b.transport.localPeerId, b],
  ]);
  let firstSignal: number | undefined;
  for (const side of [a, b]) {
    const from = side.transport.localPeerId;
    side.setOnSignal((to, signal) => {
      firstSignal ??= performance.now();
      const text = JSON.stringify(signal);
      setImmediate(() => sides.get(to)?.handle(from, JSON.parse(text)));
    });
  }
  let bOpen: number | undefined;
  b.transport.onConnect = () => (bOpen = performance.now());
  const called = performance.now();
  await a.transport.connect(b.transport.localPeerId);
  const aOpen = performance.now();
  for (let i = 0; i < 10_000 && bOpen === undefined; i++) await later();
  if (firstSignal === undefined || bOpen === undefined) {
    throw new Error(`${lib.name}: run ${run} did not open on both sides`);
  }
  const open = Math.max(aOpen, bOpen);
  return { ms: open - firstSignal, fromCall: open - called, a, b };
}

/**
 * Median RTT of a 16-byte unreliable message a → b → a (b echoes unreliably), over 20 echoes
 * after 5 warm-up ones. An echo lost on the way (rare on loopback) is not a sample.
 */
async function unreliableRtt(a: Side, b: Side): Promise<number> {
  const bId = b.transport.localPeerId;
  b.transport.onMessage = (from, message) => b.transport.send(from, message.slice(), false);
  const samples: number[] = [];
  const message = new Uint8Array(16);
  for (let i = 0; samples.length < RUNS && i < 3 * RUNS; i++) {
    let back: number | undefined;
    message[0] = i & 0xff;
    a.transport.onMessage = (_from, m) => {
      if (m[0] === (i & 0xff)) back = performance.now();
    };
    const sent = performance.now();
    a.transport.send(bId, message, false);
    for (let spin = 0; spin < 5_000 && back === undefined; spin++) await later();
    if (back !== undefined && i >= 5) samples.push(back - sent);
  }
  if (samples.length < RUNS) throw new Error(`only ${samples.length} of ${RUNS} echoes came back`);
  return median(samples);
}

async function measure(lib: Library): Promise<{ setup: number; fromCall: number; rtt: number }> {
  const setups: number[] = [];
  const fromCalls: number[] = [];
  let rtt = NaN;
  for (let run = 0; run < RUNS; run++) {
    const { ms, fromCall, a, b } = await connectPair(lib, run);
    setups.push(ms);
    fromCalls.push(fromCall);
    if (run === 0) rtt = await unreliableRtt(a, b);
    a.dispose();
    b.dispose();
  }
  return { setup: median(setups), fromCall: median(fromCalls), rtt };
}

function rbnLibrary(wrtc: WebRTCImplementation): Library {
  return {
    name: 'rbn',
    side(id) {
      const t = new WebRTCTransport(id, {
        wrtc,
        rtcConfiguration: { iceServers: [] },
        defaultStunServer: null,
      });
      return {
        transport: t,
        setOnSignal: (onSignal) => t.setSignalingCallbacks({ onSignal }),
        handle: (from, signal) => t.handleSignal(from, signal),
        dispose: () => t.dispose(),
      };
    },
  };
}

function competitorLibrary(): Library {
  return {
    name: 'rollback-netcode',
    side(id) {
      const t = new rn.WebRTCTransport(id, {
        rtcConfiguration: { iceServers: [] },
        keepaliveInterval: 0,
        maxReconnectAttempts: 0,
      });
      return {
        transport: t,
        setOnSignal: (onSignal) => t.setSignalingCallbacks({ onSignal }),
        handle: (from, signal) => {
          const s = signal as rn.SignalMessage;
          const done =
            s.type === 'description'
              ? t.handleRemoteDescription(from, s.description)
              : t.handleRemoteCandidate(from, s.candidate);
          done.catch(() => undefined);
        },
        dispose: () => t.destroy(),
      };
    },
  };
}

/** Installs the stack's classes as globals for the duration of `fn` (rollback-netcode needs them). */
async function withGlobals<T>(wrtc: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const names = ['RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate'];
  const g = globalThis as Record<string, unknown>;
  const saved = names.map((n) => g[n]);
  names.forEach((n) => (g[n] = wrtc[n]));
  try {
    return await fn();
  } finally {
    names.forEach((n, i) => (g[n] = saved[i]));
  }
}

/** Measures both libraries and prints the table. */
export default async function webrtc(): Promise<void> {
  const stackVersion = (require('@roamhq/wrtc/package.json') as { version: string }).version;
  const stack = `@roamhq/wrtc ${stackVersion} (libwebrtc), loopback, Node ${process.version}`;
  const wrtc = require('@roamhq/wrtc') as WebRTCImplementation & Record<string, unknown>;

  const ours = await measure(rbnLibrary(wrtc));
  let theirs: { setup: number | string; fromCall: number | string; rtt: number | string };
  try {
    theirs = await withGlobals(wrtc, () => measure(competitorLibrary()));
  } catch (error) {
    const why = `n/a (${error instanceof Error ? error.message : String(error)})`;
    theirs = { setup: why, fromCall: why, rtt: why };
  }
  const rows: Row[] = [
    {
      metric: 'connection setup, first signal → both channels open (median of 20)',
      unit: 'ms',
      rbn: ours.setup,
      competitor: theirs.setup,
    },
    {
      metric: 'connection setup, connect() call → both channels open (median of 20)',
      unit: 'ms',
      rbn: ours.fromCall,
      competitor: theirs.fromCall,
    },
    {
      metric: '16-byte unreliable round trip, echoed (median of 20)',
      unit: 'ms',
      rbn: ours.rtt,
      competitor: theirs.rtt,
    },
  ];
  printTable(`WebRTC transport over ${stack}`, rows);
}
