// Starts Debian's coturn (`turnserver`) for a test: loopback only, TURN REST API credentials
// (`use-auth-secret`) with the secret the signaling server signs with, no TLS/DTLS, no CLI, and
// loopback peers allowed (both test peers live on 127.0.0.1). Readiness is a STUN Binding request
// answered on the listening port, never a sleep.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs coturn's server (`apt-get install coturn`). */
export const TURNSERVER = '/usr/bin/turnserver';

/** A running coturn. */
export type Coturn = {
  /** The UDP port it listens on (127.0.0.1). */
  port: number;
  /** Its TURN URL, for the signaling server's `turn.urls`. */
  url: string;
  /** What it printed (for failure messages). */
  log: () => string;
  close: () => Promise<void>;
};

/** A UDP port that was free on 127.0.0.1 a moment ago. */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Resolves once a STUN Binding request to 127.0.0.1:`port` is answered (retried every 100 ms). */
function stunAnswers(port: number, capMs: number, exited: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request
    request.writeUInt16BE(0, 2);
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(request, 8);
    const finish = (error?: Error): void => {
      clearInterval(retry);
      clearTimeout(cap);
      socket.close();
      if (error) reject(error);
      else resolve();
    };
    socket.on('message', (reply) => {
      if (reply.length >= 20 && reply.readUInt16BE(0) === 0x0101) finish();
    });
    const send = (): void => {
      if (exited()) finish(new Error('turnserver exited before answering STUN'));
      else socket.send(request, port, '127.0.0.1');
    };
    const retry = setInterval(send, 100);
    const cap = setTimeout(
      () => finish(new Error(`hang cap: turnserver did not answer STUN within ${capMs} ms`)),
      capMs,
    );
    send();
  });
}

/**
 * Starts coturn on 127.0.0.1.
 * @param secret - The `static-auth-secret` (the signaling server's `turn.secret`).
 * @returns The running server.
 */
export async function startCoturn(secret: string): Promise<Coturn> {
  if (!existsSync(TURNSERVER)) {
    throw new Error(
      `${TURNSERVER} is missing: apt-get install coturn (scripts/ensure-system-deps.mjs)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'rbn-coturn-'));
  const port = await freeUdpPort();
  const args = [
    '-n', // no configuration file: everything is below
    `--listening-ip=127.0.0.1`,
    `--relay-ip=127.0.0.1`,
    `--listening-port=${port}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=rbn.test',
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-tcp',
    '--no-cli',
    '--no-rfc5780',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    '--log-file=stdout',
    '--simple-log',
  ];
  let output = '';
  const child: ChildProcess = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const close = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    // A hang, not slowness: coturn stops on SIGTERM at once.
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(kill);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await stunAnswers(port, 30_000, () => exited);
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}\n${output.slice(-2000)}`);
  }
  return { port, url: `turn:127.0.0.1:${port}?transport=udp`, log: () => output, close };
}
