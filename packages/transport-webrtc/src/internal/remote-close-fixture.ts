// Run by hostile.test.ts in a child Node process (a native crash must not take the test runner
// down): round after round, one side closes a connection and the other at once sends a burst on
// both channels. The process must print "survived" and exit 0; @roamhq/wrtc used to crash
// (SIGSEGV) here nearly every time, when the closing side closed its unreliable channel before
// its peer connection. (A send that races the remote's close inside libwebrtc can still crash
// @roamhq/wrtc, rarely; see the README.)
import type { WebRTCImplementation } from '../simple-peer-types';
import { createTestMesh, waitFor } from './test-mesh';

const wrtcModule = (await import('@roamhq/wrtc')) as { default?: unknown };
const wrtc = (wrtcModule.default ?? wrtcModule) as WebRTCImplementation;
const rounds = Number(process.argv[2] ?? '12');

for (let round = 0; round < rounds; round++) {
  const mesh = createTestMesh({
    wrtc,
    rtcConfiguration: { iceServers: [] },
    defaultStunServer: null,
  });
  const a = mesh.add('a');
  const b = mesh.add('b');
  await a.connect('b');
  await waitFor(() => b.connectedPeers.has('a'), 'b to accept a');
  b.disconnect('a');
  // a has not noticed yet: a burst of sends on both channels hits them while they close.
  for (let i = 0; i < 20; i++) a.send('b', new Uint8Array([i]), i % 2 === 0);
  await waitFor(() => a.connectedPeers.size === 0, 'a to notice');
  mesh.dispose();
}
process.stdout.write(`survived ${rounds} rounds\n`);
