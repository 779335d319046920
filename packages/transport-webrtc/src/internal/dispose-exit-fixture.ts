// Run by webrtc-transport.test.ts in a child Node process: opens real WebRTC connections,
// uses them, disposes the transports and returns. The process must then exit by itself; a
// peer connection, channel or timer left behind would keep it alive. With `--disconnect`,
// nothing is disposed: each connection is closed by `disconnect(peer)` on one side only (the
// other side sees the remote close), and the pending attempt by `disconnect` as well. With
// `--skip-dispose` (the control), the connections stay open.
import type { WebRTCImplementation } from '../simple-peer-types';
import { createTestMesh } from './test-mesh';

const wrtcModule = (await import('@roamhq/wrtc')) as { default?: unknown };
const wrtc = (wrtcModule.default ?? wrtcModule) as WebRTCImplementation;
const skipDispose = process.argv.includes('--skip-dispose');
const disconnectOnly = process.argv.includes('--disconnect');

const mesh = createTestMesh({
  wrtc,
  rtcConfiguration: { iceServers: [] },
  defaultStunServer: null,
  metricsInterval: 50,
});
const a = mesh.add('a');
const b = mesh.add('b');
mesh.add('c');
let received = 0;
b.onMessage = () => received++;
await Promise.all([a.connect('b'), a.connect('c'), b.connect('c')]);
a.send('b', new Uint8Array([1]), true);
a.send('b', new Uint8Array([2]), false);
await a.refreshConnectionMetrics('b');
while (received === 0) await new Promise((resolve) => setTimeout(resolve, 5));
// An attempt that will never open (its signals go nowhere) must be released too.
mesh.deliver = false;
const pending = a.connect('ghost').catch((error: unknown) => error);
if (skipDispose) {
  process.stdout.write('not disposed\n');
} else if (disconnectOnly) {
  a.disconnect('b');
  a.disconnect('c');
  a.disconnect('ghost');
  b.disconnect('c');
  const outcome = await pending;
  process.stdout.write(`disconnected; the pending connect ended with: ${String(outcome)}\n`);
} else {
  mesh.dispose();
  const outcome = await pending;
  process.stdout.write(`disposed; the pending connect ended with: ${String(outcome)}\n`);
}
