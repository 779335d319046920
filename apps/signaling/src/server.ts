import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { Backend, BackendSink, Membership } from './internal/backend.js';
import { parseUrl, reject, roomOf } from './internal/http.js';
import { MemoryBackend } from './internal/memory-backend.js';
import { createMetrics } from './internal/metrics.js';
import { TokenBucket } from './internal/rate-limiter.js';
import { CloseCode } from '@rbn/online';
import { parseClientMessage } from './protocol.js';
import type { SignalingServer, SignalingServerOptions } from './options.js';
import type { ErrorCode, IceServer, WelcomeMessage } from '@rbn/online';
import { createResumeToken, readResumeToken, verifyToken } from './tokens.js';
import { createTurnCredentials } from './turn.js';

type Conn = {
  ws: WebSocket;
  ip: string;
  room: string;
  peerId: string;
  epoch: number;
  group: string;
  joined: boolean;
  /** Messages delivered before the welcome went out. */
  pending: string[];
  /** Their total length in characters. */
  pendingBytes: number;
  alive: boolean;
  bucket: TokenBucket;
  strikes: number;
  /** Closed deliberately (leave, superseded, shutdown): no resume grace. */
  ended: boolean;
  closed: boolean;
  /** The drop was handled (grace started or left). */
  dropped: boolean;
};

type Grace = { epoch: number; timer: NodeJS.Timeout; buffer: string[]; bytes: number };

/**
 * Messages held for a peer that cannot take them yet (not welcomed yet, or in its resume grace
 * window): at most this many, and at most {@link BUFFER_BYTES_LIMIT} characters in all. Beyond
 * that they are dropped, as a dead socket would have dropped them.
 */
const BUFFER_COUNT_LIMIT = 64;
const BUFFER_BYTES_LIMIT = 256 * 1024;

/** Appends `json` to a bounded buffer; returns the new size, or `bytes` unchanged when full. */
function pushBounded(buffer: string[], bytes: number, json: string): number {
  if (buffer.length >= BUFFER_COUNT_LIMIT || bytes + json.length > BUFFER_BYTES_LIMIT) {
    return bytes;
  }
  buffer.push(json);
  return bytes + json.length;
}

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
  const maxMessageBytes = options.maxMessageBytes ?? 65_536;
  const maxRoomSize = options.maxRoomSize ?? 16;
  const maxPerIp = options.maxConnectionsPerIp ?? 32;
  const rate = options.messagesPerSecond ?? 50;
  const burst = options.messageBurst ?? 100;
  const maxStrikes = options.maxRateLimitStrikes ?? 200;
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  const graceMs = options.resumeGraceMs ?? 5_000;
  const shutdownMs = options.shutdownTimeoutMs ?? 10_000;
  const handshakeMs = options.handshakeTimeoutMs ?? 10_000;
  const maxSendBuffer = options.maxSendBufferBytes ?? 4 * 1024 * 1024;
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const log: Logger =
    typeof options.logger === 'object'
      ? options.logger
      : pino({ level: options.logger ?? 'info', base: { service: 'rbn-signaling' } });
  const metrics = createMetrics();

  // ioredis is loaded only when Redis is configured.
  const backend: Backend = options.redisUrl
    ? new (await import('./internal/redis-backend.js')).RedisBackend(
        options.redisUrl,
        options.redisKeyPrefix ?? 'rbn:sig:',
        log,
        options.redisHeartbeatMs ?? 5_000,
      )
    : new MemoryBackend();
  const local = new Map<string, Conn>();
  const graces = new Map<string, Grace>();
  const ipCounts = new Map<string, number>();
  const roomCounts = new Map<string, number>();
  let draining = false;

  const send = (conn: Conn, json: string): void => {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    // A socket that does not read what it is sent (stalled, or hostile) would make the server
    // buffer without bound: past the cap it is cut like a dead socket (it may resume).
    if (conn.ws.bufferedAmount > maxSendBuffer) {
      metrics.rejects.inc({ reason: 'slow-consumer' });
      log.warn({ peerId: conn.peerId, ip: conn.ip }, 'closing a socket that does not read');
      conn.ws.terminate();
      return;
    }
    conn.ws.send(json);
  };
  const sendError = (conn: Conn, code: ErrorCode, message: string): void => {
    metrics.rejects.inc({ reason: code });
    send(conn, JSON.stringify({ type: 'error', code, message }));
  };

  const sink: BackendSink = {
    deliver(peerId, json) {
      const conn = local.get(peerId);
      if (conn) {
        if (conn.joined && conn.ws.readyState === conn.ws.OPEN) send(conn, json);
        else conn.pendingBytes = pushBounded(conn.pending, conn.pendingBytes, json);
        return;
      }
      const grace = graces.get(peerId);
      if (grace) grace.bytes = pushBounded(grace.buffer, grace.bytes, json);
    },
    kick(peerId, epoch) {
      const conn = local.get(peerId);
      if (conn && conn.epoch === epoch) {
        conn.ended = true;
        local.delete(peerId);
        conn.ws.close(CloseCode.Superseded, 'resumed elsewhere');
      }
      const grace = graces.get(peerId);
      if (grace && grace.epoch === epoch) {
        clearTimeout(grace.timer);
        graces.delete(peerId);
      }
    },
  };
  let resumeSecret: string;
  try {
    await backend.start(sink);
    resumeSecret = await backend.resumeSecret(
      options.resumeSecret ?? randomBytes(32).toString('base64url'),
    );
  } catch (error) {
    await backend.close();
    throw new Error(`signaling backend failed to start: ${String(error)}`, { cause: error });
  }

  const addRoom = (room: string, delta: number): void => {
    const n = (roomCounts.get(room) ?? 0) + delta;
    if (n <= 0) roomCounts.delete(room);
    else roomCounts.set(room, n);
    metrics.rooms.set(roomCounts.size);
  };

  const iceServersFor = (peerId: string): IceServer[] =>
    options.turn ? [createTurnCredentials(options.turn, peerId, clock())] : [];

  const startGrace = (conn: Conn): void => {
    const { peerId, epoch } = conn;
    if (graceMs <= 0) {
      background('leave', backend.leave(peerId, epoch, true));
      return;
    }
    const timer = setTimeout(() => {
      const grace = graces.get(peerId);
      if (grace?.epoch === epoch) graces.delete(peerId);
      log.info({ peerId, room: conn.room }, 'resume grace window ended');
      background('leave', backend.leave(peerId, epoch, true));
    }, graceMs);
    timer.unref();
    graces.set(peerId, { epoch, timer, buffer: conn.pending, bytes: conn.pendingBytes });
    conn.pending = [];
    conn.pendingBytes = 0;
  };

  const inflight = new Set<Promise<void>>();
  /** Runs a backend operation nobody awaits, logging failures; close() waits for them. */
  const background = (what: string, op: Promise<unknown>): void => {
    const p = op.then(() => undefined, logFailure(what));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const logFailure =
    (what: string) =>
    (error: unknown): void => {
      log.error({ err: error }, `backend ${what} failed`);
    };

  /** A joined peer's socket is gone: keep its place for a resume (or leave, when draining). */
  const dropped = (conn: Conn): void => {
    if (!conn.joined || conn.ended || conn.dropped) return;
    conn.dropped = true;
    if (draining) {
      background('leave', backend.leave(conn.peerId, conn.epoch, false));
      return;
    }
    background('detach', backend.detach(conn.peerId, conn.epoch));
    startGrace(conn);
  };

  const welcome = (conn: Conn, membership: Membership, resumed: boolean): void => {
    conn.epoch = membership.epoch;
    conn.group = membership.group;
    conn.joined = true;
    const message: WelcomeMessage = {
      type: 'welcome',
      id: conn.peerId,
      room: membership.room,
      group: membership.group,
      groupSize: membership.groupSize,
      host: membership.host,
      isHost: membership.host === conn.peerId,
      peers: membership.peers,
      resumeToken: createResumeToken(resumeSecret, conn.peerId),
      resumed,
      iceServers: iceServersFor(conn.peerId),
    };
    send(conn, JSON.stringify(message));
    for (const json of conn.pending) send(conn, json);
    conn.pending = [];
    conn.pendingBytes = 0;
    log.info(
      { peerId: conn.peerId, room: conn.room, group: conn.group, resumed, ip: conn.ip },
      'peer joined',
    );
  };

  const admit = async (
    conn: Conn,
    groupSize: number | null,
    resumeToken: string | null,
  ): Promise<void> => {
    const resumeId = resumeToken === null ? null : readResumeToken(resumeSecret, resumeToken);
    if (resumeId !== null) {
      // The grace entry may be cleared by the backend's kick while resume() runs; keep it.
      const grace = graces.get(resumeId);
      // resume() leaves the peer alone (null) unless it is still in this very room, so a token
      // used elsewhere cannot disturb its owner.
      const membership = await backend.resume(resumeId, conn.room);
      if (membership !== null) {
        conn.peerId = resumeId;
        const previous = local.get(resumeId);
        if (previous && previous !== conn) {
          previous.ended = true;
          previous.ws.close(CloseCode.Superseded, 'resumed by a newer connection');
        }
        if (conn.closed) local.delete(resumeId);
        else local.set(resumeId, conn);
        if (grace) {
          clearTimeout(grace.timer);
          if (graces.get(resumeId) === grace) graces.delete(resumeId);
          conn.pending.unshift(...grace.buffer);
          conn.pendingBytes += grace.bytes;
        }
        welcome(conn, membership, true);
        return;
      }
      log.info(
        { peerId: resumeId, room: conn.room },
        'resume failed: peer gone or in another room',
      );
    }
    conn.peerId = randomUUID();
    local.set(conn.peerId, conn);
    const result = await backend.join({
      room: conn.room,
      groupSize,
      peerId: conn.peerId,
      maxRoomSize,
      nowMs: clock(),
    });
    if (!result.ok) {
      local.delete(conn.peerId);
      conn.ended = true;
      sendError(conn, 'room-full', `room "${conn.room}" is full (${maxRoomSize} peers)`);
      conn.ws.close(CloseCode.RoomFull, 'room full');
      return;
    }
    if (result.matchLatencyMs !== null) metrics.matchLatency.observe(result.matchLatencyMs / 1000);
    welcome(conn, result, false);
  };

  const onMessage = (conn: Conn, data: RawData, isBinary: boolean): void => {
    // Left, superseded or refused: the socket is closing and no longer acts for the peer.
    if (conn.ended) return;
    const size = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : data instanceof ArrayBuffer
        ? data.byteLength
        : data.length;
    if (!conn.bucket.take(clock())) {
      conn.strikes += 1;
      if (conn.strikes > maxStrikes) {
        metrics.rejects.inc({ reason: 'abusive' });
        log.warn({ peerId: conn.peerId, ip: conn.ip }, 'closing abusive connection (flood)');
        conn.ws.close(CloseCode.PolicyViolation, 'message flood');
        return;
      }
      if (conn.strikes === 1 || conn.strikes % 50 === 0) {
        sendError(conn, 'rate-limited', `more than ${rate} messages per second`);
      } else {
        metrics.rejects.inc({ reason: 'rate-limited' });
      }
      return;
    }
    conn.strikes = 0;
    if (size > maxMessageBytes) {
      sendError(conn, 'too-large', `message of ${size} bytes exceeds ${maxMessageBytes}`);
      return;
    }
    if (isBinary) {
      sendError(conn, 'malformed', 'binary frames are not supported; send JSON text');
      return;
    }
    if (!conn.joined) {
      sendError(conn, 'not-ready', 'wait for the welcome message before sending');
      return;
    }
    const text = (
      Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    ).toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      sendError(conn, parsed.code, parsed.message);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'ping':
        send(conn, '{"type":"pong"}');
        return;
      case 'leave':
        conn.ended = true;
        void backend
          .leave(conn.peerId, conn.epoch, false)
          .catch(logFailure('leave'))
          .finally(() => conn.ws.close(CloseCode.Left, 'left'));
        return;
      case 'signal': {
        if (message.to === conn.peerId) {
          sendError(conn, 'not-in-room', 'cannot signal yourself');
          return;
        }
        const json = JSON.stringify({ type: 'signal', from: conn.peerId, data: message.data });
        const to = message.to;
        const relayed = (ok: boolean): void => {
          if (ok) metrics.signalsRelayed.inc();
          else sendError(conn, 'not-in-room', `peer "${to.slice(0, 64)}" is not in your group`);
        };
        const outcome = backend.relay(conn.peerId, conn.group, to, json);
        if (typeof outcome === 'boolean') relayed(outcome);
        else outcome.then(relayed, logFailure('relay'));
        return;
      }
      default: {
        const never: never = message;
        return never;
      }
    }
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes * 4,
    perMessageDeflate: false,
    clientTracking: true,
  });

  const onConnection = (
    ws: WebSocket,
    ip: string,
    room: string,
    groupSize: number | null,
    resume: string | null,
  ): void => {
    metrics.connections.inc();
    addRoom(room, 1);
    const conn: Conn = {
      ws,
      ip,
      room,
      peerId: '',
      epoch: 0,
      group: '',
      joined: false,
      pending: [],
      pendingBytes: 0,
      alive: true,
      bucket: new TokenBucket(rate, burst, clock()),
      strikes: 0,
      ended: false,
      closed: false,
      dropped: false,
    };
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      // Last line of defence: nothing a client sends may throw out of the socket's handler
      // (an uncaught exception would take every other connection down with the process).
      try {
        onMessage(conn, data, isBinary);
      } catch (error) {
        log.error({ peerId: conn.peerId, err: String(error) }, 'message handler failed');
        sendError(conn, 'invalid-message', 'message could not be handled');
      }
    });
    ws.on('error', (error) => {
      log.warn({ peerId: conn.peerId, err: error.message }, 'socket error');
      if (error.message.includes('Max payload')) metrics.rejects.inc({ reason: 'too-large' });
    });
    ws.on('close', (code) => {
      conn.closed = true;
      metrics.connections.dec();
      addRoom(room, -1);
      const n = (ipCounts.get(ip) ?? 1) - 1;
      if (n <= 0) ipCounts.delete(ip);
      else ipCounts.set(ip, n);
      log.info({ peerId: conn.peerId, room, code }, 'socket closed');
      if (local.get(conn.peerId) === conn) local.delete(conn.peerId);
      dropped(conn);
    });
    admit(conn, groupSize, resume).then(
      () => {
        // The socket closed while the backend was still admitting it.
        if (conn.closed && local.get(conn.peerId) === undefined) dropped(conn);
      },
      (error: unknown) => {
        logFailure('join')(error);
        ws.close(1011, 'internal error');
      },
    );
  };

  const clientIp = (req: IncomingMessage): string => {
    if (options.trustProxy) {
      const forwarded = req.headers['x-forwarded-for'];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
      if (first) return first;
    }
    return req.socket.remoteAddress ?? 'unknown';
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, text: string, reason: string): void => {
      metrics.rejects.inc({ reason });
      log.info({ reason, ip: req.socket.remoteAddress }, 'upgrade refused');
      reject(socket, status, text, reason);
    };
    if (draining || !backend.isReady()) {
      refuse(503, 'Service Unavailable', draining ? 'draining' : 'not-ready');
      return;
    }
    const url = parseUrl(req.url);
    const room = url ? roomOf(url.pathname) : null;
    if (url === null || room === null) {
      refuse(400, 'Bad Request', 'bad-room-name');
      return;
    }
    const nextText = url.searchParams.get('next');
    let groupSize: number | null = null;
    if (nextText !== null) {
      groupSize = /^\d{1,3}$/.test(nextText) ? Number(nextText) : NaN;
      if (!(groupSize >= 2 && groupSize <= maxRoomSize)) {
        refuse(400, 'Bad Request', 'bad-next');
        return;
      }
    }
    if (allowedOrigins.size > 0) {
      const origin = req.headers.origin;
      if (origin === undefined || !allowedOrigins.has(origin)) {
        refuse(403, 'Forbidden', 'origin');
        return;
      }
    }
    if (options.auth && !verifyToken(options.auth, url.searchParams.get('token'), room, clock())) {
      refuse(401, 'Unauthorized', 'token');
      return;
    }
    const ip = clientIp(req);
    if ((ipCounts.get(ip) ?? 0) >= maxPerIp) {
      refuse(429, 'Too Many Requests', 'ip-limit');
      return;
    }
    const resume = url.searchParams.get('resume');
    // ws completes a valid handshake synchronously (and never calls back for an invalid one).
    wss.handleUpgrade(req, socket, head, (ws) => {
      ipCounts.set(ip, (ipCounts.get(ip) ?? 0) + 1);
      onConnection(ws, ip, room, groupSize, resume);
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = parseUrl(req.url)?.pathname ?? '/';
    const reply = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') {
      reply(405, 'text/plain', 'method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      reply(200, 'application/json', '{"status":"ok"}');
    } else if (path === '/readyz') {
      const ready = !draining && backend.isReady();
      reply(ready ? 200 : 503, 'application/json', JSON.stringify({ ready, draining }));
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => reply(200, metrics.registry.contentType, text),
        () => reply(500, 'text/plain', 'metrics failed\n'),
      );
    } else if (roomOf(path) !== null) {
      reply(426, 'text/plain', 'connect with a WebSocket\n');
    } else {
      reply(404, 'text/plain', 'not found\n');
    }
  };

  // A request (an upgrade included) must deliver its headers within the handshake timeout, so
  // connections that dribble bytes (slowloris) are closed instead of piling up.
  const http = createServer({
    headersTimeout: handshakeMs,
    requestTimeout: handshakeMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, handshakeMs / 4)),
  });
  http.on('request', onRequest);
  http.on('upgrade', onUpgrade);

  const pinger = setInterval(() => {
    for (const conn of local.values()) {
      if (!conn.alive) {
        log.info({ peerId: conn.peerId }, 'reaping dead socket');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, pingIntervalMs);
  pinger.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info(
    { port: address.port, host: address.address, redis: Boolean(options.redisUrl) },
    'listening',
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      log.info({ connections: wss.clients.size }, 'draining');
      clearInterval(pinger);
      // Plain HTTP stays up while draining so /readyz can report it; upgrades get 503.
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
      for (const grace of graces.values()) clearTimeout(grace.timer);
      graces.clear();
      // Let leave() calls of the closing sockets reach the backend before it disconnects.
      await Promise.all(inflight);
      await backend.close();
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await httpClosed;
      log.info('closed');
    })();
    return closing;
  };

  return {
    url: `http://${hostText}:${address.port}`,
    wsUrl: `ws://${hostText}:${address.port}`,
    port: address.port,
    metrics: metrics.registry,
    close,
  };
}
