/**
 * Link-level measurements a transport may report for one remote peer.
 * Every field is optional: a transport reports what it can measure.
 */
export interface ConnectionMetrics {
  /** Round-trip time to the peer, in milliseconds. */
  rtt?: number;
  /** Bytes sent to the peer since the connection opened. */
  bytesSent?: number;
  /** Bytes received from the peer since the connection opened. */
  bytesReceived?: number;
  /** Packets (or messages) sent to the peer since the connection opened. */
  packetsSent?: number;
  /** Packets (or messages) received from the peer since the connection opened. */
  packetsReceived?: number;
  /** Packets known to be lost on the way to the peer, where the transport can tell. */
  packetsLost?: number;
}

/**
 * The contract between a session and the network. Sessions only ever talk to peers through
 * this interface, so any transport (WebRTC, in-memory, a wrapper) can carry a game.
 *
 * Messages are whole byte strings: a transport never splits or merges them (a wrapper such as
 * `TransformingTransport` may, as long as it hands whole messages back up).
 */
export interface TransportAdapter {
  /**
   * Opens a connection to a peer.
   * @param peerId - The remote peer's id.
   * @returns A promise that resolves once messages can flow both ways, or rejects with an
   * error that names the peer and the reason.
   */
  connect(peerId: string): Promise<void>;
  /**
   * Closes the connection to one peer. Fires `onDisconnect` for it if it was connected.
   * Disconnecting a peer that is not connected does nothing.
   * @param peerId - The remote peer's id.
   */
  disconnect(peerId: string): void;
  /** Closes every connection and releases every resource (timers, sockets, peer connections). */
  disconnectAll(): void;

  /**
   * Sends one message to one peer. Never throws for an unknown or disconnected peer: the
   * message is dropped. Throws `RbnError` `'INVALID_ARGUMENT'` if `message` is not a
   * `Uint8Array`, before anything is sent (see `assertMessageBytes`); the transport
   * conformance suite holds every transport to this.
   * @param peerId - The remote peer's id.
   * @param message - The bytes to send. The transport copies or sends them before returning,
   * so the caller may reuse the buffer.
   * @param reliable - `true` for the reliable, ordered channel; `false` for the unreliable one
   * (messages may be lost, duplicated or reordered).
   */
  send(peerId: string, message: Uint8Array, reliable: boolean): void;
  /**
   * Sends one message to every connected peer. Throws like {@link TransportAdapter.send} for a
   * message that is not a `Uint8Array`.
   * @param message - The bytes to send; may be reused by the caller after the call.
   * @param reliable - Which channel to use, as for {@link TransportAdapter.send}.
   */
  broadcast(message: Uint8Array, reliable: boolean): void;

  /** Called with every whole message received from a peer. Set by the session. */
  onMessage: ((peerId: string, message: Uint8Array) => void) | null;
  /** Called when a connection to a peer opens (on both sides). Set by the session. */
  onConnect: ((peerId: string) => void) | null;
  /** Called when a connection to a peer closes for any reason (on both sides). Set by the session. */
  onDisconnect: ((peerId: string) => void) | null;

  /** The peers a connection is currently open to. */
  readonly connectedPeers: ReadonlySet<string>;
  /** This transport's own peer id. */
  readonly localPeerId: string;

  /**
   * Optional link measurements for one peer.
   * @param peerId - The remote peer's id.
   * @returns The metrics, or `null` when the peer is unknown or nothing is measured.
   */
  getConnectionMetrics?(peerId: string): ConnectionMetrics | null;
}
