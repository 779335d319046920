import { RbnError, assertMessageBytes } from '@rbn/protocol';
import type { ConnectionMetrics, TransportAdapter } from '@rbn/protocol';
import {
  HIDDEN_INTERVAL_MS,
  announcedIntervalMs,
  checkPeriodMs,
  checkRanLate,
  documentHidden,
  forgiveStall,
  keepaliveFrame,
  livenessDecision,
  newLiveness,
} from './keepalive';
import type { KeepaliveSettings } from './keepalive';
import { candidateUfrag, sdpUfrag } from './internal/sdp';
import { metricsFromStats } from './internal/stats';
import { resolveOptions } from './options';
import type { ResolvedOptions, WebRTCTransportOptions } from './options';
import { disconnectReason, newConnection, newPeerEntry, openPeer, releasePeer } from './peer-entry';
import type { Connection, PeerEntry } from './peer-entry';
import { RELIABLE_LOW_WATER } from './reliable-queue';
import { isCandidate, isDescription, isWebRTCSignal, outgoingSignal } from './signaling';
import type { SignalingCallbacks, WebRTCDisconnectReason } from './signaling';
import type { SimplePeerLike, SimplePeerSignalData } from './simple-peer-types';

export type { WebRTCTransportOptions } from './options';

/** Candidates kept for a peer while its remote description has not arrived. */
const MAX_PENDING_CANDIDATES = 64;
/** Messages kept for a peer whose channels delivered data before both were open. */
const MAX_EARLY_MESSAGES = 1024;
/**
 * Longest SDP text accepted from the network, in characters. A data-channel offer is about a
 * kilobyte; anything this large is garbage and is ignored before it reaches the WebRTC stack.
 */
const MAX_SDP_LENGTH = 128 * 1024;
/** Longest ICE candidate line accepted from the network (real ones are under 300 characters). */
const MAX_CANDIDATE_LENGTH = 4096;

/** Whether an untrusted value can be a remote peer id: a non-empty string. */
function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Send-side state of the two channels to one peer, from {@link WebRTCTransport.getChannelStats}. */
export type WebRTCChannelStats = {
  /** Bytes queued on the reliable channel. */
  reliableBufferedAmount: number;
  /** Bytes queued on the unreliable channel. */
  unreliableBufferedAmount: number;
  /** Unreliable messages dropped because the channel was above `maxBufferedAmount`. */
  unreliableDropped: number;
  /** The largest message `send` accepts for this peer, in bytes. */
  maxMessageSize: number;
  /** Keepalive frames sent to this peer (see `keepaliveIntervalMs`). */
  keepalivesSent: number;
  /** Keepalive frames received from this peer (they never reach `onMessage`). */
  keepalivesReceived: number;
};

function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void } | null)?.unref?.();
}

/**
 * A {@link TransportAdapter} over WebRTC data channels: one simple-peer connection per remote
 * peer, each with a reliable ordered channel (`send(..., true)`) and an unreliable unordered
 * channel without retransmits (`send(..., false)`). Signals are plain JSON handed to your
 * signaling channel through {@link WebRTCTransport.setSignalingCallbacks}; incoming
 * connections are accepted when their signals arrive. When both sides connect at once, the
 * side with the lower peer id keeps its offer and the other side answers it.
 *
 * @example
 * ```ts
 * import { WebRTCTransport } from '@rbn/transport-webrtc';
 *
 * const transport = new WebRTCTransport('alice');
 * transport.setSignalingCallbacks({
 *   onSignal: (peerId, signal) => socket.send(JSON.stringify({ to: peerId, signal })),
 * });
 * socket.onmessage = (event) => {
 *   const { from, signal } = JSON.parse(event.data);
 *   transport.handleSignal(from, signal);
 * };
 * transport.onMessage = (peerId, bytes) => console.log(peerId, bytes);
 * await transport.connect('bob');
 * transport.send('bob', new Uint8Array([1, 2, 3]), true);
 * ```
 */
export class WebRTCTransport implements TransportAdapter {
  /** This transport's own peer id. */
  readonly localPeerId: string;
  /** Called with every whole message received from a peer (a fresh `Uint8Array`). */
  onMessage: ((peerId: string, message: Uint8Array) => void) | null = null;
  /** Called when both channels to a peer are open, on both sides. */
  onConnect: ((peerId: string) => void) | null = null;
  /** Called when an open connection to a peer closes, for any reason, on both sides. */
  onDisconnect: ((peerId: string) => void) | null = null;
  /**
   * Called right after `onDisconnect` with why the connection closed, and the underlying
   * error when there was one.
   */
  onDisconnectReason:
    ((peerId: string, reason: WebRTCDisconnectReason, error: Error | undefined) => void) | null =
    null;

  private readonly peers = new Map<string, PeerEntry>();
  private readonly connected = new Set<string>();
  private readonly options: ResolvedOptions;
  private readonly keepalive: KeepaliveSettings;
  /** How often the keepalive check runs (0: never). */
  private readonly keepalivePeriod: number;
  private signaling: SignalingCallbacks | null = null;
  private metricsTimer: ReturnType<typeof setInterval> | undefined;
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private lastCheckAt = 0;
  private disposed = false;
  /** Sends a keepalive to every peer at once when this document becomes hidden. */
  private readonly onVisibilityChange = (): void => {
    if (!documentHidden()) return;
    const now = this.options.now();
    for (const entry of this.peers.values()) if (entry.connected) this.sendKeepalive(entry, now);
  };

  /**
   * @param localPeerId - This peer's id, as the remote peers and the signaling channel know it.
   * @param options - See {@link WebRTCTransportOptions}.
   * @throws RbnError `INVALID_PEER_ID` for an empty `localPeerId`; `INVALID_CONFIG` naming the
   * option for an invalid one (a channel config WebRTC would refuse, a negative number).
   */
  constructor(localPeerId: string, options: WebRTCTransportOptions = {}) {
    if (typeof localPeerId !== 'string' || localPeerId === '') {
      throw new RbnError('INVALID_PEER_ID', 'WebRTCTransport needs a non-empty localPeerId');
    }
    this.localPeerId = localPeerId;
    this.options = resolveOptions(options);
    this.keepalive = {
      intervalMs: this.options.keepaliveIntervalMs,
      timeoutMs: this.options.keepaliveTimeoutMs,
    };
    this.keepalivePeriod = checkPeriodMs(this.keepalive);
  }

  /** The peers whose two channels are open. */
  get connectedPeers(): ReadonlySet<string> {
    return this.connected;
  }

  /**
   * Sets where outgoing signals go. Call it before `connect` or before handling any signal.
   * @param callbacks - `onSignal(peerId, signal)`, called for every signal to deliver.
   */
  setSignalingCallbacks(callbacks: SignalingCallbacks): void {
    this.signaling = callbacks;
  }

  /**
   * Opens a connection to a peer: creates an offer and signals it. Resolves when both channels
   * are open (the remote side accepts automatically when the signals reach it).
   * @param peerId - The remote peer's id.
   * @returns A promise that resolves once both channels are open, or rejects with an
   * `RbnError` naming the peer (`CONNECT_TIMEOUT`, `CONNECT_FAILED`, `NO_SIGNALING`, …).
   */
  connect(peerId: string): Promise<void> {
    if (this.disposed) {
      return Promise.reject(
        new RbnError(
          'TRANSPORT_DISPOSED',
          `cannot connect to peer "${peerId}": the WebRTCTransport was disposed`,
        ),
      );
    }
    if (typeof peerId !== 'string' || peerId === '' || peerId === this.localPeerId) {
      return Promise.reject(
        new RbnError('INVALID_PEER_ID', `cannot connect to peer "${String(peerId)}"`),
      );
    }
    if (this.signaling === null) {
      return Promise.reject(
        new RbnError(
          'NO_SIGNALING',
          `cannot connect to peer "${peerId}": call setSignalingCallbacks() first`,
        ),
      );
    }
    const existing = this.peers.get(peerId);
    if (existing?.connected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (existing) {
        existing.waiters.push(waiter);
        return;
      }
      try {
        const entry = this.createEntry(peerId, true);
        entry.waiters.push(waiter);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * Handles any signal from a remote peer (as produced by its `onSignal`). Malformed signals
   * are ignored: they come from the network. Nothing a remote peer sends makes this throw (see
   * {@link WebRTCTransport.handleRemoteDescription}).
   * @param peerId - The peer the signal came from.
   * @param signal - The signal, parsed from JSON (a `WebRTCSignal` when well formed).
   * @throws RbnError `NO_SIGNALING` or `WEBRTC_UNSUPPORTED`, as
   * {@link WebRTCTransport.handleRemoteDescription} does.
   */
  handleSignal(peerId: string, signal: unknown): void {
    // The two handlers check the peer id and whether this transport is disposed.
    if (!isWebRTCSignal(signal)) return;
    if (signal.type === 'description') this.handleRemoteDescription(peerId, signal.description);
    else this.handleRemoteCandidate(peerId, signal.candidate);
  }

  /**
   * Handles a remote session description. An offer from an unknown peer opens an incoming
   * connection (which fires `onConnect` when ready; if it never opens, it is released after
   * `connectTimeout`); an offer that crosses this side's own offer is dropped when this side's
   * peer id is the lower one, and answered otherwise. Malformed input (not an offer or answer
   * with SDP text, SDP over 128 KiB, an empty peer id) is ignored, and an answer nobody asked
   * for changes nothing. Nothing a remote peer sends makes this throw: a connection the WebRTC
   * stack fails to set up is released (a pending `connect` to that peer rejects).
   * @param peerId - The peer the description came from.
   * @param description - Its offer or answer.
   * @throws RbnError `NO_SIGNALING` (no `setSignalingCallbacks` yet) or `WEBRTC_UNSUPPORTED`
   * (no WebRTC implementation) when an offer arrives that this side cannot answer.
   */
  handleRemoteDescription(peerId: string, description: RTCSessionDescriptionInit): void {
    if (this.disposed || !isPeerId(peerId) || peerId === this.localPeerId) return;
    if (!isDescription(description) || description.sdp.length > MAX_SDP_LENGTH) return;
    const ufrag = sdpUfrag(description.sdp);
    let entry = this.peers.get(peerId);
    if (description.type === 'offer') {
      if (entry?.connected) {
        if (ufrag !== undefined && ufrag === entry.remoteUfrag) {
          this.signalPeer(entry, { type: 'offer', sdp: description.sdp }); // renegotiation
          return;
        }
        this.closeEntry(entry, 'replaced', undefined);
        entry = undefined;
      } else if (entry?.initiator) {
        // Glare: both sides offered. The lower peer id keeps its offer; the other answers.
        if (!entry.hasRemoteDescription && this.localPeerId < peerId) return;
        if (!this.tryReplacePeer(entry)) return;
      } else if (entry?.hasRemoteDescription && ufrag !== entry.remoteUfrag) {
        // The remote side restarted while we were answering.
        if (!this.tryReplacePeer(entry)) return;
      }
      entry ??= this.tryCreateIncoming(peerId);
      if (entry === undefined) return;
    } else {
      if (!entry?.initiator) return; // an answer nobody asked for (a stale connection)
      if (entry.hasRemoteDescription && ufrag !== entry.remoteUfrag) return;
    }
    entry.hasRemoteDescription = true;
    entry.remoteUfrag = ufrag;
    this.signalPeer(entry, { type: description.type, sdp: description.sdp });
    const pending = entry.pendingCandidates;
    entry.pendingCandidates = [];
    for (const candidate of pending) this.addCandidate(entry, candidate);
  }

  /**
   * Handles a remote ICE candidate. Candidates of an abandoned connection attempt (for
   * example the losing offer of glare) are recognised by their ICE username fragment and
   * ignored, as are candidates of unknown peers and malformed ones (no candidate line, or one
   * over 4 KiB). Candidates that arrive before the description are held (up to 64 per peer).
   * @param peerId - The peer the candidate came from.
   * @param candidate - The candidate.
   */
  handleRemoteCandidate(peerId: string, candidate: RTCIceCandidateInit): void {
    if (this.disposed || !isPeerId(peerId) || !isCandidate(candidate)) return;
    if ((candidate.candidate ?? '').length > MAX_CANDIDATE_LENGTH) return;
    const entry = this.peers.get(peerId);
    if (!entry) return;
    if (!entry.hasRemoteDescription) {
      if (entry.pendingCandidates.length < MAX_PENDING_CANDIDATES) {
        entry.pendingCandidates.push(candidate);
      }
      return;
    }
    this.addCandidate(entry, candidate);
  }

  /**
   * Sends one message to one peer on the reliable or the unreliable channel. Messages to a
   * peer that is not connected are dropped; unreliable messages are also dropped while the
   * unreliable channel holds more than `maxBufferedAmount` bytes.
   * @param peerId - The remote peer's id.
   * @param message - The bytes; copied or sent before this returns.
   * @param reliable - `true` for the reliable ordered channel, `false` for the unreliable one.
   * @throws RbnError `INVALID_ARGUMENT` when `message` is not a `Uint8Array` (whatever the
   * peer's state); `MESSAGE_TOO_LARGE` when it is larger than the connection's message limit.
   */
  send(peerId: string, message: Uint8Array, reliable: boolean): void {
    assertMessageBytes('WebRTCTransport.send', message);
    const entry = this.peers.get(peerId);
    if (!entry?.connected) return;
    // simple-peer destroys itself (closing the peer connection) when the remote side closes,
    // and reports `close` a moment later. In between, the channels must not be touched:
    // @roamhq/wrtc keeps a dangling pointer to a channel of a closed peer connection and
    // crashes the process (SIGSEGV) on a send. Browsers would throw.
    if (entry.peer.destroyed) return;
    if (message.byteLength > entry.maxMessageSize) {
      throw new RbnError(
        'MESSAGE_TOO_LARGE',
        `message of ${message.byteLength} bytes to peer "${peerId}" exceeds the WebRTC limit of ${entry.maxMessageSize} bytes (wrap the transport in TransformingTransport to segment large messages)`,
      );
    }
    if (reliable) {
      if (entry.reliable.send(message)) entry.liveness.lastSentAt = this.options.now();
      return;
    }
    const channel = entry.unreliable;
    // Same crash risk as above: never send on a channel that is not open.
    if (channel.readyState !== 'open') {
      entry.dropped++;
      return;
    }
    // bufferedAmount only grows by what we send, so `knownBuffered + sentSinceRead` bounds it
    // from above: the real value (a costly native call in some stacks) is read only when that
    // bound passes the threshold, about once per maxBufferedAmount bytes sent.
    if (entry.knownBuffered + entry.sentSinceRead > this.options.maxBufferedAmount) {
      entry.knownBuffered = channel.bufferedAmount;
      entry.sentSinceRead = 0;
      if (entry.knownBuffered > this.options.maxBufferedAmount) {
        entry.dropped++;
        return;
      }
    }
    try {
      channel.send(message as Uint8Array<ArrayBuffer>);
      entry.sentSinceRead += message.byteLength;
      entry.liveness.lastSentAt = this.options.now();
    } catch {
      entry.dropped++; // the channel is closing; its close event ends the connection
    }
  }

  /**
   * Sends one message to every connected peer.
   * @param message - The bytes; may be reused by the caller after the call.
   * @param reliable - Which channel, as for {@link WebRTCTransport.send}.
   * @throws RbnError `INVALID_ARGUMENT` when `message` is not a `Uint8Array` (even with no peer
   * connected); `MESSAGE_TOO_LARGE` as for {@link WebRTCTransport.send}.
   */
  broadcast(message: Uint8Array, reliable: boolean): void {
    assertMessageBytes('WebRTCTransport.broadcast', message);
    for (const peerId of this.connected) this.send(peerId, message, reliable);
  }

  /**
   * Closes the connection to one peer (or abandons a connection attempt, rejecting its
   * `connect`). Fires `onDisconnect` when it was open.
   * @param peerId - The remote peer's id.
   */
  disconnect(peerId: string): void {
    const entry = this.peers.get(peerId);
    if (entry) this.closeEntry(entry, 'local', undefined);
  }

  /** Closes every connection and connection attempt, and stops the metrics timer. */
  disconnectAll(): void {
    for (const entry of [...this.peers.values()]) this.closeEntry(entry, 'local', undefined);
    this.stopTimers();
  }

  /**
   * Closes everything (as {@link WebRTCTransport.disconnectAll}) and refuses new connections.
   * Afterwards no peer connection, channel or timer of this transport is left.
   */
  dispose(): void {
    this.disposed = true;
    this.disconnectAll();
  }

  /**
   * Runs the keepalive check now (the transport also runs it on its own timer, twice per
   * `keepaliveIntervalMs`): sends a keepalive to every connected peer nothing was sent to for
   * `keepaliveIntervalMs`, and closes, with reason `'keepalive-timeout'`, every connection
   * nothing arrived on for `keepaliveTimeoutMs`. A check that comes more than two periods after
   * the previous one (this side's event loop stalled) closes nothing: frames that waited
   * behind it are read first. Useful with an injected `now` in tests.
   */
  checkLiveness(): void {
    if (this.keepalivePeriod === 0) return;
    const now = this.options.now();
    const late = checkRanLate(this.lastCheckAt, now, this.keepalivePeriod);
    this.lastCheckAt = now;
    for (const entry of [...this.peers.values()]) {
      if (!entry.connected) continue;
      if (late) forgiveStall(entry.liveness, now, this.keepalive, this.keepalivePeriod);
      const decision = livenessDecision(entry.liveness, now, this.keepalive);
      if (decision === 'timed-out') {
        const silentMs = Math.round(now - entry.liveness.lastHeardAt);
        this.closeEntry(
          entry,
          'keepalive-timeout',
          new RbnError(
            'KEEPALIVE_TIMEOUT',
            `nothing arrived from peer "${entry.id}" for ${silentMs} ms (keepaliveTimeoutMs ${this.keepalive.timeoutMs})`,
          ),
        );
      } else if (decision === 'send-keepalive') {
        this.sendKeepalive(entry, now);
      }
    }
  }

  /**
   * The last link measurements of a peer: round-trip time of the selected ICE candidate pair
   * and bytes and packets of the ICE transport, from `RTCPeerConnection.getStats()`. The sample
   * is cached: taken when the connection opens, then every `metricsInterval` ms, or when
   * {@link WebRTCTransport.refreshConnectionMetrics} is called.
   * @param peerId - The remote peer's id.
   * @returns A copy of the last sample, or `null` when the peer is not connected or no sample
   * has completed yet.
   */
  getConnectionMetrics(peerId: string): ConnectionMetrics | null {
    const entry = this.peers.get(peerId);
    if (!entry?.connected || entry.metrics === null) return null;
    return { ...entry.metrics };
  }

  /**
   * Takes a fresh stats sample of a peer now and caches it.
   * @param peerId - The remote peer's id.
   * @returns The new sample, or `null` when the peer is not connected or the stack has no stats.
   */
  async refreshConnectionMetrics(peerId: string): Promise<ConnectionMetrics | null> {
    const entry = this.peers.get(peerId);
    if (!entry?.connected) return null;
    await this.sample(entry);
    return this.getConnectionMetrics(peerId);
  }

  /**
   * Send-side state of the channels to a peer: buffered bytes and dropped unreliable messages.
   * @param peerId - The remote peer's id.
   * @returns The state, or `null` when the peer is not connected.
   */
  getChannelStats(peerId: string): WebRTCChannelStats | null {
    const entry = this.peers.get(peerId);
    if (!entry?.connected || entry.peer.destroyed) return null;
    return {
      reliableBufferedAmount: entry.reliable.bufferedBytes,
      unreliableBufferedAmount: entry.unreliable.bufferedAmount,
      unreliableDropped: entry.dropped,
      maxMessageSize: entry.maxMessageSize,
      keepalivesSent: entry.keepalivesSent,
      keepalivesReceived: entry.keepalivesReceived,
    };
  }

  private createEntry(peerId: string, initiator: boolean): PeerEntry {
    if (this.signaling === null) {
      throw new RbnError(
        'NO_SIGNALING',
        `cannot answer peer "${peerId}": call setSignalingCallbacks() before handling signals`,
      );
    }
    const { peer, unreliable } = openPeer(this.options, peerId, initiator);
    const entry = newPeerEntry(
      peerId,
      this.options.maxMessageSize,
      this.connectionOf(() => entry, peer, unreliable, initiator),
    );
    this.peers.set(peerId, entry);
    this.wire(entry);
    entry.timer = setTimeout(() => {
      this.closeEntry(
        entry,
        'error',
        new RbnError(
          'CONNECT_TIMEOUT',
          `WebRTC connection to peer "${peerId}" did not open within ${this.options.connectTimeout} ms`,
        ),
      );
    }, this.options.connectTimeout);
    return entry;
  }

  /**
   * Opens the entry of an incoming connection. A connection the WebRTC stack fails to set up is
   * dropped (the remote side's attempt times out), as an offer the stack rejects is.
   * @returns The entry, or `undefined` when the connection could not be set up.
   * @throws RbnError `NO_SIGNALING` or `WEBRTC_UNSUPPORTED`: this side cannot answer anyone.
   */
  private tryCreateIncoming(peerId: string): PeerEntry | undefined {
    try {
      return this.createEntry(peerId, false);
    } catch (error) {
      if (
        error instanceof RbnError &&
        (error.code === 'NO_SIGNALING' || error.code === 'WEBRTC_UNSUPPORTED')
      ) {
        throw error;
      }
      return undefined;
    }
  }

  /**
   * Replaces the connection of a connecting entry with an answering one; when that fails, closes
   * the entry, so its `connect` callers get the error.
   * @returns Whether the entry has its new connection.
   */
  private tryReplacePeer(entry: PeerEntry): boolean {
    try {
      this.replacePeer(entry, false);
      return true;
    } catch (error) {
      this.closeEntry(entry, 'error', error instanceof Error ? error : new Error(String(error)));
      return false;
    }
  }

  /** Drops the current simple-peer connection of a connecting entry and starts a new one. */
  private replacePeer(entry: PeerEntry, initiator: boolean): void {
    this.destroyPeer(entry);
    const { peer, unreliable } = openPeer(this.options, entry.id, initiator);
    Object.assign(
      entry,
      this.connectionOf(() => entry, peer, unreliable, initiator),
    );
    this.wire(entry);
  }

  /** A new connection's state; its reliable queue writes only while it is the entry's current one. */
  private connectionOf(
    entryOf: () => PeerEntry,
    peer: SimplePeerLike,
    unreliable: RTCDataChannel,
    initiator: boolean,
  ): Connection {
    return newConnection(peer, unreliable, initiator, () => {
      const entry = entryOf();
      return this.peers.get(entry.id) === entry && entry.peer === peer && !peer.destroyed;
    });
  }

  private wire(entry: PeerEntry): void {
    const { peer, unreliable } = entry;
    const current = () => this.peers.get(entry.id) === entry && entry.peer === peer;
    peer.on('signal', (data) => {
      if (current()) this.emitSignal(entry, data);
    });
    // Read the reliable channel directly rather than through simple-peer's stream, which
    // drops empty messages: take over its onmessage as soon as the channel exists. The
    // connection counts as open when the channel opens, without waiting for simple-peer's
    // `connect` (which first searches the stats for the selected candidate pair); reliable
    // writes made before that are queued by simple-peer's stream, in order.
    const onChannelMessage = (event: MessageEvent<unknown>) => {
      if (current()) this.deliverEvent(entry, event.data);
    };
    const reliableReady = () => {
      if (!current()) return;
      entry.peerReady = true;
      this.maybeOpen(entry);
    };
    const watchReliable = (channel: RTCDataChannel) => {
      entry.reliable.channel = channel;
      channel.onmessage = onChannelMessage;
      channel.bufferedAmountLowThreshold = RELIABLE_LOW_WATER;
      channel.addEventListener('bufferedamountlow', () => {
        if (current()) entry.reliable.flush();
      });
      // Tell the user at once, without waiting for simple-peer to notice and tear down.
      channel.addEventListener('close', () => {
        if (current() && entry.connected) this.closeEntry(entry, 'remote-closed', undefined);
      });
      if (channel.readyState === 'open') reliableReady();
      else channel.addEventListener('open', reliableReady, { once: true });
    };
    peer.on('connect', reliableReady);
    if (peer._channel) {
      watchReliable(peer._channel);
    } else if (peer._pc) {
      const pc = peer._pc;
      const setUp = pc.ondatachannel;
      pc.ondatachannel = (event: RTCDataChannelEvent) => {
        setUp?.call(pc, event);
        if (peer._channel === event.channel) watchReliable(event.channel);
      };
    }
    peer.on('error', (error) => {
      if (current()) entry.lastError = error;
    });
    this.watchPeerConnection(entry, peer, current);
    peer.on('close', () => {
      if (current()) this.closeEntry(entry, disconnectReason(entry.lastError), entry.lastError);
    });
    unreliable.onopen = () => {
      if (!current()) return;
      entry.unreliableReady = true;
      this.maybeOpen(entry);
    };
    unreliable.onmessage = onChannelMessage;
    unreliable.onclose = () => {
      if (current() && entry.connected) this.closeEntry(entry, 'remote-closed', undefined);
    };
  }

  /** Reports a peer connection that closed or failed at once (simple-peer reports it later). */
  private watchPeerConnection(
    entry: PeerEntry,
    peer: SimplePeerLike,
    current: () => boolean,
  ): void {
    const pc = peer._pc;
    // Some stacks' peer connections are no EventTarget: simple-peer's own handling remains.
    if (
      pc === null ||
      typeof (pc as { addEventListener?: unknown }).addEventListener !== 'function'
    ) {
      return;
    }
    pc.addEventListener('connectionstatechange', () => {
      if (!current() || !entry.connected) return;
      const state = pc.connectionState;
      if (state === 'closed') this.closeEntry(entry, 'remote-closed', undefined);
      else if (state === 'failed') this.closeEntry(entry, 'connection-failed', undefined);
    });
  }

  private emitSignal(entry: PeerEntry, data: SimplePeerSignalData): void {
    const signal = outgoingSignal(data, entry.peer._pc?.localDescription?.sdp);
    if (signal !== null) this.signaling?.onSignal(entry.id, signal);
  }

  private signalPeer(entry: PeerEntry, data: SimplePeerSignalData): void {
    if (entry.peer.destroyed) return;
    try {
      entry.peer.signal(data);
    } catch (error) {
      entry.lastError = error instanceof Error ? error : new Error(String(error));
    }
  }

  private addCandidate(entry: PeerEntry, candidate: RTCIceCandidateInit): void {
    const ufrag = candidateUfrag(candidate);
    if (ufrag !== undefined && entry.remoteUfrag !== undefined && ufrag !== entry.remoteUfrag) {
      return; // a candidate of an abandoned connection attempt
    }
    this.signalPeer(entry, { type: 'candidate', candidate });
  }

  private deliverEvent(entry: PeerEntry, data: unknown): void {
    // Both channels use binaryType 'arraybuffer'; each message event carries its own buffer,
    // so a view of it is safe to hand on without a copy. Text messages are not ours: ignored.
    let message: Uint8Array;
    if (data instanceof ArrayBuffer) message = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) {
      message = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    } else {
      if (typeof data === 'string') this.receiveKeepalive(entry, data);
      return;
    }
    entry.liveness.lastHeardAt = this.options.now();
    if (!entry.connected) {
      if (entry.earlyMessages.length < MAX_EARLY_MESSAGES) entry.earlyMessages.push(message);
      return;
    }
    this.onMessage?.(entry.id, message);
  }

  private maybeOpen(entry: PeerEntry): void {
    if (entry.connected || !entry.peerReady || !entry.unreliableReady) return;
    entry.connected = true;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const negotiated = entry.peer._pc?.sctp?.maxMessageSize;
    if (typeof negotiated === 'number' && negotiated > 0) {
      entry.maxMessageSize = Math.min(this.options.maxMessageSize, negotiated);
    }
    this.connected.add(entry.id);
    entry.liveness = newLiveness(this.options.now());
    this.startMetricsTimer();
    this.startKeepaliveTimer();
    void this.sample(entry);
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const waiter of waiters) waiter.resolve();
    this.onConnect?.(entry.id);
    const early = entry.earlyMessages;
    entry.earlyMessages = [];
    for (const message of early) {
      if (this.peers.get(entry.id) !== entry) break;
      this.onMessage?.(entry.id, message);
    }
  }

  /** A text frame from a peer: a keepalive (never handed to the user). */
  private receiveKeepalive(entry: PeerEntry, text: string): void {
    const interval = announcedIntervalMs(text);
    if (interval === undefined) return; // text that is not ours
    entry.liveness.lastHeardAt = this.options.now();
    entry.liveness.remoteIntervalMs = interval;
    entry.keepalivesReceived++;
  }

  private sendKeepalive(entry: PeerEntry, now: number): void {
    const channel = entry.unreliable;
    if (this.keepalive.intervalMs === 0) return;
    // Never touch a channel of a destroyed connection (see send).
    if (entry.peer.destroyed || channel.readyState !== 'open') return;
    const interval = documentHidden()
      ? Math.max(this.keepalive.intervalMs, HIDDEN_INTERVAL_MS)
      : this.keepalive.intervalMs;
    try {
      channel.send(keepaliveFrame(interval));
      entry.keepalivesSent++;
    } catch {
      // The channel is closing; its close event ends the connection.
    }
    entry.liveness.lastSentAt = now;
  }

  private destroyPeer(entry: PeerEntry): void {
    const { peer, unreliable } = entry;
    entry.reliable.clear();
    unreliable.onopen = null;
    unreliable.onmessage = null;
    unreliable.onclose = null;
    // The unreliable channel is not closed on its own: closing the peer connection (simple-peer's
    // destroy) closes it. Closing it first resets its SCTP stream, and the remote side's
    // @roamhq/wrtc then frees the channel under a send of its own (SIGSEGV); closing a channel
    // of an already closed peer connection crashes @roamhq/wrtc too (node-webrtc#360).
    releasePeer(peer);
  }

  private closeEntry(
    entry: PeerEntry,
    reason: WebRTCDisconnectReason,
    error: (Error & { code?: string }) | undefined,
  ): void {
    if (this.peers.get(entry.id) !== entry) return;
    this.peers.delete(entry.id);
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.destroyPeer(entry);
    const wasConnected = entry.connected;
    entry.connected = false;
    if (wasConnected) {
      this.connected.delete(entry.id);
      if (this.connected.size === 0) this.stopTimers();
      this.onDisconnect?.(entry.id);
      this.onDisconnectReason?.(entry.id, reason, error);
      return;
    }
    const failure =
      error instanceof RbnError
        ? error
        : new RbnError(
            'CONNECT_FAILED',
            `WebRTC connection to peer "${entry.id}" closed before it opened (${reason}${error ? `: ${error.message}` : ''})`,
            { cause: error },
          );
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const waiter of waiters) waiter.reject(failure);
  }

  private startMetricsTimer(): void {
    if (this.metricsTimer !== undefined || this.options.metricsInterval === 0) return;
    this.metricsTimer = setInterval(() => {
      for (const entry of this.peers.values()) {
        if (entry.connected) void this.sample(entry);
      }
    }, this.options.metricsInterval);
    unrefTimer(this.metricsTimer);
  }

  private startKeepaliveTimer(): void {
    if (this.keepaliveTimer !== undefined || this.keepalivePeriod === 0) return;
    this.lastCheckAt = this.options.now();
    this.keepaliveTimer = setInterval(() => this.checkLiveness(), this.keepalivePeriod);
    unrefTimer(this.keepaliveTimer);
    const doc = (globalThis as { document?: EventTarget }).document;
    doc?.addEventListener?.('visibilitychange', this.onVisibilityChange);
  }

  private stopTimers(): void {
    clearInterval(this.metricsTimer);
    this.metricsTimer = undefined;
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    const doc = (globalThis as { document?: EventTarget }).document;
    doc?.removeEventListener?.('visibilitychange', this.onVisibilityChange);
  }

  private async sample(entry: PeerEntry): Promise<void> {
    const pc = entry.peer._pc;
    if (pc === null) return;
    try {
      const report = await pc.getStats();
      if (this.peers.get(entry.id) === entry && entry.connected) {
        entry.metrics = metricsFromStats(report);
      }
    } catch {
      // Stats are best effort: a closing connection may refuse them.
    }
  }
}
