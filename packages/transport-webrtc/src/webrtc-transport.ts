import { RbnError, assertMessageBytes } from '@rbn/protocol';
import type { ConnectionMetrics, TransportAdapter } from '@rbn/protocol';
import { DefaultSimplePeer } from './internal/default-simple-peer';
import { candidateUfrag, sdpUfrag } from './internal/sdp';
import { metricsFromStats } from './internal/stats';
import { isCandidate, isDescription, isWebRTCSignal } from './signaling';
import type { SignalingCallbacks, WebRTCDisconnectReason } from './signaling';
import type {
  SimplePeerConstructor,
  SimplePeerLike,
  SimplePeerSignalData,
  WebRTCImplementation,
} from './simple-peer-types';

/** STUN server used when no `rtcConfiguration` is given (as docs/architecture.md says). */
const DEFAULT_RTC_CONFIGURATION: RTCConfiguration = {
  iceServers: [{ urls: 'stun:stun.l.google.com:19302' }],
};
/**
 * Stream ids of the two channels. Both are negotiated (created with a fixed id on both sides),
 * so they open as soon as the SCTP association is up, with no in-band announcement to wait for.
 */
const RELIABLE_CHANNEL_ID = 0;
const UNRELIABLE_CHANNEL_ID = 1;
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

/**
 * Reliable messages go straight onto the channel while its `bufferedAmount` is at most this;
 * above it they wait in the transport's queue until the channel drains to
 * {@link RELIABLE_LOW_WATER} (`bufferedamountlow`).
 */
const RELIABLE_HIGH_WATER = 1024 * 1024;
const RELIABLE_LOW_WATER = 64 * 1024;
/**
 * While reliable messages wait, the channel is also checked this often (ms), in case a stack
 * never fires `bufferedamountlow`: @roamhq/wrtc has been seen to miss it under load, which
 * left the queue waiting for ever.
 */
const RELIABLE_DRAIN_POLL_MS = 25;

/** Largest `maxPacketLifeTime` or `maxRetransmits` a data channel takes (an unsigned short). */
const MAX_CHANNEL_LIMIT = 65535;
/** Largest stream id of a data channel (65535 is reserved). */
const MAX_CHANNEL_ID = 65534;

/** Whether an untrusted value can be a remote peer id: a non-empty string. */
function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Options of a {@link WebRTCTransport}. Every field is optional. */
export interface WebRTCTransportOptions {
  /**
   * `RTCPeerConnection` configuration: STUN and TURN servers, ICE transport policy.
   * @default `{ iceServers: [{ urls: 'stun:stun.l.google.com:19302' }] }`
   */
  rtcConfiguration?: RTCConfiguration;
  /**
   * Configuration of the reliable channel (the one simple-peer opens), which carries
   * `send(..., true)`. It is always a negotiated channel (`negotiated: true`, stream `id` 0
   * unless given here) and stays reliable and ordered: `maxPacketLifeTime`, `maxRetransmits`,
   * `ordered: false` and `negotiated: false` throw `INVALID_CONFIG`.
   * @default `{ ordered: true }`
   */
  reliableChannelConfig?: RTCDataChannelInit;
  /**
   * Configuration of the unreliable channel, which carries `send(..., false)`. The transport
   * opens it as a negotiated channel on both sides (`negotiated: true`, stream `id` 1 unless
   * given here). Give at most one of `maxPacketLifeTime` (ms) and `maxRetransmits` (WebRTC
   * forbids both; either replaces the default `maxRetransmits: 0`), each an integer from 0 to
   * 65535; the two channels' `id`s must differ (integers from 0 to 65534). Anything else throws
   * `INVALID_CONFIG` naming the option.
   * @default `{ ordered: false, maxRetransmits: 0 }`
   */
  unreliableChannelConfig?: RTCDataChannelInit;
  /**
   * Milliseconds a connection may take to open (from `connect`, or from an incoming offer, to
   * both channels open) before `connect` rejects with `CONNECT_TIMEOUT` and the attempt is
   * abandoned.
   * @default 15000
   */
  connectTimeout?: number;
  /**
   * The WebRTC implementation, for environments without one: in Node pass the module
   * `@roamhq/wrtc`. Browsers use their own when this is absent.
   * @default undefined (the environment's `RTCPeerConnection`)
   */
  wrtc?: WebRTCImplementation;
  /**
   * Backpressure threshold of the unreliable channel in bytes: while its `bufferedAmount` is
   * above this, unreliable messages are dropped (and counted) rather than queued. Reliable
   * messages always queue.
   * @default 65536
   */
  maxBufferedAmount?: number;
  /**
   * Largest message `send` accepts, in bytes; the smaller of this and the peer connection's
   * negotiated `sctp.maxMessageSize` applies. Larger messages throw `MESSAGE_TOO_LARGE`
   * (wrap the transport in `TransformingTransport` to segment them).
   * @default 262144
   */
  maxMessageSize?: number;
  /**
   * Milliseconds between refreshes of the cached {@link WebRTCTransport.getConnectionMetrics}
   * sample (the timer does not keep Node alive); `0` turns periodic refreshes off, leaving
   * {@link WebRTCTransport.refreshConnectionMetrics}.
   * @default 1000
   */
  metricsInterval?: number;
  /**
   * The simple-peer constructor to use (simple-peer v9 API).
   * @default simple-peer@9's prebuilt bundle (`simple-peer/simplepeer.min.js`)
   */
  SimplePeer?: SimplePeerConstructor;
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
};

type Waiter = { resolve: () => void; reject: (error: Error) => void };

/** Everything about one remote peer, from the first signal until it is closed. */
type PeerEntry = {
  readonly id: string;
  peer: SimplePeerLike;
  /** simple-peer's channel, once it exists: the reliable one. */
  reliable: RTCDataChannel | null;
  /** Reliable messages waiting for the channel to drain (copies). */
  reliableQueue: Uint8Array[];
  /** Checks the reliable channel while `reliableQueue` is not empty (see RELIABLE_DRAIN_POLL_MS). */
  drainTimer: ReturnType<typeof setTimeout> | undefined;
  unreliable: RTCDataChannel;
  /** Whether the current simple-peer connection created the offer. */
  initiator: boolean;
  /** simple-peer reported `connect` (its channel, the reliable one, is open). */
  peerReady: boolean;
  /** The unreliable channel is open. */
  unreliableReady: boolean;
  /** Both channels are open and `onConnect` fired. */
  connected: boolean;
  hasRemoteDescription: boolean;
  /** ICE username fragment of the remote description in use. */
  remoteUfrag: string | undefined;
  pendingCandidates: RTCIceCandidateInit[];
  earlyMessages: Uint8Array[];
  waiters: Waiter[];
  timer: ReturnType<typeof setTimeout> | undefined;
  lastError: (Error & { code?: string }) | undefined;
  metrics: ConnectionMetrics | null;
  maxMessageSize: number;
  dropped: number;
  /** The unreliable channel's bufferedAmount when last read. */
  knownBuffered: number;
  /** Bytes sent on the unreliable channel since then. */
  sentSinceRead: number;
};

function disconnectReason(error: (Error & { code?: string }) | undefined): WebRTCDisconnectReason {
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

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new RbnError(
      'INVALID_CONFIG',
      `WebRTCTransport option ${name} must be a finite number ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}

type ChannelConfigName = 'reliableChannelConfig' | 'unreliableChannelConfig';

function invalidChannelConfig(name: ChannelConfigName, problem: string): RbnError {
  return new RbnError('INVALID_CONFIG', `WebRTCTransport option ${name}${problem}`);
}

/**
 * Checks a caller's data channel configuration and merges it over the transport's defaults.
 * @param name - The option, named in errors.
 * @param config - What the caller gave (unchecked).
 * @param defaultId - The channel's stream id unless the caller gives one.
 * @returns The configuration to open the channel with (always negotiated).
 * @throws RbnError `INVALID_CONFIG` naming the field, for a configuration WebRTC would refuse
 * or one that breaks the channel's contract (a reliable channel that drops or reorders).
 */
function channelConfig(
  name: ChannelConfigName,
  config: RTCDataChannelInit | undefined,
  defaultId: number,
): RTCDataChannelInit {
  if (config !== undefined && (typeof config !== 'object' || config === null)) {
    throw invalidChannelConfig(name, ` must be an object, got ${String(config)}`);
  }
  const given = config ?? {};
  const { ordered, maxPacketLifeTime, maxRetransmits, negotiated, id } = given;
  if (ordered !== undefined && typeof ordered !== 'boolean') {
    throw invalidChannelConfig(name, `.ordered must be a boolean, got ${String(ordered)}`);
  }
  if (negotiated !== undefined && negotiated !== true) {
    throw invalidChannelConfig(
      name,
      `.negotiated must be true or absent (both channels are always negotiated), got ${String(negotiated)}`,
    );
  }
  for (const [field, value, max] of [
    ['maxPacketLifeTime', maxPacketLifeTime, MAX_CHANNEL_LIMIT],
    ['maxRetransmits', maxRetransmits, MAX_CHANNEL_LIMIT],
    ['id', id, MAX_CHANNEL_ID],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= max)) {
      throw invalidChannelConfig(
        name,
        `.${field} must be an integer from 0 to ${max}, got ${String(value)}`,
      );
    }
  }
  const limited = maxPacketLifeTime !== undefined || maxRetransmits !== undefined;
  if (maxPacketLifeTime !== undefined && maxRetransmits !== undefined) {
    throw invalidChannelConfig(
      name,
      ' sets both maxPacketLifeTime and maxRetransmits; WebRTC allows at most one of them',
    );
  }
  if (name === 'reliableChannelConfig') {
    if (limited) {
      throw invalidChannelConfig(
        name,
        `.${maxPacketLifeTime !== undefined ? 'maxPacketLifeTime' : 'maxRetransmits'} would let the reliable channel drop messages (set it on unreliableChannelConfig)`,
      );
    }
    if (ordered === false) {
      throw invalidChannelConfig(name, '.ordered must not be false: reliable messages are ordered');
    }
  }
  const merged: RTCDataChannelInit =
    name === 'reliableChannelConfig'
      ? { ordered: true }
      : { ordered: false, ...(limited ? {} : { maxRetransmits: 0 }) };
  // Fields given as `undefined` keep the default (as WebRTC treats an absent field).
  for (const [key, value] of Object.entries(given) as [string, unknown][]) {
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  merged.negotiated = true;
  merged.id = id ?? defaultId;
  return merged;
}

/** Destroys a simple-peer connection and everything it keeps running. */
function releasePeer(peer: SimplePeerLike): void {
  peer.on('error', () => undefined); // nobody may be listening any more
  peer.destroy();
  // simple-peer@9 never clears its 5 s "ICE complete" timer on destroy, which would keep
  // Node alive for 5 s after the last connection closed.
  clearTimeout((peer as { _iceCompleteTimer?: ReturnType<typeof setTimeout> })._iceCompleteTimer);
}

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
  private readonly rtcConfiguration: RTCConfiguration;
  private readonly reliableChannelConfig: RTCDataChannelInit;
  private readonly unreliableChannelConfig: RTCDataChannelInit;
  private readonly connectTimeout: number;
  private readonly wrtc: WebRTCImplementation | undefined;
  private readonly maxBufferedAmount: number;
  private readonly maxMessageSize: number;
  private readonly metricsInterval: number;
  private readonly SimplePeer: SimplePeerConstructor;
  private signaling: SignalingCallbacks | null = null;
  private metricsTimer: ReturnType<typeof setInterval> | undefined;
  private disposed = false;

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
    this.rtcConfiguration = options.rtcConfiguration ?? DEFAULT_RTC_CONFIGURATION;
    this.reliableChannelConfig = channelConfig(
      'reliableChannelConfig',
      options.reliableChannelConfig,
      RELIABLE_CHANNEL_ID,
    );
    this.unreliableChannelConfig = channelConfig(
      'unreliableChannelConfig',
      options.unreliableChannelConfig,
      UNRELIABLE_CHANNEL_ID,
    );
    if (this.reliableChannelConfig.id === this.unreliableChannelConfig.id) {
      throw new RbnError(
        'INVALID_CONFIG',
        `WebRTCTransport options reliableChannelConfig.id and unreliableChannelConfig.id must differ, both are ${String(this.reliableChannelConfig.id)}`,
      );
    }
    this.connectTimeout = positiveOption('connectTimeout', options.connectTimeout, 15_000);
    this.maxBufferedAmount = positiveOption(
      'maxBufferedAmount',
      options.maxBufferedAmount,
      64 * 1024,
    );
    this.maxMessageSize = positiveOption('maxMessageSize', options.maxMessageSize, 256 * 1024);
    this.metricsInterval = positiveOption('metricsInterval', options.metricsInterval, 1000);
    this.wrtc = options.wrtc;
    this.SimplePeer = options.SimplePeer ?? DefaultSimplePeer;
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
      // Sent on the channel directly, not through simple-peer's stream: the stream sends
      // later, from a callback, and @roamhq/wrtc crashes the process (SIGSEGV) when such a
      // late send hits a channel the remote side has just closed. A channel that is no longer
      // open takes nothing (its close event ends the connection).
      const channel = entry.reliable;
      if (channel === null || channel.readyState !== 'open') return;
      if (entry.reliableQueue.length > 0 || channel.bufferedAmount > RELIABLE_HIGH_WATER) {
        entry.reliableQueue.push(message.slice());
        this.watchDrain(entry);
        return;
      }
      try {
        channel.send(message as Uint8Array<ArrayBuffer>);
      } catch {
        // A channel that refuses a send while open (a full native send queue) gets it again
        // from the queue; a closing one ends the connection with its close event.
        entry.reliableQueue.push(message.slice());
        this.watchDrain(entry);
      }
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
    if (entry.knownBuffered + entry.sentSinceRead > this.maxBufferedAmount) {
      entry.knownBuffered = channel.bufferedAmount;
      entry.sentSinceRead = 0;
      if (entry.knownBuffered > this.maxBufferedAmount) {
        entry.dropped++;
        return;
      }
    }
    try {
      channel.send(message as Uint8Array<ArrayBuffer>);
      entry.sentSinceRead += message.byteLength;
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
    this.stopMetricsTimer();
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
      reliableBufferedAmount:
        (entry.reliable?.bufferedAmount ?? 0) +
        entry.reliableQueue.reduce((n, m) => n + m.byteLength, 0),
      unreliableBufferedAmount: entry.unreliable.bufferedAmount,
      unreliableDropped: entry.dropped,
      maxMessageSize: entry.maxMessageSize,
    };
  }

  private createEntry(peerId: string, initiator: boolean): PeerEntry {
    if (this.signaling === null) {
      throw new RbnError(
        'NO_SIGNALING',
        `cannot answer peer "${peerId}": call setSignalingCallbacks() before handling signals`,
      );
    }
    const { peer, unreliable } = this.openPeer(peerId, initiator);
    const entry: PeerEntry = {
      id: peerId,
      peer,
      reliable: null,
      reliableQueue: [],
      drainTimer: undefined,
      unreliable,
      initiator,
      peerReady: false,
      unreliableReady: false,
      connected: false,
      hasRemoteDescription: false,
      remoteUfrag: undefined,
      pendingCandidates: [],
      earlyMessages: [],
      waiters: [],
      timer: undefined,
      lastError: undefined,
      metrics: null,
      maxMessageSize: this.maxMessageSize,
      dropped: 0,
      knownBuffered: 0,
      sentSinceRead: 0,
    };
    this.peers.set(peerId, entry);
    this.wire(entry);
    entry.timer = setTimeout(() => {
      this.closeEntry(
        entry,
        'error',
        new RbnError(
          'CONNECT_TIMEOUT',
          `WebRTC connection to peer "${peerId}" did not open within ${this.connectTimeout} ms`,
        ),
      );
    }, this.connectTimeout);
    return entry;
  }

  /**
   * Creates a simple-peer connection with its unreliable channel. On failure nothing of it is
   * left open.
   * @throws RbnError `WEBRTC_UNSUPPORTED` or `CONNECT_FAILED`.
   */
  private openPeer(
    peerId: string,
    initiator: boolean,
  ): { peer: SimplePeerLike; unreliable: RTCDataChannel } {
    let peer: SimplePeerLike;
    try {
      peer = new this.SimplePeer({
        initiator,
        channelConfig: this.reliableChannelConfig,
        channelName: 'rbn-reliable',
        config: this.rtcConfiguration,
        trickle: true,
        ...(this.wrtc ? { wrtc: this.wrtc } : {}),
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
      unreliable = pc.createDataChannel('rbn-unreliable', this.unreliableChannelConfig);
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
    const { peer, unreliable } = this.openPeer(entry.id, initiator);
    entry.peer = peer;
    entry.reliable = null;
    entry.reliableQueue = [];
    entry.unreliable = unreliable;
    entry.initiator = initiator;
    entry.peerReady = false;
    entry.unreliableReady = false;
    entry.hasRemoteDescription = false;
    entry.remoteUfrag = undefined;
    entry.pendingCandidates = [];
    entry.earlyMessages = [];
    entry.lastError = undefined;
    entry.knownBuffered = 0;
    entry.sentSinceRead = 0;
    this.wire(entry);
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
      entry.reliable = channel;
      channel.onmessage = onChannelMessage;
      channel.bufferedAmountLowThreshold = RELIABLE_LOW_WATER;
      channel.addEventListener('bufferedamountlow', () => {
        if (current()) this.flushReliable(entry);
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

  private emitSignal(entry: PeerEntry, data: SimplePeerSignalData): void {
    const signaling = this.signaling;
    if (signaling === null) return;
    if (data.type === 'offer' || data.type === 'answer' || data.type === 'pranswer') {
      if (data.sdp === undefined) return;
      signaling.onSignal(entry.id, {
        type: 'description',
        description: { type: data.type, sdp: data.sdp },
      });
    } else if (data.type === 'candidate') {
      const candidate: RTCIceCandidateInit = { ...data.candidate };
      // Tag the candidate with its ICE session so the remote side can ignore stale ones.
      const ufrag = sdpUfrag(entry.peer._pc?.localDescription?.sdp);
      if (candidate.usernameFragment == null && ufrag !== undefined) {
        candidate.usernameFragment = ufrag;
      }
      signaling.onSignal(entry.id, { type: 'candidate', candidate });
    }
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
    } else return;
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
      entry.maxMessageSize = Math.min(this.maxMessageSize, negotiated);
    }
    this.connected.add(entry.id);
    this.startMetricsTimer();
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

  /** Sends queued reliable messages while the channel has room. */
  private flushReliable(entry: PeerEntry): void {
    const channel = entry.reliable;
    while (entry.reliableQueue.length > 0) {
      if (channel === null || entry.peer.destroyed || channel.readyState !== 'open') return;
      if (channel.bufferedAmount > RELIABLE_HIGH_WATER) return;
      const message = entry.reliableQueue.shift()!;
      try {
        channel.send(message as Uint8Array<ArrayBuffer>);
      } catch {
        entry.reliableQueue.unshift(message); // kept for the next try; a closing channel ends the entry
        return;
      }
    }
  }

  /**
   * Keeps flushing a non-empty reliable queue on a short timer, so the queue drains even when
   * the stack misses `bufferedamountlow`. The timer stops once the queue is empty or the
   * connection closes.
   */
  private watchDrain(entry: PeerEntry): void {
    if (entry.drainTimer !== undefined) return;
    const check = () => {
      entry.drainTimer = undefined;
      if (this.peers.get(entry.id) !== entry) return;
      this.flushReliable(entry);
      if (entry.reliableQueue.length > 0) {
        entry.drainTimer = setTimeout(check, RELIABLE_DRAIN_POLL_MS);
      }
    };
    entry.drainTimer = setTimeout(check, RELIABLE_DRAIN_POLL_MS);
  }

  private destroyPeer(entry: PeerEntry): void {
    const { peer, unreliable } = entry;
    entry.reliableQueue = [];
    clearTimeout(entry.drainTimer);
    entry.drainTimer = undefined;
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
      if (this.connected.size === 0) this.stopMetricsTimer();
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
    if (this.metricsTimer !== undefined || this.metricsInterval === 0) return;
    this.metricsTimer = setInterval(() => {
      for (const entry of this.peers.values()) {
        if (entry.connected) void this.sample(entry);
      }
    }, this.metricsInterval);
    unrefTimer(this.metricsTimer);
  }

  private stopMetricsTimer(): void {
    clearInterval(this.metricsTimer);
    this.metricsTimer = undefined;
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
