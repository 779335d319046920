import { sdpUfrag } from './internal/sdp';
import type { SimplePeerSignalData } from './simple-peer-types';

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
 * - `'keepalive-timeout'`: nothing arrived from the peer for `keepaliveTimeoutMs` (a killed tab,
 *   a dead network path): the transport closed the connection itself;
 * - `'error'`: any other error of the peer connection or a data channel.
 */
export type WebRTCDisconnectReason =
  | 'local'
  | 'remote-closed'
  | 'replaced'
  | 'ice-failed'
  | 'connection-failed'
  | 'keepalive-timeout'
  | 'error';

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

/**
 * Turns a signal simple-peer emitted into the {@link WebRTCSignal} to send. Candidates are
 * tagged with the ICE username fragment of the local description, so the remote side can
 * ignore candidates of an abandoned attempt.
 * @param data - simple-peer's signal.
 * @param localSdp - The connection's local description, if any.
 * @returns The signal, or `null` for one that is not sent (a description without SDP, a
 * renegotiation or transceiver request).
 */
export function outgoingSignal(
  data: SimplePeerSignalData,
  localSdp: string | undefined,
): WebRTCSignal | null {
  if (data.type === 'offer' || data.type === 'answer' || data.type === 'pranswer') {
    if (data.sdp === undefined) return null;
    return { type: 'description', description: { type: data.type, sdp: data.sdp } };
  }
  if (data.type === 'candidate') {
    const candidate: RTCIceCandidateInit = { ...data.candidate };
    const ufrag = sdpUfrag(localSdp);
    if (candidate.usernameFragment == null && ufrag !== undefined) {
      candidate.usernameFragment = ufrag;
    }
    return { type: 'candidate', candidate };
  }
  return null;
}
