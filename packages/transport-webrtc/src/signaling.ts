/**
 * One signaling message between two {@link WebRTCTransport}s: plain JSON, so any channel (a
 * WebSocket, HTTP, a chat) can carry it with `JSON.stringify`/`JSON.parse`.
 */
export type WebRTCSignal =
  | { type: 'description'; description: RTCSessionDescriptionInit }
  | { type: 'candidate'; candidate: RTCIceCandidateInit };

/** Callbacks through which a {@link WebRTCTransport} sends its signals. */
export interface SignalingCallbacks {
  /**
   * Called with every signal the transport needs delivered to a remote peer. Deliver the
   * signals of one peer in order (a WebSocket does) and hand them to the remote transport's
   * `handleSignal` (or `handleRemoteDescription`/`handleRemoteCandidate`).
   * @param peerId - The peer the signal is for.
   * @param signal - The signal, plain JSON.
   */
  onSignal(peerId: string, signal: WebRTCSignal): void;
}

/**
 * Why a WebRTC connection closed, as reported by `onDisconnectReason`:
 * - `'local'`: `disconnect`, `disconnectAll` or `dispose` on this side;
 * - `'remote-closed'`: the remote side closed the connection (or its data channels);
 * - `'replaced'`: the remote peer started a new connection (for example after a reload);
 * - `'ice-failed'`: ICE connectivity failed (`iceConnectionState` became `failed`);
 * - `'connection-failed'`: the peer connection failed (`connectionState` became `failed`);
 * - `'error'`: any other error of the peer connection or a data channel.
 */
export type WebRTCDisconnectReason =
  'local' | 'remote-closed' | 'replaced' | 'ice-failed' | 'connection-failed' | 'error';

/** Checks that an untrusted value is a {@link WebRTCSignal}. */
export function isWebRTCSignal(value: unknown): value is WebRTCSignal {
  if (typeof value !== 'object' || value === null) return false;
  const signal = value as { type?: unknown; description?: unknown; candidate?: unknown };
  if (signal.type === 'description') return isDescription(signal.description);
  if (signal.type === 'candidate') return isCandidate(signal.candidate);
  return false;
}

/** A session description as this transport accepts it: an offer or answer with SDP text. */
export type RemoteDescription = { type: 'offer' | 'answer' | 'pranswer'; sdp: string };

/** Checks that an untrusted value is a session description with a type and SDP text. */
export function isDescription(value: unknown): value is RemoteDescription {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as { type?: unknown; sdp?: unknown };
  return (
    (d.type === 'offer' || d.type === 'answer' || d.type === 'pranswer') &&
    typeof d.sdp === 'string'
  );
}

/** Checks that an untrusted value is an ICE candidate with a candidate line. */
export function isCandidate(value: unknown): value is RTCIceCandidateInit {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as { candidate?: unknown };
  return typeof c.candidate === 'string';
}
