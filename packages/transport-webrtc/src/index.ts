export { WebRTCTransport } from './webrtc-transport';
export type { WebRTCTransportOptions, WebRTCChannelStats } from './webrtc-transport';
export { isWebRTCSignal } from './signaling';
export type { WebRTCSignal, SignalingCallbacks, WebRTCDisconnectReason } from './signaling';
export type {
  SimplePeerConstructor,
  SimplePeerLike,
  SimplePeerOptions,
  SimplePeerSignalData,
  WebRTCImplementation,
} from './simple-peer-types';
