import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Backend } from './internal/backend.js';
import { ConnectionGuard } from './internal/connection-guard.js';
import { reject } from './internal/http.js';
import { Hub } from './internal/hub.js';
import { resolveLimits } from './internal/limits.js';
import type { Limits } from './internal/limits.js';
import { MemoryBackend } from './internal/memory-backend.js';
import { createMetrics } from './internal/metrics.js';
import type { ServerMetrics } from './internal/metrics.js';
import { RelayQueue } from './internal/relay-queue.js';
import { routeRequest } from './internal/routes.js';
import { checkUpgrade } from './internal/upgrade.js';
import { CloseCode } from '@rbn/online';
import type { SignalingServer, SignalingServerOptions } from './options.js';
import { verifyToken } from './tokens.js';
import { createTurnCredentials } from './turn.js';

/**
 * Starts a signaling server: rooms by URL path, `?next=N` matchmaking, relayed signals, TURN
 * credentials, limits, metrics and, with `redisUrl`, scale-out across processes.
 * @param options - Configuration; see {@link SignalingServerOptions}.
 * @returns The running server once it listens.
 * @example
 * ```ts
 * const server = await createSignalingServer({ port: 8080, host: '0.0.0.0' });
 * // browsers connect to ws://host:8080/my-room?next=2
 * await server.close();
 * ```
 */
export async function createSignalingServer(
  options: SignalingServerOptions = {},
): Promise<SignalingServer> {
  const clock = options.clock ?? Date.now;
  const limits = resolveLimits(options);
  const log: Logger =
    typeof options.logger === 'object'
      ? options.logger
      : pino({ level: options.logger ?? 'info', base: { service: 'rbn-signaling' } });
  const metrics = createMetrics();
  const backend = await createBackend(options, log, metrics);
  const hub = new Hub({
    backend,
    limits,
    metrics,
    log,
    clock,
    iceServersFor: (peerId) =>
      options.turn ? [createTurnCredentials(options.turn, peerId, clock())] : [],
    relayQueue: options.redisUrl
      ? new RelayQueue({
          maxInflightBytes: limits.redisMaxInflightBytes,
          maxQueuedBytes: limits.redisMaxQueuedBytes,
          perSenderBytes: limits.redisPerSenderBytes,
        })
      : null,
  });
  try {
    await hub.start(options.resumeSecret ?? randomBytes(32).toString('base64url'));
  } catch (error) {
    await backend.close();
    throw new Error(`signaling backend failed to start: ${String(error)}`, { cause: error });
  }
  const front = createFront(options, limits, { backend, hub, metrics, log, clock });
  const address = await listen(front.http, options);
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info(
    { port: address.port, host: address.address, redis: Boolean(options.redisUrl) },
    'listening',
  );
  return {
    url: `http://${hostText}:${address.port}`,
    wsUrl: `ws://${hostText}:${address.port}`,
    port: address.port,
    metrics: metrics.registry,
    close: front.close,
  };
}

async function createBackend(
  options: SignalingServerOptions,
  log: Logger,
  metrics: ServerMetrics,
): Promise<Backend> {
  if (!options.redisUrl) return new MemoryBackend();
  // ioredis is loaded only when Redis is configured.
  const { RedisBackend } = await import('./internal/redis-backend.js');
  return new RedisBackend({
    url: options.redisUrl,
    prefix: options.redisKeyPrefix ?? 'rbn:sig:',
    log,
    heartbeatMs: options.redisHeartbeatMs ?? 5_000,
    onResubscribed: () => metrics.redisResubscribes.inc(),
    onReaped: (peers) => metrics.crashedPeersReaped.inc(peers),
  });
}

type FrontDeps = {
  backend: Backend;
  hub: Hub;
  metrics: ServerMetrics;
  log: Logger;
  clock: () => number;
};

/** The HTTP side: connection guard, upgrade checks, plain routes, pings and shutdown. */
function createFront(
  options: SignalingServerOptions,
  limits: Limits,
  deps: FrontDeps,
): { http: Server; close: () => Promise<void> } {
  const { backend, hub, metrics, log } = deps;
  const state = { draining: false };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes * 4,
    perMessageDeflate: false,
    clientTracking: true,
  });
  const guard = new ConnectionGuard<Socket>(
    limits.maxConnections,
    limits.maxPendingUpgrades,
    limits.handshakeMs,
    Math.min(1_000, limits.handshakeMs),
  );
  const settled = (socket: Socket) => {
    guard.settled(socket);
    metrics.pendingConnections.set(guard.pending);
  };
  // A request (an upgrade included) must deliver its headers within the handshake timeout, so
  // connections that dribble bytes (slowloris) are closed instead of piling up; the guard
  // closes those that send nothing at all.
  const checkMs = Math.max(50, Math.min(1_000, limits.handshakeMs / 4));
  const http = createServer({
    headersTimeout: limits.handshakeMs,
    requestTimeout: limits.handshakeMs,
    connectionsCheckingInterval: checkMs,
  });
  http.on('connection', (socket: Socket) => guardConnection(guard, metrics, socket));
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    settled(req.socket);
    serveRoute(req, res, metrics, { draining: state.draining, ready: backend.isReady() });
  });
  const upgrade = upgradeHandler(options, limits, deps, wss, () => state.draining);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    settled(req.socket);
    upgrade(req, socket, head);
  });

  const timers = [
    setInterval(() => hub.sweep(), limits.pingIntervalMs),
    setInterval(() => {
      for (const idle of guard.expired(Date.now())) {
        metrics.rejects.inc({ reason: 'idle-connection' });
        idle.destroy();
      }
      metrics.pendingConnections.set(guard.pending);
    }, checkMs),
  ];
  for (const timer of timers) timer.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state.draining = true;
      hub.drain();
      log.info({ connections: wss.clients.size }, 'draining');
      for (const timer of timers) clearInterval(timer);
      // Plain HTTP stays up while draining so /readyz can report it; upgrades get 503.
      await closeSockets(wss, limits.shutdownMs);
      // Let leave() calls of the closing sockets reach the backend before it disconnects.
      await hub.settle();
      await backend.close();
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await httpClosed;
      log.info('closed');
    })();
    return closing;
  };
  return { http, close };
}

/** Counts a new TCP connection; closes what the guard says must go. */
function guardConnection(
  guard: ConnectionGuard<Socket>,
  metrics: ServerMetrics,
  socket: Socket,
): void {
  for (const victim of guard.arrived(socket, Date.now())) {
    metrics.rejects.inc({ reason: victim === socket ? 'connection-limit' : 'idle-connection' });
    victim.destroy();
  }
  metrics.pendingConnections.set(guard.pending);
  socket.once('close', () => {
    guard.closed(socket);
    metrics.pendingConnections.set(guard.pending);
  });
}

/** Answers a plain HTTP request. */
function serveRoute(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: ServerMetrics,
  state: { draining: boolean; ready: boolean },
): void {
  const reply = (status: number, type: string, body: string): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const route = routeRequest(req.method, req.url, state);
  if (route.kind === 'reply') {
    reply(route.status, route.type, route.body);
    return;
  }
  metrics.registry.metrics().then(
    (text) => reply(200, metrics.registry.contentType, text),
    () => reply(500, 'text/plain', 'metrics failed\n'),
  );
}

/** The upgrade handler: runs the checks, then hands the WebSocket to the hub. */
function upgradeHandler(
  options: SignalingServerOptions,
  limits: Limits,
  { backend, hub, metrics, log, clock }: FrontDeps,
  wss: WebSocketServer,
  draining: () => boolean,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const auth = options.auth;
  const verify = auth
    ? (token: string | null, room: string) => verifyToken(auth, token, room, clock())
    : null;
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const decision = checkUpgrade(
      {
        url: req.url,
        origin: req.headers.origin,
        forwardedFor: req.headers['x-forwarded-for'],
        remoteAddress: req.socket.remoteAddress,
      },
      {
        draining: draining(),
        backendReady: backend.isReady(),
        maxRoomSize: limits.maxRoomSize,
        allowedOrigins,
        trustedProxyHops: limits.trustedProxyHops,
        maxPerIp: limits.maxPerIp,
        connectionsOf: (ip) => hub.connectionsOf(ip),
        verifyToken: verify,
      },
    );
    if (!decision.ok) {
      metrics.rejects.inc({ reason: decision.reason });
      log.info({ reason: decision.reason, ip: req.socket.remoteAddress }, 'upgrade refused');
      reject(socket, decision.status, decision.text, decision.reason);
      return;
    }
    // ws completes a valid handshake synchronously (and never calls back for an invalid one).
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws, decision.ip, decision));
  };
}

/** Closes every WebSocket with 1001; terminates those still open after `shutdownMs`. */
async function closeSockets(wss: WebSocketServer, shutdownMs: number): Promise<void> {
  const sockets = [...wss.clients];
  const socketsClosed = Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) resolve();
          else ws.once('close', () => resolve());
        }),
    ),
  );
  for (const ws of sockets) ws.close(CloseCode.GoingAway, 'server shutting down');
  let deadline: NodeJS.Timeout | undefined;
  await Promise.race([
    socketsClosed,
    new Promise<void>((resolve) => {
      deadline = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
        resolve();
      }, shutdownMs);
    }),
  ]);
  clearTimeout(deadline);
  await socketsClosed;
}

function listen(http: Server, options: SignalingServerOptions): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, fail) => {
    http.once('error', fail);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', fail);
      resolve(http.address() as AddressInfo);
    });
  });
}
