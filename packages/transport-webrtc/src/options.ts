import { RbnError } from '@rbn/protocol';
import { DefaultSimplePeer } from './internal/default-simple-peer';
import type { SimplePeerConstructor, WebRTCImplementation } from './simple-peer-types';

/** The STUN server the transport adds when the ICE servers have none. */
export const DEFAULT_STUN_SERVER: Readonly<RTCIceServer> = Object.freeze({
  urls: 'stun:stun.l.google.com:19302',
});
/**
 * Stream ids of the two channels. Both are negotiated (created with a fixed id on both sides),
 * so they open as soon as the SCTP association is up, with no in-band announcement to wait for.
 */
const RELIABLE_CHANNEL_ID = 0;
const UNRELIABLE_CHANNEL_ID = 1;

/** Largest `maxPacketLifeTime` or `maxRetransmits` a data channel takes (an unsigned short). */
const MAX_CHANNEL_LIMIT = 65535;
/** Largest stream id of a data channel (65535 is reserved). */
const MAX_CHANNEL_ID = 65534;

/** Options of a {@link WebRTCTransport}. Every field is optional. */
export interface WebRTCTransportOptions {
  /**
   * `RTCPeerConnection` configuration: STUN and TURN servers, ICE transport policy. Its
   * `iceServers` are passed through {@link withDefaultStun}: when they hold no STUN server
   * (`[]`, or TURN entries only, as a signaling server without TURN hands out), the
   * `defaultStunServer` is added in front, so server-reflexive candidates are still gathered.
   * @default `{ iceServers: [{ urls: 'stun:stun.l.google.com:19302' }] }`
   */
  rtcConfiguration?: RTCConfiguration;
  /**
   * The STUN server added to `rtcConfiguration.iceServers` when they have none (see
   * {@link withDefaultStun}); `null` adds none (loopback tests, a LAN without NAT).
   * @default `{ urls: 'stun:stun.l.google.com:19302' }`
   */
  defaultStunServer?: RTCIceServer | null;
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
   * When nothing was sent to a connected peer for this many ms, a keepalive goes out on the
   * unreliable channel (a short text frame the transport consumes itself: `onMessage` never
   * sees it, and it costs the peer's session no bytes). `0` sends none.
   * @default 250
   */
  keepaliveIntervalMs?: number;
  /**
   * A connected peer from which nothing (message or keepalive) arrived for this many ms is
   * reported disconnected (`onDisconnect`, reason `'keepalive-timeout'`): a tab that was
   * killed or a network that dropped is noticed in about this long instead of the seconds ICE
   * takes. A peer whose document is hidden announces its slower keepalive, and the timeout
   * for it stretches to four times that; a check that itself ran late (this side's event loop
   * stalled) judges no one until the messages that waited behind it were read. `0` turns the
   * timeout off. Must be at least twice `keepaliveIntervalMs` when both are on.
   * @default 1000 (a page whose main thread stalls longer is disconnected: `@rbn/session` keeps
   *   such a player away in its slot, and it reconnects)
   */
  keepaliveTimeoutMs?: number;
  /**
   * The clock for keepalives, in ms (monotonic). Inject one in tests.
   * @default () => performance.now()
   */
  now?: () => number;
  /**
   * The simple-peer constructor to use (simple-peer v9 API).
   * @default simple-peer@9's prebuilt bundle (`simple-peer/simplepeer.min.js`)
   */
  SimplePeer?: SimplePeerConstructor;
}

/** Every option checked and defaulted: what a {@link WebRTCTransport} runs with. */
export type ResolvedOptions = {
  rtcConfiguration: RTCConfiguration;
  reliableChannelConfig: RTCDataChannelInit;
  unreliableChannelConfig: RTCDataChannelInit;
  connectTimeout: number;
  wrtc: WebRTCImplementation | undefined;
  maxBufferedAmount: number;
  maxMessageSize: number;
  metricsInterval: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  now: () => number;
  SimplePeer: SimplePeerConstructor;
};

function isStunUrl(url: unknown): boolean {
  return typeof url === 'string' && /^stuns?:/i.test(url.trim());
}

/**
 * Makes sure a list of ICE servers has a STUN server: returns the list unchanged when one of
 * its entries has a `stun:`/`stuns:` URL, else a new list with `stunServer` in front of the
 * given entries (a TURN server's own STUN function is not relied on: with
 * `iceTransportPolicy: 'all'` a STUN server is what gathers server-reflexive candidates).
 * Use it when you build `iceServers` from a signaling server that may send `[]` or TURN
 * entries only; {@link WebRTCTransport} applies it to `rtcConfiguration` itself.
 *
 * @param iceServers - The servers to check (not modified); `undefined` counts as none.
 * @param stunServer - The STUN server to add. @default DEFAULT_STUN_SERVER (Google's public STUN)
 * @returns The servers, with the STUN server added when they had none.
 * @example
 * ```ts
 * const iceServers = withDefaultStun(welcome.iceServers); // [] → [{ urls: 'stun:…' }]
 * const pc = new RTCPeerConnection({ iceServers });
 * ```
 */
export function withDefaultStun(
  iceServers: readonly RTCIceServer[] | undefined,
  stunServer: RTCIceServer = DEFAULT_STUN_SERVER,
): RTCIceServer[] {
  const servers = [...(iceServers ?? [])];
  const hasStun = servers.some((server) => {
    const urls: unknown = server?.urls;
    return Array.isArray(urls) ? urls.some(isStunUrl) : isStunUrl(urls);
  });
  return hasStun ? servers : [{ ...stunServer }, ...servers];
}

function rtcConfigurationOf(options: WebRTCTransportOptions): RTCConfiguration {
  const given = options.rtcConfiguration;
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new RbnError(
      'INVALID_CONFIG',
      'WebRTCTransport option rtcConfiguration must be an object',
    );
  }
  const stun =
    options.defaultStunServer === undefined ? DEFAULT_STUN_SERVER : options.defaultStunServer;
  const iceServers = given?.iceServers ?? [];
  if (!Array.isArray(iceServers)) {
    throw new RbnError(
      'INVALID_CONFIG',
      'WebRTCTransport option rtcConfiguration.iceServers must be an array',
    );
  }
  return {
    ...given,
    iceServers: stun === null ? [...iceServers] : withDefaultStun(iceServers, stun),
  };
}

function keepaliveOf(
  options: WebRTCTransportOptions,
): Pick<ResolvedOptions, 'keepaliveIntervalMs' | 'keepaliveTimeoutMs' | 'now'> {
  const keepaliveIntervalMs = positiveOption(
    'keepaliveIntervalMs',
    options.keepaliveIntervalMs,
    250,
  );
  const keepaliveTimeoutMs = positiveOption('keepaliveTimeoutMs', options.keepaliveTimeoutMs, 1000);
  if (
    keepaliveIntervalMs > 0 &&
    keepaliveTimeoutMs > 0 &&
    keepaliveTimeoutMs < 2 * keepaliveIntervalMs
  ) {
    throw new RbnError(
      'INVALID_CONFIG',
      `WebRTCTransport option keepaliveTimeoutMs (${keepaliveTimeoutMs}) must be at least twice keepaliveIntervalMs (${keepaliveIntervalMs}), or 0`,
    );
  }
  const now = options.now ?? (() => performance.now());
  if (typeof now !== 'function') {
    throw new RbnError(
      'INVALID_CONFIG',
      'WebRTCTransport option now must be a function returning ms',
    );
  }
  return { keepaliveIntervalMs, keepaliveTimeoutMs, now };
}

/**
 * Checks every option and applies the defaults.
 * @param options - What the caller gave.
 * @returns The options to run with.
 * @throws RbnError `INVALID_CONFIG` naming the first invalid option.
 */
export function resolveOptions(options: WebRTCTransportOptions): ResolvedOptions {
  const reliableChannelConfig = channelConfig(
    'reliableChannelConfig',
    options.reliableChannelConfig,
    RELIABLE_CHANNEL_ID,
  );
  const unreliableChannelConfig = channelConfig(
    'unreliableChannelConfig',
    options.unreliableChannelConfig,
    UNRELIABLE_CHANNEL_ID,
  );
  if (reliableChannelConfig.id === unreliableChannelConfig.id) {
    throw new RbnError(
      'INVALID_CONFIG',
      `WebRTCTransport options reliableChannelConfig.id and unreliableChannelConfig.id must differ, both are ${String(reliableChannelConfig.id)}`,
    );
  }
  return {
    rtcConfiguration: rtcConfigurationOf(options),
    reliableChannelConfig,
    unreliableChannelConfig,
    connectTimeout: positiveOption('connectTimeout', options.connectTimeout, 15_000),
    wrtc: options.wrtc,
    maxBufferedAmount: positiveOption('maxBufferedAmount', options.maxBufferedAmount, 64 * 1024),
    maxMessageSize: positiveOption('maxMessageSize', options.maxMessageSize, 256 * 1024),
    metricsInterval: positiveOption('metricsInterval', options.metricsInterval, 1000),
    ...keepaliveOf(options),
    SimplePeer: options.SimplePeer ?? DefaultSimplePeer,
  };
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
