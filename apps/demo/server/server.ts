import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';

/** Where WebSocket upgrades are forwarded to the signaling server. */
export const SIGNALING_PATH = '/signal';

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** Folder of the production build to serve (vite's `dist/`). */
  root: string;
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
   * Port of a signaling server on 127.0.0.1. WebSocket upgrades of `/signal/<room>` are
   * forwarded to it as `/<room>`, so the page and the signaling share one origin and port.
   * @default undefined (no signaling: local mode only)
   */
  signalingPort?: number;
}

/** A running demo server. */
export interface DemoServer {
  /** `http://host:port/`, the URL to open. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The underlying HTTP server. */
  server: Server;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the demo's production build and forwards `/signal/*` WebSocket upgrades to a signaling
 * server, so one port is all a browser needs.
 * @param options - See {@link DemoServerOptions}.
 * @returns The running server, once it listens.
 * @example
 * ```ts
 * const demo = await startDemoServer({ root: 'dist', port: 8080 });
 * console.log(`open ${demo.url}`);
 * ```
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const root = resolve(options.root);
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Duplex>();

  const server = createServer((request, response) => {
    serveFile(root, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`internal error: ${String(error)}\n`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    forwardUpgrade(request, socket, head, options.signalingPort);
  });

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

async function serveFile(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    response.writeHead(400).end();
    return;
  }
  let file = normalize(join(root, pathname));
  if (file !== root && !file.startsWith(root + sep)) {
    response.writeHead(403).end();
    return;
  }
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (info === undefined || !info.isFile()) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  const immutable = pathname.startsWith('/assets/');
  response.writeHead(200, {
    'content-type': type,
    'content-length': info.size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(file).pipe(response);
}

/** Forwards a WebSocket upgrade of `/signal/<rest>` to the signaling server as `/<rest>`. */
function forwardUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  signalingPort: number | undefined,
): void {
  const path = request.url ?? '/';
  if (
    signalingPort === undefined ||
    !(path === SIGNALING_PATH || path.startsWith(`${SIGNALING_PATH}/`))
  ) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const target = path.slice(SIGNALING_PATH.length) || '/';
  const upstream = connect(signalingPort, '127.0.0.1');
  const lines = [`${request.method ?? 'GET'} ${target} HTTP/1.1`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    if (name.toLowerCase() === 'x-forwarded-for') continue;
    lines.push(`${name}: ${request.rawHeaders[i + 1] ?? ''}`);
  }
  lines.push(`X-Forwarded-For: ${request.socket.remoteAddress ?? '127.0.0.1'}`);
  upstream.on('connect', () => {
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream).pipe(socket);
  });
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}
