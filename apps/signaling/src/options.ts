import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuthOptions } from './tokens.js';
import type { TurnOptions } from './turn.js';

/** Options of `createSignalingServer`. Every field is optional. */
export type SignalingServerOptions = {
  /**
   * TCP port; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Allowed `Origin` header values. Empty: any origin (and none) is accepted; otherwise the
   * header must be present and listed, or the upgrade is answered 403.
   * @default []
   */
  allowedOrigins?: string[];
  /**
   * Require a `?token=` (shared secret or HMAC room token), checked before the upgrade (401).
   * @default undefined (no token needed)
   */
  auth?: AuthOptions;
  /**
   * Issue coturn `use-auth-secret` credentials with each id assignment.
   * @default undefined (no iceServers)
   */
  turn?: TurnOptions;
  /**
   * Share rooms, groups and routing with other processes through this Redis.
   * @default undefined (in memory)
   */
  redisUrl?: string;
  /**
   * Prefix of every Redis key and channel, to share one Redis between clusters.
   * @default 'rbn:sig:'
   */
  redisKeyPrefix?: string;
  /**
   * How often each process refreshes its liveness key in Redis (it expires after three times
   * this); joins drop members of processes whose key expired, so a crashed process's peers do
   * not linger.
   * @default 5000
   */
  redisHeartbeatMs?: number;
  /**
   * Largest message accepted, in bytes; larger ones get a `too-large` error. Frames over four
   * times this are abusive and close the socket (1009).
   * @default 65536
   */
  maxMessageBytes?: number;
  /**
   * Peers per plain room (and the largest `?next=N`).
   * @default 16
   */
  maxRoomSize?: number;
  /**
   * Open connections per client IP; more are answered 429.
   * @default 32
   */
  maxConnectionsPerIp?: number;
  /**
   * Sustained messages per second per connection.
   * @default 50
   */
  messagesPerSecond?: number;
  /**
   * Burst of messages allowed above the sustained rate.
   * @default 100
   */
  messageBurst?: number;
  /**
   * Rate-limited messages in a row after which the connection is closed (1008) as abusive.
   * @default 200
   */
  maxRateLimitStrikes?: number;
  /**
   * Interval of server pings; a socket that missed the previous pong is terminated.
   * @default 15000
   */
  pingIntervalMs?: number;
  /**
   * How long a dropped peer keeps its id (and its place) for a resume before peers see it leave.
   * @default 5000
   */
  resumeGraceMs?: number;
  /**
   * On close, sockets still open this long after the 1001 close frame are terminated.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * Bytes the server may hold unsent for one socket (a client that does not read); past this
   * the socket is cut as dead (its peer enters the resume grace window).
   * @default 4194304
   */
  maxSendBufferBytes?: number;
  /**
   * Time a client has to send its complete upgrade request (HTTP headers); slower connections
   * (slowloris) are closed.
   * @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * Secret of resume tokens. With Redis, the cluster agrees on one automatically.
   * @default random per process
   */
  resumeSecret?: string;
  /**
   * Take the client IP from the first `X-Forwarded-For` hop (behind a trusted proxy).
   * @default false
   */
  trustProxy?: boolean;
  /**
   * A pino logger, or a level for the built-in JSON logger.
   * @default 'info'
   */
  logger?: Logger | string;
  /**
   * Clock in ms since the epoch (TURN expiry, rate limits, match latency).
   * @default Date.now
   */
  clock?: () => number;
};

/** A running signaling server. */
export type SignalingServer = {
  /** `http://host:port` of the server. */
  url: string;
  /** `ws://host:port` of the server (append `/<room>`). */
  wsUrl: string;
  /** The port it listens on. */
  port: number;
  /** The Prometheus registry of this server. */
  metrics: Registry;
  /**
   * Graceful shutdown: /readyz turns 503, new upgrades are refused, open sockets are closed
   * with 1001 and terminated after `shutdownTimeoutMs`, then the backend disconnects.
   */
  close(): Promise<void>;
};
