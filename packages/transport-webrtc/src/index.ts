export { WebRTCTransport } from './webrtc-transport';
export type { WebRTCChannelStats } from './webrtc-transport';
export { DEFAULT_STUN_SERVER, withDefaultStun } from './options';
export type { WebRTCTransportOptions } from './options';
export { isWebRTCSignal } from './signaling';
export type { WebRTCSignal, SignalingCallbacks, WebRTCDisconnectReason } from './signaling';
export type {
  SimplePeerConstructor,
  SimplePeerLike,
  SimplePeerOptions,
  SimplePeerSignalData,
  WebRTCImplementation,
} from './simple-peer-types';
