import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { SignalingServer } from '@rbn/signaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from '../server/server';
import type { DemoServer } from '../server/server';
import { startSignaling } from '../server/signaling';

let root: string;
let signaling: SignalingServer;
let demo: DemoServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rbn-demo-server-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>demo</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'console.log(1);');
  signaling = await startSignaling({ shutdownTimeoutMs: 500 });
  demo = await startDemoServer({ root, port: 0, signalingPort: signaling.port });
});

afterAll(async () => {
  await demo.close();
  await signaling.close();
  await rm(root, { recursive: true, force: true });
});

function get(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: demo.port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

/** Opens a WebSocket by hand and returns the first text frame the server sends. */
function firstWebSocketMessage(path: string): Promise<{ status: number; text?: string }> {
  return new Promise((done, fail) => {
    const req = request({
      host: '127.0.0.1',
      port: demo.port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      done({ status: res.statusCode ?? 0 });
    });
    req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      let buffer = head;
      const tryFrame = (): void => {
        if (buffer.length < 2) return;
        let length = (buffer[1] ?? 0) & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        }
        if (buffer.length < offset + length) return;
        socket.destroy();
        done({
          status: res.statusCode ?? 0,
          text: buffer.subarray(offset, offset + length).toString('utf8'),
        });
      };
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        tryFrame();
      });
      tryFrame();
    });
    req.on('error', fail);
    req.end();
  });
}

describe('demo server', () => {
  it('serves the build with content types, and index.html for the root', async () => {
    const page = await get('/?room=abc&next=2');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('<title>demo</title>');
    const script = await get('/assets/app.js');
    expect(script.type).toContain('text/javascript');
  });

  it('answers 404 for missing files and never serves files outside the build', async () => {
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/../../../../etc/passwd')).status).not.toBe(200);
    expect((await get('/..%2f..%2f..%2f..%2fetc%2fpasswd')).status).toBe(403);
  });

  it('forwards /signal/<room> WebSocket upgrades to the signaling server on the same port', async () => {
    const reply = await firstWebSocketMessage('/signal/test-room?next=2');
    expect(reply.status).toBe(101);
    const welcome = JSON.parse(reply.text ?? '{}') as { type?: string; room?: string };
    expect(welcome.type).toBe('welcome');
    expect(welcome.room).toBe('test-room');
  });

  it('refuses upgrades outside /signal', async () => {
    const reply = await firstWebSocketMessage('/elsewhere');
    expect(reply.status).toBe(404);
  });
});
