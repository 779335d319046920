import type { IceServer } from '../protocol';

/**
 * The STUN server used when the caller names none, the same one `@rbn/transport-webrtc` uses by
 * default. A public STUN server costs nothing to use and is what lets peers behind NATs find
 * their public address (server-reflexive candidates).
 */
export const DEFAULT_STUN_SERVER: RTCIceServer = { urls: 'stun:stun.l.google.com:19302' };

/**
 * The `RTCConfiguration` a peer connection gets: the caller's configuration (or the default STUN
 * server when it names no `iceServers`) with the signaling server's entries (TURN with
 * credentials) ADDED. The server's list never replaces the base: a server without TURN sends
 * `[]`, and replacing the STUN server with that leaves only host candidates, which connect on
 * localhost and a LAN and fail across NATs.
 *
 * A local merge until `@rbn/transport-webrtc` offers its own STUN-default helper; only
 * `joinOnline` uses it.
 * @param fromServer - The welcome's `iceServers`.
 * @param base - The caller's configuration; its `iceServers`, when given (even `[]`), replace
 *   the default STUN server, and its other fields (`iceTransportPolicy`, …) are kept.
 * @returns A new configuration; neither argument is changed.
 */
export function mergeIceServers(
  fromServer: readonly IceServer[],
  base: RTCConfiguration = {},
): RTCConfiguration {
  const own = base.iceServers ?? [DEFAULT_STUN_SERVER];
  const added = fromServer.map((entry): RTCIceServer => {
    const server: RTCIceServer = { urls: [...entry.urls] };
    if (entry.username !== undefined) server.username = entry.username;
    if (entry.credential !== undefined) server.credential = entry.credential;
    return server;
  });
  return { ...base, iceServers: [...own.map((s) => ({ ...s })), ...added] };
}
