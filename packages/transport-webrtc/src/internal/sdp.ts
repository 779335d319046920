/**
 * ICE username fragments identify one ICE session of one peer connection. Signals of a peer
 * connection that was abandoned (the losing side of glare, or a restarted peer) carry a
 * different fragment than the current one, which is how stale candidates are told apart.
 */

const SDP_UFRAG = /^a=ice-ufrag:(\S+)/m;
const CANDIDATE_UFRAG = /\sufrag\s(\S+)/;

/**
 * The ICE username fragment of a session description.
 * @param sdp - The SDP text.
 * @returns The first `a=ice-ufrag` value, or `undefined` when there is none.
 */
export function sdpUfrag(sdp: string | undefined): string | undefined {
  if (sdp === undefined) return undefined;
  return SDP_UFRAG.exec(sdp)?.[1];
}

/**
 * The ICE username fragment of a candidate: its `usernameFragment`, else the `ufrag` attribute
 * some stacks (libwebrtc) write into the candidate line.
 * @param candidate - The candidate.
 * @returns The fragment, or `undefined` when the candidate does not say.
 */
export function candidateUfrag(candidate: RTCIceCandidateInit): string | undefined {
  if (typeof candidate.usernameFragment === 'string' && candidate.usernameFragment !== '') {
    return candidate.usernameFragment;
  }
  if (typeof candidate.candidate !== 'string') return undefined;
  return CANDIDATE_UFRAG.exec(candidate.candidate)?.[1];
}
