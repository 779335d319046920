/**
 * One signaling message as simple-peer emits and accepts it: a session description, an ICE
 * candidate, or a renegotiation request (which this transport never needs).
 */
export type SimplePeerSignalData =
  | { type: 'offer' | 'answer' | 'pranswer' | 'rollback'; sdp?: string }
  | { type: 'candidate'; candidate: RTCIceCandidateInit }
  | { type?: undefined; renegotiate?: boolean; transceiverRequest?: unknown };

/** The simple-peer constructor options {@link WebRTCTransport} passes. */
export interface SimplePeerOptions {
  /** Whether this side creates the offer. */
  initiator: boolean;
  /** Configuration of the data channel simple-peer creates (the reliable channel). */
  channelConfig: RTCDataChannelInit;
  /** Label of that channel. */
  channelName: string;
  /** The `RTCPeerConnection` configuration. */
  config: RTCConfiguration;
  /** Trickle ICE (always `true`: candidates are signaled as they are found). */
  trickle: boolean;
  /** The WebRTC implementation, when not the environment's own. */
  wrtc?: WebRTCImplementation;
}

/**
 * The part of a simple-peer (v9 API) connection {@link WebRTCTransport} uses. simple-peer@9
 * and API-compatible builds satisfy it.
 */
export interface SimplePeerLike {
  /** Whether the connection has been destroyed. */
  readonly destroyed: boolean;
  /** The underlying peer connection (simple-peer's `_pc`; `null` once destroyed). */
  readonly _pc: RTCPeerConnection | null;
  /** The data channel simple-peer opened (`null` until set up and once destroyed). */
  readonly _channel: RTCDataChannel | null;
  /** Applies a remote signal. */
  signal(data: SimplePeerSignalData): void;
  /** Queues bytes on simple-peer's channel, respecting its buffered-amount backpressure. */
  write(chunk: Uint8Array): boolean;
  /** Closes the channel and the peer connection. */
  destroy(error?: Error): void;
  /** Subscribes to a simple-peer event. */
  on(event: 'signal', listener: (data: SimplePeerSignalData) => void): this;
  on(event: 'connect' | 'close', listener: () => void): this;
  on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
}

/** A simple-peer constructor (the default export of `simple-peer`). */
export type SimplePeerConstructor = new (options: SimplePeerOptions) => SimplePeerLike;

/**
 * A WebRTC implementation for environments without one (Node): an object with the three
 * classes, such as the module `@roamhq/wrtc`.
 */
export interface WebRTCImplementation {
  /** The `RTCPeerConnection` class. */
  RTCPeerConnection: unknown;
  /** The `RTCSessionDescription` class. */
  RTCSessionDescription: unknown;
  /** The `RTCIceCandidate` class. */
  RTCIceCandidate: unknown;
}
