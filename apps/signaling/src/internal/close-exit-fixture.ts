// Run by hostile.test.ts and scale-out.test.ts in a child Node process: starts a server (on
// Redis when REDIS_URL is set), uses it, leaves one peer in its resume grace window and one
// socket mid-handshake, closes the server and the clients, and returns. The process must then
// exit by itself; a socket, interval, timer or Redis connection left behind would keep it alive.
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { SignalingClient } from '@rbn/online';
import { createSignalingServer } from '../server.js';

const redisUrl = process.env['REDIS_URL'];
const server = await createSignalingServer({
  logger: 'silent',
  resumeGraceMs: 60_000,
  pingIntervalMs: 60_000,
  ...(redisUrl ? { redisUrl, redisKeyPrefix: `exit${process.pid}:` } : {}),
});
process.stdout.write('started\n');
const url = `${server.wsUrl}/room`;
const a = new SignalingClient({ url, WebSocket, reconnect: false });
const b = new SignalingClient({ url, WebSocket, initialBackoffMs: 60_000 });
await a.connect();
const { id: bId } = await b.connect();
const got = new Promise((resolve) => b.on('signal', resolve));
a.signal(bId, { hello: true });
await got;
process.stdout.write('played\n');
// A raw socket that drops mid-session: its peer enters the 60 s grace window.
const raw = new WebSocket(`${url}?next=2`);
await new Promise((resolve) => raw.once('message', resolve));
raw.terminate();
// A connection that never finishes its upgrade headers.
const slow = connect(server.port, '127.0.0.1');
slow.on('error', () => undefined);
slow.write('GET /room HTTP/1.1\r\nHost: x\r\n');
await new Promise((resolve) => setTimeout(resolve, 100));
await server.close();
a.close();
b.close();
slow.destroy();
process.stdout.write('closed\n');
