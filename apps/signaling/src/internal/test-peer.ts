// Test helpers (not part of the app's surface): a raw `ws` peer with a message inbox.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import type { SignalingServer, SignalingServerOptions } from '../options.js';
import type { ServerMessage } from '@rbn/online';
import { createSignalingServer } from '../server.js';

type Waiter = { type: string; resolve: (m: ServerMessage) => void; reject: (e: Error) => void };

/** A raw WebSocket peer that collects server messages and lets a test await them by type. */
export class TestPeer {
  readonly inbox: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Waiter[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as ServerMessage;
      const waiter = this.#waiters.find((w) => w.type === message.type);
      if (waiter) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      } else {
        this.inbox.push(message);
      }
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const w of this.#waiters)
          w.reject(new Error(`closed (${code}) waiting for ${w.type}`));
        this.#waiters = [];
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  /** Opens a socket (resolves once the upgrade succeeded). */
  static open(url: string, options?: ClientOptions): Promise<TestPeer> {
    const ws = new WebSocket(url, options);
    const peer = new TestPeer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(peer));
      ws.once('error', reject);
    });
  }

  /** Opens a socket and waits for the welcome. */
  static async join(
    url: string,
    options?: ClientOptions,
  ): Promise<{ peer: TestPeer; welcome: Extract<ServerMessage, { type: 'welcome' }> }> {
    const peer = await TestPeer.open(url, options);
    return { peer, welcome: await peer.next('welcome') };
  }

  /** The next message of `type` (already received or still to come). */
  next<T extends ServerMessage['type']>(
    type: T,
    timeoutMs = 3000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const index = this.inbox.findIndex((m) => m.type === type);
    if (index >= 0) {
      const [message] = this.inbox.splice(index, 1);
      return Promise.resolve(message as Extract<ServerMessage, { type: T }>);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ServerMessage, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for "${type}"; inbox: ${JSON.stringify(this.inbox)}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Sends a JSON value (or raw text). */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Round trip through the server: everything the server sent this peer before the pong has
   * arrived afterwards, so a test can then assert on what did not arrive.
   */
  async barrier(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next('pong');
  }

  /** Closes the socket and waits for the close. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close();
    }
    await this.closed;
  }
}

/**
 * Attempts an upgrade that the server should refuse before it happens.
 * @returns The HTTP status and the `X-Rbn-Reject` reason.
 */
export function expectRefused(
  url: string,
  options?: ClientOptions,
): Promise<{ status: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, reason: String(res.headers['x-rbn-reject'] ?? '') });
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`upgrade to ${url} was accepted`));
    });
    ws.on('error', () => undefined);
  });
}

/**
 * The servers and peers one test file starts, closed after every test: call once at the top of a
 * test file, then use `start` and `join` in its tests.
 */
export function useSignalingFixtures(): {
  start: (options?: SignalingServerOptions) => Promise<SignalingServer>;
  join: (
    url: string,
    options?: Parameters<typeof TestPeer.join>[1],
  ) => ReturnType<typeof TestPeer.join>;
  /** Closes this peer after the test too (for peers opened with `TestPeer.open`). */
  track: (peer: TestPeer) => TestPeer;
  servers: SignalingServer[];
} {
  const servers: SignalingServer[] = [];
  const peers: TestPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.ws.terminate();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    servers,
    start: async (options = {}) => {
      const server = await createSignalingServer({ logger: 'silent', ...options });
      servers.push(server);
      return server;
    },
    track: (peer) => {
      peers.push(peer);
      return peer;
    },
    join: async (url, options) => {
      const result = await TestPeer.join(url, options);
      peers.push(result.peer);
      return result;
    },
  };
}

/** What {@link runCloseExitFixture} saw: the exit code, whether it had to kill it, and why. */
export type CloseExitResult = {
  code: number | null;
  killed: boolean;
  /** The fixture's progress lines (`started`, `played`, `closed`), as printed. */
  out: string;
  /** Why it was killed (the stage it hung in), or `''`. */
  hang: string;
};

/** Time for the fixture to start Node, its server and clients, and close: generous for a loaded machine. */
const CLOSE_EXIT_START_MS = 60_000;
/** Time for the fixture to exit once it printed `closed`: longer means something kept Node alive. */
const CLOSE_EXIT_EXIT_MS = 10_000;
/** How long a test of {@link runCloseExitFixture} may take (both caps, plus room). */
export const CLOSE_EXIT_TEST_MS = CLOSE_EXIT_START_MS + CLOSE_EXIT_EXIT_MS + 10_000;

/**
 * Runs `internal/close-exit-fixture.ts` (starts a server, closes it, prints `closed`) in a child
 * process and reports whether Node then exited on its own: anything the server leaves open (a
 * timer, a socket, a Redis connection) keeps it alive until it is killed.
 * @param redisUrl - The Redis URL for the fixture's server, or `''` for the in-memory backend.
 */
export function runCloseExitFixture(redisUrl: string): Promise<CloseExitResult> {
  const fixture = fileURLToPath(new URL('./close-exit-fixture.ts', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@rbn/source', '--import', 'tsx', fixture],
      {
        cwd: dirname(fixture),
        env: { ...process.env, REDIS_URL: redisUrl },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    let hang = '';
    const kill = (why: string) => () => {
      hang = `${why} (its output: ${JSON.stringify(out)})`;
      child.kill('SIGKILL');
    };
    let timer = setTimeout(
      kill(`it did not start, play and close within ${CLOSE_EXIT_START_MS} ms`),
      CLOSE_EXIT_START_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('closed')) {
        clearTimeout(timer);
        timer = setTimeout(
          kill(`it did not exit within ${CLOSE_EXIT_EXIT_MS} ms of closing`),
          CLOSE_EXIT_EXIT_MS,
        );
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, killed: hang !== '', out, hang });
    });
  });
}
