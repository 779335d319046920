import { withDefaultStun } from '@rbn/transport-webrtc';
import type { WebRTCTransportOptions } from '@rbn/transport-webrtc';
import type { IceServer } from '../protocol';

/**
 * The ICE settings of `joinOnline`'s transport: the signaling server's entries (TURN with
 * credentials) ADDED to the caller's `iceServers`, never replacing them. A server without TURN
 * sends `[]`, and a configuration left with no STUN server only finds host candidates, which
 * connect on localhost and a LAN and fail across NATs.
 *
 * Without `iceServers` of the caller's, the list goes through `withDefaultStun` of
 * `@rbn/transport-webrtc`, so it always starts with a STUN server (`DEFAULT_STUN_SERVER`).
 * With them (even `[]`), they are the caller's choice: used as given plus the server's entries,
 * and the transport adds no STUN server of its own (`defaultStunServer: null`).
 * @param fromServer - The welcome's `iceServers`.
 * @param base - The caller's configuration; its other fields (`iceTransportPolicy`, …) are kept.
 * @returns The transport's `rtcConfiguration` and `defaultStunServer`; neither argument changes.
 */
export function iceOptions(
  fromServer: readonly IceServer[],
  base: RTCConfiguration = {},
): Pick<WebRTCTransportOptions, 'rtcConfiguration' | 'defaultStunServer'> {
  const added = fromServer.map((entry): RTCIceServer => {
    const server: RTCIceServer = { urls: [...entry.urls] };
    if (entry.username !== undefined) server.username = entry.username;
    if (entry.credential !== undefined) server.credential = entry.credential;
    return server;
  });
  const own = base.iceServers;
  if (own === undefined) {
    return { rtcConfiguration: { ...base, iceServers: withDefaultStun(added) } };
  }
  return {
    rtcConfiguration: { ...base, iceServers: [...own.map((s) => ({ ...s })), ...added] },
    defaultStunServer: null,
  };
}
