import { RbnError } from '@rbn/protocol';
import type { ConnectionMetrics } from '@rbn/protocol';
import { newLiveness } from './keepalive';
import type { Liveness } from './keepalive';
import type { ResolvedOptions } from './options';
import { ReliableQueue } from './reliable-queue';
import type { WebRTCDisconnectReason } from './signaling';
import type { SimplePeerLike } from './simple-peer-types';

/** A pending `connect` call. */
export type Waiter = { resolve: () => void; reject: (error: Error) => void };

/** The state of one simple-peer connection to a peer; replaced whole when the peer reconnects. */
export type Connection = {
  peer: SimplePeerLike;
  /** The reliable channel (simple-peer's, once it exists) and its send queue. */
  reliable: ReliableQueue;
  unreliable: RTCDataChannel;
  /** Whether this connection created the offer. */
  initiator: boolean;
  /** simple-peer reported `connect` or its channel (the reliable one) opened. */
  peerReady: boolean;
  /** The unreliable channel is open. */
  unreliableReady: boolean;
  hasRemoteDescription: boolean;
  /** ICE username fragment of the remote description in use. */
  remoteUfrag: string | undefined;
  pendingCandidates: RTCIceCandidateInit[];
  earlyMessages: Uint8Array[];
  lastError: (Error & { code?: string }) | undefined;
  /** The unreliable channel's bufferedAmount when last read. */
  knownBuffered: number;
  /** Bytes sent on the unreliable channel since then. */
  sentSinceRead: number;
  /** Keepalive bookkeeping (reset when the connection opens). */
  liveness: Liveness;
};

/** Everything about one remote peer, from the first signal until it is closed. */
export type PeerEntry = Connection & {
  readonly id: string;
  /** Both channels are open and `onConnect` fired. */
  connected: boolean;
  waiters: Waiter[];
  /** The connect timeout. */
  timer: ReturnType<typeof setTimeout> | undefined;
  metrics: ConnectionMetrics | null;
  maxMessageSize: number;
  /** Unreliable messages dropped. */
  dropped: number;
  /** Keepalive frames sent to the peer. */
  keepalivesSent: number;
  /** Keepalive frames received from the peer. */
  keepalivesReceived: number;
};

/**
 * The fields of a new simple-peer connection: the one place they start from, for a new peer
 * and for a connection that replaces an abandoned attempt (glare, a restart).
 * @param peer - The simple-peer connection.
 * @param unreliable - Its unreliable channel.
 * @param initiator - Whether it offers.
 * @param usable - Whether the connection may still be written to (see {@link ReliableQueue}).
 * @returns The connection state.
 */
export function newConnection(
  peer: SimplePeerLike,
  unreliable: RTCDataChannel,
  initiator: boolean,
  usable: () => boolean,
): Connection {
  return {
    peer,
    reliable: new ReliableQueue(usable),
    unreliable,
    initiator,
    peerReady: false,
    unreliableReady: false,
    hasRemoteDescription: false,
    remoteUfrag: undefined,
    pendingCandidates: [],
    earlyMessages: [],
    lastError: undefined,
    knownBuffered: 0,
    sentSinceRead: 0,
    liveness: newLiveness(0),
  };
}

/**
 * A new peer entry, not yet connected.
 * @param id - The remote peer's id.
 * @param maxMessageSize - The transport's message limit (lowered when the connection opens).
 * @param connection - Its first connection, from {@link newConnection}.
 * @returns The entry.
 */
export function newPeerEntry(
  id: string,
  maxMessageSize: number,
  connection: Connection,
): PeerEntry {
  return {
    ...connection,
    id,
    connected: false,
    waiters: [],
    timer: undefined,
    metrics: null,
    maxMessageSize,
    dropped: 0,
    keepalivesSent: 0,
    keepalivesReceived: 0,
  };
}

/**
 * Why a connection closed, from simple-peer's last error.
 * @param error - The error simple-peer reported before `close`, if any.
 * @returns The reason reported through `onDisconnectReason`.
 */
export function disconnectReason(
  error: (Error & { code?: string }) | undefined,
): WebRTCDisconnectReason {
  switch (error?.code) {
    case undefined:
    case 'ERR_ICE_CONNECTION_CLOSED':
    case 'ERR_DATA_CHANNEL':
      return 'remote-closed';
    case 'ERR_ICE_CONNECTION_FAILURE':
      return 'ice-failed';
    case 'ERR_CONNECTION_FAILURE':
      return 'connection-failed';
    default:
      return 'error';
  }
}

/**
 * Destroys a simple-peer connection and everything it keeps running.
 * @param peer - The connection.
 */
export function releasePeer(peer: SimplePeerLike): void {
  peer.on('error', () => undefined); // nobody may be listening any more
  peer.destroy();
  // simple-peer@9 never clears its 5 s "ICE complete" timer on destroy, which would keep
  // Node alive for 5 s after the last connection closed.
  clearTimeout((peer as { _iceCompleteTimer?: ReturnType<typeof setTimeout> })._iceCompleteTimer);
}

/**
 * Creates a simple-peer connection with its unreliable channel. On failure nothing of it is
 * left open.
 * @param options - The transport's options (simple-peer, channel configs, ICE servers, wrtc).
 * @param peerId - The remote peer (named in errors).
 * @param initiator - Whether this side offers.
 * @returns The connection and its unreliable channel.
 * @throws RbnError `WEBRTC_UNSUPPORTED` or `CONNECT_FAILED`.
 */
export function openPeer(
  options: ResolvedOptions,
  peerId: string,
  initiator: boolean,
): { peer: SimplePeerLike; unreliable: RTCDataChannel } {
  let peer: SimplePeerLike;
  try {
    peer = new options.SimplePeer({
      initiator,
      channelConfig: options.reliableChannelConfig,
      channelName: 'rbn-reliable',
      config: options.rtcConfiguration,
      trickle: true,
      ...(options.wrtc ? { wrtc: options.wrtc } : {}),
    });
  } catch (error) {
    throw new RbnError(
      'WEBRTC_UNSUPPORTED',
      'cannot create a WebRTC peer connection: this environment has no RTCPeerConnection (in Node, pass the wrtc option, e.g. the module @roamhq/wrtc)',
      { cause: error },
    );
  }
  const pc = peer._pc;
  if (pc === null) {
    releasePeer(peer);
    throw new RbnError('WEBRTC_UNSUPPORTED', 'cannot create a WebRTC peer connection');
  }
  let unreliable: RTCDataChannel;
  try {
    unreliable = pc.createDataChannel('rbn-unreliable', options.unreliableChannelConfig);
  } catch (error) {
    // Not wired to an entry yet, so nothing else would ever close this connection.
    releasePeer(peer);
    throw new RbnError(
      'CONNECT_FAILED',
      `cannot open the unreliable data channel to peer "${peerId}" (check unreliableChannelConfig): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  unreliable.binaryType = 'arraybuffer';
  return { peer, unreliable };
}
