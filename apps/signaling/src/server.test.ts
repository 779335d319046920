import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { expectRefused, TestPeer, useSignalingFixtures } from './internal/test-peer.js';
import { createSignalingServer } from './server.js';
import type { SignalingServer } from './options.js';
import { createRoomToken } from './tokens.js';

const { start, join, track } = useSignalingFixtures();

/** Polls /metrics until it matches (the server has seen what the test did). */
async function until(server: SignalingServer, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (pattern.test(await (await fetch(`${server.url}/metrics`)).text())) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`metrics never matched ${pattern}`);
}

/** A raw client that completes the upgrade and then never answers anything (not even close). */
async function rawUpgrade(port: number): Promise<Socket> {
  const raw = connect(port, '127.0.0.1');
  raw.on('error', () => undefined);
  raw.write(
    'GET /room HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise((resolve) => raw.once('data', resolve));
  return raw;
}

describe('signaling server rooms', () => {
  it('assigns ids, tells existing peers about newcomers, and isolates rooms', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/alpha`);
    const b = await join(`${server.wsUrl}/alpha`);
    const c = await join(`${server.wsUrl}/beta`);

    expect(a.welcome.id).not.toBe(b.welcome.id);
    expect(a.welcome.peers).toEqual([]);
    expect(b.welcome.peers).toEqual([a.welcome.id]);
    expect(c.welcome.peers).toEqual([]);
    expect(await a.peer.next('new-peer')).toEqual({
      type: 'new-peer',
      id: b.welcome.id,
      host: a.welcome.id,
    });

    a.peer.send({ type: 'signal', to: b.welcome.id, data: { sdp: 'offer' } });
    expect(await b.peer.next('signal')).toEqual({
      type: 'signal',
      from: a.welcome.id,
      data: { sdp: 'offer' },
    });

    a.peer.send({ type: 'signal', to: c.welcome.id, data: 'cross-room' });
    expect((await a.peer.next('error')).code).toBe('not-in-room');
    await c.peer.barrier();
    expect(c.peer.inbox).toEqual([]);
  });

  it('marks the first peer host and hands host to the next oldest when it leaves', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    const c = await join(`${server.wsUrl}/room`);
    expect([a.welcome.isHost, b.welcome.isHost, c.welcome.isHost]).toEqual([true, false, false]);
    expect(c.welcome.host).toBe(a.welcome.id);

    a.peer.send({ type: 'leave' });
    expect((await a.peer.closed).code).toBe(4000);
    expect(await b.peer.next('peer-left')).toEqual({
      type: 'peer-left',
      id: a.welcome.id,
      host: b.welcome.id,
    });
    expect((await c.peer.next('peer-left')).host).toBe(b.welcome.id);
  });

  it('forms ?next=2 groups of two: the first two together, the next two apart from them', async () => {
    const server = await start();
    const url = `${server.wsUrl}/lobby?next=2`;
    const p1 = await join(url);
    const p2 = await join(url);
    const p3 = await join(url);
    const p4 = await join(url);

    expect(p2.welcome.peers).toEqual([p1.welcome.id]);
    expect(p2.welcome.group).toBe(p1.welcome.group);
    expect(p3.welcome.peers).toEqual([]);
    expect(p3.welcome.group).not.toBe(p1.welcome.group);
    expect(p4.welcome.peers).toEqual([p3.welcome.id]);
    expect([p1, p2, p3, p4].map((p) => p.welcome.isHost)).toEqual([true, false, true, false]);
    expect(p1.welcome.groupSize).toBe(2);

    p1.peer.send({ type: 'signal', to: p3.welcome.id, data: 1 });
    expect((await p1.peer.next('error')).code).toBe('not-in-room');
    p4.peer.send({ type: 'signal', to: p3.welcome.id, data: 2 });
    expect((await p3.peer.next('signal')).data).toBe(2);
    await p1.peer.barrier();
    expect(p1.peer.inbox.map((m) => m.type)).toEqual(['new-peer']);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/rbn_signaling_match_latency_seconds_count 2/);
  });
});

describe('signaling server liveness and resume', () => {
  it('keeps the id of a peer that resumes within the grace window, with signals sent meanwhile', async () => {
    const server = await start({ resumeGraceMs: 5_000 });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    await a.peer.next('new-peer');

    b.peer.ws.terminate();
    await until(server, /rbn_signaling_connections 1\b/);
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'while-away' });
    await a.peer.barrier();

    const again = await join(`${server.wsUrl}/room?resume=${b.welcome.resumeToken}`);
    expect(again.welcome.resumed).toBe(true);
    expect(again.welcome.id).toBe(b.welcome.id);
    expect(again.welcome.peers).toEqual([a.welcome.id]);
    expect((await again.peer.next('signal')).data).toBe('while-away');
    await a.peer.barrier();
    expect(a.peer.inbox).toEqual([]);
  });

  it('announces the leave once the grace window ends without a resume', async () => {
    const server = await start({ resumeGraceMs: 100 });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    b.peer.ws.terminate();
    expect((await a.peer.next('peer-left')).id).toBe(b.welcome.id);

    const late = await join(`${server.wsUrl}/room?resume=${b.welcome.resumeToken}`);
    expect(late.welcome.resumed).toBe(false);
    expect(late.welcome.id).not.toBe(b.welcome.id);
  });

  it('ignores a forged resume token and assigns a fresh id', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/room`);
    const forged = `${a.welcome.id}.AAAA`;
    const b = await join(`${server.wsUrl}/room?resume=${forged}`);
    expect(b.welcome.resumed).toBe(false);
    expect(b.welcome.id).not.toBe(a.welcome.id);
  });

  it('reaps a socket that stops answering pings', async () => {
    // The live peer answers from this (possibly loaded) test process: the interval must stay
    // well above the event-loop stalls of a busy CI machine or the live peer is reaped too.
    const server = await start({ pingIntervalMs: 2_000, resumeGraceMs: 0 });
    const a = await join(`${server.wsUrl}/room`);
    const dead = await join(`${server.wsUrl}/room`, { autoPong: false });
    expect((await a.peer.next('peer-left', 15_000)).id).toBe(dead.welcome.id);
    expect((await dead.peer.closed).code).toBe(1006);
    expect(a.peer.ws.readyState).toBe(a.peer.ws.OPEN);
  });
});

describe('signaling server limits and bad input', () => {
  it('answers oversized, malformed, unknown and incomplete messages with errors and keeps the socket', async () => {
    const server = await start({ maxMessageBytes: 1024 });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);

    const cases: [unknown, string][] = [
      [{ type: 'signal', to: b.welcome.id, data: 'x'.repeat(2000) }, 'too-large'],
      ['{not json', 'malformed'],
      ['[1,2]', 'malformed'],
      [{ type: 'teleport' }, 'unknown-type'],
      [{ type: 'signal', data: 1 }, 'invalid-message'],
      [{ type: 'signal', to: b.welcome.id }, 'invalid-message'],
      [{ type: 'signal', to: 'nobody', data: 1 }, 'not-in-room'],
      [{ type: 'signal', to: a.welcome.id, data: 1 }, 'not-in-room'],
    ];
    for (const [message, code] of cases) {
      a.peer.send(message);
      expect((await a.peer.next('error')).code, JSON.stringify(message).slice(0, 40)).toBe(code);
    }
    a.peer.ws.send(Buffer.from([1, 2, 3]));
    expect((await a.peer.next('error')).code).toBe('malformed');

    await b.peer.barrier();
    expect(b.peer.inbox).toEqual([]);
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'still here' });
    expect((await b.peer.next('signal')).data).toBe('still here');

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/rbn_signaling_rejects_total\{reason="malformed"\} 3/);
  });

  it('caps messages at 64 KiB by default: 65 536 bytes are relayed, 65 537 get too-large and the socket stays', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    const envelope = JSON.stringify({ type: 'signal', to: b.welcome.id, data: '' }).length;
    /** A signal to b whose frame is exactly `bytes` long (ASCII, so characters = bytes). */
    const frame = (bytes: number): string =>
      JSON.stringify({ type: 'signal', to: b.welcome.id, data: 'x'.repeat(bytes - envelope) });
    expect(frame(65_537)).toHaveLength(65_537);

    a.peer.send(frame(65_536));
    expect((await b.peer.next('signal')).data).toHaveLength(65_536 - envelope);

    a.peer.send(frame(65_537));
    expect(await a.peer.next('error')).toEqual({
      type: 'error',
      code: 'too-large',
      message: 'message of 65537 bytes exceeds 65536',
    });
    await b.peer.barrier();
    expect(b.peer.inbox).toEqual([]);
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'still here' });
    expect((await b.peer.next('signal')).data).toBe('still here');
    expect(a.peer.ws.readyState).toBe(a.peer.ws.OPEN);
  });

  it('closes a socket that sends a frame far over the cap (1009)', async () => {
    const server = await start({ maxMessageBytes: 1024 });
    const a = await join(`${server.wsUrl}/room`);
    a.peer.send('x'.repeat(5000));
    expect((await a.peer.closed).code).toBe(1009);
    await join(`${server.wsUrl}/room`);
  });

  it('rate limits a flooding socket, then closes it as abusive while others are served', async () => {
    const now = 1_000_000;
    const server = await start({
      clock: () => now,
      messagesPerSecond: 10,
      messageBurst: 5,
      maxRateLimitStrikes: 20,
    });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    for (let i = 0; i < 6; i++) a.peer.send({ type: 'ping' });
    const error = await a.peer.next('error');
    expect(error.code).toBe('rate-limited');
    expect(a.peer.inbox.filter((m) => m.type === 'pong')).toHaveLength(5);

    for (let i = 0; i < 30; i++) a.peer.send({ type: 'ping' });
    expect((await a.peer.closed).code).toBe(1008);
    await b.peer.barrier();
  });

  it('refuses bad room names and bad ?next before the upgrade', async () => {
    const server = await start({ maxRoomSize: 4 });
    for (const path of [
      '/',
      '/has%20space',
      `/${'x'.repeat(65)}`,
      '/a/b',
      '/%2e%2e%2f',
      '/%E0%A4%A',
    ]) {
      expect(await expectRefused(`${server.wsUrl}${path}`), path).toEqual({
        status: 400,
        reason: 'bad-room-name',
      });
    }
    for (const next of ['1', '5', 'two', '-2', '2.5']) {
      expect((await expectRefused(`${server.wsUrl}/r?next=${next}`)).reason, next).toBe('bad-next');
    }
    await join(`${server.wsUrl}/ok_room-1.0`);
  });

  it('refuses a wrong or missing Origin with 403 when an allowlist is set', async () => {
    const server = await start({ allowedOrigins: ['https://game.example'] });
    expect(await expectRefused(`${server.wsUrl}/room`, { origin: 'https://evil.example' })).toEqual(
      { status: 403, reason: 'origin' },
    );
    expect((await expectRefused(`${server.wsUrl}/room`)).status).toBe(403);
    await join(`${server.wsUrl}/room`, { origin: 'https://game.example' });
  });

  it('refuses a missing or wrong shared-secret token with 401', async () => {
    const server = await start({ auth: { mode: 'shared', secret: 'open-sesame' } });
    expect(await expectRefused(`${server.wsUrl}/room`)).toEqual({ status: 401, reason: 'token' });
    expect((await expectRefused(`${server.wsUrl}/room?token=guess`)).status).toBe(401);
    await join(`${server.wsUrl}/room?token=open-sesame`);
  });

  it('accepts an HMAC room token only for its room and before its expiry', async () => {
    const now = 1_700_000_000_000;
    const server = await start({ auth: { mode: 'hmac', secret: 'k' }, clock: () => now });
    const valid = createRoomToken('k', 'room', now / 1000 + 60);
    const expired = createRoomToken('k', 'room', now / 1000 - 1);
    const otherKey = createRoomToken('not-k', 'room', now / 1000 + 60);
    expect((await expectRefused(`${server.wsUrl}/other?token=${valid}`)).status).toBe(401);
    expect((await expectRefused(`${server.wsUrl}/room?token=${expired}`)).status).toBe(401);
    expect((await expectRefused(`${server.wsUrl}/room?token=${otherKey}`)).status).toBe(401);
    await join(`${server.wsUrl}/room?token=${valid}`);
  });

  it('refuses connections beyond the per-IP limit with 429 and admits again after one closes', async () => {
    const server = await start({ maxConnectionsPerIp: 2 });
    const a = await join(`${server.wsUrl}/room`);
    await join(`${server.wsUrl}/room`);
    expect(await expectRefused(`${server.wsUrl}/room`)).toEqual({
      status: 429,
      reason: 'ip-limit',
    });
    await a.peer.close();
    await join(`${server.wsUrl}/room`);
  });

  it('refuses a joiner of a full room with a room-full error and close code 4001', async () => {
    const server = await start({ maxRoomSize: 2 });
    await join(`${server.wsUrl}/small`);
    await join(`${server.wsUrl}/small`);
    const third = track(await TestPeer.open(`${server.wsUrl}/small`));
    expect((await third.next('error')).code).toBe('room-full');
    expect((await third.closed).code).toBe(4001);
    await join(`${server.wsUrl}/other`);
  });
});

describe('signaling server TURN credentials', () => {
  it('sends coturn use-auth-secret credentials with the id assignment', async () => {
    const now = 1_700_000_000_000;
    const server = await start({
      clock: () => now,
      turn: { secret: 'turn-secret', urls: ['turn:turn.example:3478'], ttlSeconds: 600 },
    });
    const { welcome } = await join(`${server.wsUrl}/room`);
    const [ice] = welcome.iceServers;
    expect(ice?.urls).toEqual(['turn:turn.example:3478']);
    expect(ice?.username).toBe(`${now / 1000 + 600}:${welcome.id}`);
    const expected = createHmac('sha1', 'turn-secret')
      .update(`${now / 1000 + 600}:${welcome.id}`)
      .digest('base64');
    expect(ice?.credential).toBe(expected);
  });

  it('sends no iceServers when TURN is not configured', async () => {
    const server = await start();
    expect((await join(`${server.wsUrl}/room`)).welcome.iceServers).toEqual([]);
  });
});

describe('signaling server operations', () => {
  it('logs structured JSON about peers but never the bodies of their signals', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const server = await start({ logger: pino({ level: 'trace' }, sink) });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    const sdp = 'v=0 o=- SECRET-SDP-BODY IN IP4 127.0.0.1';
    a.peer.send({ type: 'signal', to: b.welcome.id, data: { type: 'offer', sdp } });
    await b.peer.next('signal');
    a.peer.send(`{"type":"signal","to":"${b.welcome.id}","data":"${sdp}"`);
    await a.peer.next('error');
    await b.peer.close();

    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(lines.join('')).toContain(a.welcome.id);
    expect(lines.join('')).not.toContain('SECRET-SDP-BODY');
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 1 });
    await b.peer.next('signal');

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true, draining: false }]);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/rbn_signaling_connections 2/);
    expect(text).toMatch(/rbn_signaling_rooms 1/);
    expect(text).toMatch(/rbn_signaling_signals_relayed_total 1/);
    expect((await fetch(`${server.url}/room`)).status).toBe(426);
    expect((await fetch(`${server.url}/nope/nope`)).status).toBe(404);
  });

  it('drains on close: /readyz turns 503, sockets get 1001, new upgrades are refused', async () => {
    const server = await createSignalingServer({ logger: 'silent' });
    const a = await join(`${server.wsUrl}/room`);
    const closing = server.close();
    expect((await a.peer.closed).code).toBe(1001);
    await closing;
    await expect(fetch(`${server.url}/readyz`)).rejects.toThrow();
  });

  it('reports not ready and refuses upgrades while draining', async () => {
    const server = await createSignalingServer({ logger: 'silent', shutdownTimeoutMs: 30_000 });
    const raw = await rawUpgrade(server.port);
    const closing = server.close();
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { ready: false, draining: true }]);
    expect(await expectRefused(`${server.wsUrl}/room`)).toEqual({
      status: 503,
      reason: 'draining',
    });
    raw.destroy();
    await closing;
  });

  it('terminates sockets that ignore the close frame once the shutdown deadline passes', async () => {
    const server = await createSignalingServer({ logger: 'silent', shutdownTimeoutMs: 100 });
    const raw = await rawUpgrade(server.port);
    const rawClosed = new Promise((resolve) => raw.once('close', resolve));
    await server.close();
    await rawClosed;
  });
});
