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
   * this). On the same beat every process looks for processes whose key expired (crashed) and
   * removes their peers, telling their group-mates `peer-left`.
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
   * Bytes the server may hold unsent for one socket (a client that does not read). Past this,
   * messages for it are dropped, and a sender that filled most of that backlog is cut (closed
   * with 1008, leaving its group): a peer cannot get a room-mate disconnected by flooding it.
   * A receiver that stops reading altogether is reaped by the pings.
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
   * Proxies in front of the server that append the address they saw to `X-Forwarded-For`
   * (a load balancer: 1). The client IP that per-IP limits count is read that many hops from
   * the right of the header (the socket's peer being hop 0); entries further left were written
   * by the client and are ignored. `true` means 1, `false` or 0 ignores the header.
   * @default 0
   */
  trustProxy?: number | boolean;
  /**
   * Characters all resume-grace buffers together may hold (messages for dropped peers that may
   * still resume). Past it the oldest grace windows end early: those peers leave at once.
   * @default 33554432 (32 MiB)
   */
  maxGraceBufferBytes?: number;
  /**
   * TCP connections the process holds at once, upgraded or not; keep it below the process's
   * file-descriptor limit. Further connections are closed on arrival (an idle one that has not
   * sent its request is closed first, to make room).
   * @default 10000, or the soft open-file limit minus 64 when that is lower (Linux)
   */
  maxConnections?: number;
  /**
   * Connections that have not sent their upgrade request yet; past it the oldest such idle
   * connection (older than a second) is closed, so idle sockets cannot crowd out joins. (Each
   * also has `handshakeTimeoutMs` to send its request.)
   * @default 256
   */
  maxPendingUpgrades?: number;
  /**
   * Redis mode: bytes of relayed signals sent to Redis and not yet answered. Further relays
   * wait in a bounded queue, so a flood cannot overflow Redis's pub/sub output buffers (Redis
   * drops a subscriber that falls behind, and every room of its process with it).
   * @default 1048576 (1 MiB)
   */
  redisMaxInflightBytes?: number;
  /**
   * Redis mode: bytes of relays that may wait for their turn; each sender may hold at most four
   * times `maxMessageBytes` of them. A sender over its share has its signals dropped with a
   * `rate-limited` error and is cut after 50 of them; a full queue drops the newest signals of
   * the sender holding most of it first.
   * @default 16777216 (16 MiB)
   */
  redisMaxQueuedBytes?: number;
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
