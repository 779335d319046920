// Run by hostile.test.ts in a child Node process (a native crash must not take the test runner
// down): round after round, one side closes a connection while the other keeps sending on both
// channels. The process must print "survived" and exit 0; @roamhq/wrtc used to crash (SIGSEGV)
// here when the closing side closed its unreliable channel before its peer connection.
import type { WebRTCImplementation } from '../simple-peer-types';
import { createTestMesh, waitFor } from './test-mesh';

const wrtcModule = (await import('@roamhq/wrtc')) as { default?: unknown };
const wrtc = (wrtcModule.default ?? wrtcModule) as WebRTCImplementation;
const rounds = Number(process.argv[2] ?? '12');

for (let round = 0; round < rounds; round++) {
  const mesh = createTestMesh({ wrtc, rtcConfiguration: { iceServers: [] } });
  const a = mesh.add('a');
  const b = mesh.add('b');
  await a.connect('b');
  await waitFor(() => b.connectedPeers.has('a'), 'b to accept a');
  b.disconnect('a');
  // a has not noticed yet: it keeps sending until it does.
  for (let i = 0; a.connectedPeers.size > 0; i++) {
    a.send('b', new Uint8Array([i & 0xff]), i % 2 === 0);
    if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  mesh.dispose();
}
process.stdout.write(`survived ${rounds} rounds\n`);
