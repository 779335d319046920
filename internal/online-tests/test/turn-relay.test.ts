import { afterEach, describe, expect, it } from 'vitest';
import { SessionState } from '@rbn/session';
import type { WebRTCImplementation } from '@rbn/transport-webrtc';
import { startCoturn } from '../src/coturn';
import type { Coturn } from '../src/coturn';
import { NodePeers, wrtc } from '../src/node-peers';
import { useSignalingServers } from '../src/signaling-server';

const SECRET = 'rbn-relay-test-secret';
const { start } = useSignalingServers();
let peers = new NodePeers();
let coturn: Coturn | undefined;
afterEach(async () => {
  peers.closeAll();
  peers = new NodePeers();
  await coturn?.close();
  coturn = undefined;
});

/** `@roamhq/wrtc` with a peer connection class that remembers every connection it made. */
function recordingWrtc(connections: RTCPeerConnection[]): WebRTCImplementation {
  // WebRTCImplementation types the class as unknown; @roamhq/wrtc's is the standard one.
  const Base = wrtc.RTCPeerConnection as typeof RTCPeerConnection;
  class Recording extends Base {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      connections.push(this);
    }
  }
  return { ...wrtc, RTCPeerConnection: Recording };
}

type StatsEntry = Record<string, string | number | boolean | undefined> & {
  id: string;
  type: string;
};

/** The local and remote candidate types of a connection's selected candidate pair. */
async function selectedPair(connection: RTCPeerConnection) {
  const stats = [...(await connection.getStats()).values()] as StatsEntry[];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const transport = stats.find((s) => s.type === 'transport');
  const pair =
    (transport?.['selectedCandidatePairId'] !== undefined
      ? byId.get(String(transport['selectedCandidatePairId']))
      : undefined) ??
    stats.find((s) => s.type === 'candidate-pair' && s['state'] === 'succeeded' && s['nominated']);
  const local = pair ? byId.get(String(pair['localCandidateId'])) : undefined;
  const remote = pair ? byId.get(String(pair['remoteCandidateId'])) : undefined;
  return {
    local: local?.['candidateType'],
    remote: remote?.['candidateType'],
    bytesSent: Number(pair?.['bytesSent'] ?? 0),
    bytesReceived: Number(pair?.['bytesReceived'] ?? 0),
  };
}

describe('TURN relay (coturn) through joinOnline', () => {
  it("connects two peers relay-only with the signaling server's TURN credentials, and plays over the relay", async () => {
    coturn = await startCoturn(SECRET);
    const server = await start({ turn: { secret: SECRET, urls: [coturn.url] } });
    const url = `${server.wsUrl}/relay?next=2`;
    const connections: RTCPeerConnection[] = [];
    const options = {
      wrtc: recordingWrtc(connections),
      rtcConfiguration: { iceTransportPolicy: 'relay' as const },
    };
    await Promise.all([peers.join(url, 0, options), peers.join(url, 1, options)]);
    await peers.waits.until(
      () => peers.peers.every((p) => p.session.state === SessionState.Playing),
      'the relay-only game starting',
      90_000,
      peers.status,
    );
    await peers.allConfirmed(120);

    expect(connections).toHaveLength(2);
    for (const connection of connections) {
      const { iceServers, iceTransportPolicy } = connection.getConfiguration();
      expect(iceTransportPolicy).toBe('relay');
      // The server's TURN entry came on top of the default STUN server.
      const urls = (iceServers ?? []).flatMap((s) => [s.urls].flat());
      expect(urls).toEqual(['stun:stun.l.google.com:19302', coturn.url]);
      const pair = await selectedPair(connection);
      expect(pair, coturn.log().slice(-2000)).toMatchObject({ local: 'relay' });
      expect(pair.bytesSent).toBeGreaterThan(0);
      expect(pair.bytesReceived).toBeGreaterThan(0);
    }
  });
});
