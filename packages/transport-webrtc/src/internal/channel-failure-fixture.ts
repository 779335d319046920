// Run by webrtc-transport.test.ts in a child Node process: the WebRTC stack refuses to open the
// unreliable channel, so a `connect` and an incoming offer each create a peer connection that
// cannot be used. Both must be released at once: the process must then exit by itself, with no
// dispose (a peer connection left open kept Node alive for about 30 s).
import type { WebRTCImplementation } from '../simple-peer-types';
import { WebRTCTransport } from '../webrtc-transport';

type CreateDataChannel = (
  this: RTCPeerConnection,
  label: string,
  init?: RTCDataChannelInit,
) => RTCDataChannel;

const wrtcModule = (await import('@roamhq/wrtc')) as { default?: unknown };
const wrtc = (wrtcModule.default ?? wrtcModule) as WebRTCImplementation;
const proto = (wrtc.RTCPeerConnection as { prototype: object }).prototype;
const createDataChannel = Reflect.get(proto, 'createDataChannel') as CreateDataChannel;
Reflect.set(proto, 'createDataChannel', function (
  this: RTCPeerConnection,
  label: string,
  init?: RTCDataChannelInit,
) {
  if (label === 'rbn-unreliable') throw new TypeError('the stack refuses this channel');
  return createDataChannel.call(this, label, init);
} satisfies CreateDataChannel);

const transport = new WebRTCTransport('a', {
  wrtc,
  rtcConfiguration: { iceServers: [] },
  defaultStunServer: null,
});
transport.setSignalingCallbacks({ onSignal: () => undefined });
const outcome = await transport.connect('b').catch((error: unknown) => error);
transport.handleSignal('c', {
  type: 'description',
  description: { type: 'offer', sdp: 'v=0\r\n' },
});
process.stdout.write(`not disposed; connect ended with: ${String(outcome)}\n`);
