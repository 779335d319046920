import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  expectRefused,
  CLOSE_EXIT_TEST_MS,
  runCloseExitFixture,
  TestPeer,
  useSignalingFixtures,
} from './internal/test-peer.js';
import type { SignalingServer } from './options.js';

// Abuse beyond the basic limits of server.test.ts: input crafted to crash, stall or bloat the
// server. Each test also checks that the server keeps serving a well-behaved peer.

const { start, join, track } = useSignalingFixtures();

/** A TCP connection that never sends a byte; `closed` tells whether the server closed it. */
async function idleConnection(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let closed = false;
  socket.once('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed: () => closed };
}

async function metric(server: SignalingServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match?.[1] === undefined ? NaN : Number(match[1]);
}

/** Polls until `condition` holds (bounded), for state the server updates asynchronously. */
async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('signaling server under hostile input', () => {
  it('refuses a JSON bomb (signal data nested 30 000 deep, within the size cap) and keeps serving', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    const depth = 30_000;
    const bomb = `{"type":"signal","to":"${b.welcome.id}","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(bomb.length).toBeLessThan(65_536);
    a.peer.send(bomb);
    const error = await a.peer.next('error');
    expect(error.code).toBe('invalid-message');
    expect(error.message).toMatch(/nested/);
    // Nesting that real signals use still passes.
    a.peer.send({ type: 'signal', to: b.welcome.id, data: { a: { b: { c: [1, [2, [3]]] } } } });
    expect((await b.peer.next('signal')).data).toEqual({ a: { b: { c: [1, [2, [3]]] } } });
    await b.peer.barrier();
    expect(b.peer.inbox).toEqual([]);
  });

  it('refuses a very long peer id in "to" without echoing it back whole', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    a.peer.send({ type: 'signal', to: 'x'.repeat(60_000), data: 1 });
    const error = await a.peer.next('error');
    expect(error.code).toBe('invalid-message');
    expect(error.message.length).toBeLessThan(200);
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'ok' });
    expect((await b.peer.next('signal')).data).toBe('ok');
  });

  it('closes a connection that dribbles its upgrade headers (slowloris) once the handshake timeout passes', async () => {
    const server = await start({ handshakeTimeoutMs: 1_500 });
    // An upgraded socket is past its handshake: it must outlive the timeout.
    const early = await join(`${server.wsUrl}/room`);
    const slow = connect(server.port, '127.0.0.1');
    slow.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.write('GET /room HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
    const drip = setInterval(() => slow.write('X-Slow: 1\r\n'), 50);
    try {
      // Meanwhile a normal peer is served.
      await join(`${server.wsUrl}/room`);
      await closed;
    } finally {
      clearInterval(drip);
    }
    expect(slow.destroyed).toBe(true);
    await early.peer.barrier();
  });

  it('keeps nothing per room once the peers of many rooms have gone', async () => {
    const server = await start({ maxConnectionsPerIp: 1_000, resumeGraceMs: 0 });
    const rooms = 150;
    const joined = await Promise.all(
      Array.from({ length: rooms }, (_, i) => join(`${server.wsUrl}/room-${i}`)),
    );
    expect(await metric(server, 'rbn_signaling_rooms')).toBe(rooms);
    expect(new Set(joined.map((j) => j.welcome.group)).size).toBe(rooms);
    await Promise.all(joined.map((j) => j.peer.close()));
    await until(async () => (await metric(server, 'rbn_signaling_rooms')) === 0, 'rooms to empty');
    expect(await metric(server, 'rbn_signaling_connections')).toBe(0);
    // A room name reused later starts empty: nobody from before is listed.
    expect((await join(`${server.wsUrl}/room-0`)).welcome.peers).toEqual([]);
  });

  it('cuts the sender that floods a room-mate who stopped reading, not the room-mate', async () => {
    const server = await start({
      maxSendBufferBytes: 256 * 1024,
      messagesPerSecond: 100_000,
      messageBurst: 100_000,
      maxConnectionsPerIp: 100,
    });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    const c = await join(`${server.wsUrl}/room`);
    await b.peer.next('new-peer');
    const socketOf = (peer: typeof b.peer) =>
      (peer.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socketOf(b.peer).pause();
    const chunk = 'z'.repeat(60_000);
    let aOpen = true;
    const aClosed = a.peer.closed.then((close) => {
      aOpen = false;
      return close;
    });
    // Keep flooding (in rounds, so the kernel buffers fill) until the server acts.
    await until(async () => {
      for (let i = 0; i < 20 && aOpen; i++) {
        a.peer.send({ type: 'signal', to: b.welcome.id, data: chunk });
      }
      await Promise.race([a.peer.barrier().catch(() => undefined), aClosed]);
      return !aOpen;
    }, 'the flooding sender to be cut');
    expect((await aClosed).code).toBe(1008);
    // The receiver kept its connection; once it reads again it hears from the others.
    await until(async () => (await metric(server, 'rbn_signaling_connections')) === 2, 'the cut');
    c.peer.send({ type: 'signal', to: b.welcome.id, data: 'from c' });
    await c.peer.barrier();
    socketOf(b.peer).resume();
    expect((await b.peer.next('peer-left', 30_000)).id).toBe(a.welcome.id);
    await until(
      () => b.peer.inbox.some((m) => m.type === 'signal' && m.data === 'from c'),
      "c's signal to reach b",
    );
    expect(b.peer.ws.readyState).toBe(b.peer.ws.OPEN);
  }, 60_000);

  it('relays nothing a peer sends after its leave', async () => {
    const server = await start();
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    await a.peer.next('new-peer');
    b.peer.send({ type: 'leave' });
    b.peer.send({ type: 'signal', to: a.welcome.id, data: 'from beyond' });
    expect((await b.peer.closed).code).toBe(4000);
    expect((await a.peer.next('peer-left')).id).toBe(b.welcome.id);
    await a.peer.barrier();
    expect(a.peer.inbox).toEqual([]);
  });

  it('forgets a ?next=N group still waiting to fill once its joiners have gone', async () => {
    const server = await start({ resumeGraceMs: 0 });
    const first = await join(`${server.wsUrl}/queue?next=3`);
    await first.peer.close();
    await until(async () => (await metric(server, 'rbn_signaling_connections')) === 0, 'the close');
    const later = await join(`${server.wsUrl}/queue?next=3`);
    expect(later.welcome.peers).toEqual([]);
    expect(later.welcome.group).not.toBe(first.welcome.group);
    expect(later.welcome.isHost).toBe(true);
  });

  it('bounds the signals buffered for a dropped peer during its resume grace window by bytes', async () => {
    const server = await start({
      resumeGraceMs: 5_000,
      messagesPerSecond: 1_000,
      messageBurst: 1_000,
    });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    await a.peer.next('new-peer');
    b.peer.ws.terminate();
    await until(async () => (await metric(server, 'rbn_signaling_connections')) === 1, 'the drop');
    const chunk = 'y'.repeat(60_000);
    for (let i = 0; i < 40; i++) a.peer.send({ type: 'signal', to: b.welcome.id, data: chunk });
    await a.peer.barrier();
    const again = await join(`${server.wsUrl}/room?resume=${b.welcome.resumeToken}`);
    expect(again.welcome.resumed).toBe(true);
    await again.peer.barrier();
    const buffered = again.peer.inbox.filter((m) => m.type === 'signal');
    expect(buffered.length).toBeGreaterThan(0);
    expect(buffered.length * chunk.length).toBeLessThanOrEqual(256 * 1024);
  });

  it('does not let a resume token of one peer disturb it from another room', async () => {
    const server = await start({ resumeGraceMs: 5_000 });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    await a.peer.next('new-peer');
    const elsewhere = await join(`${server.wsUrl}/other?resume=${b.welcome.resumeToken}`);
    expect(elsewhere.welcome.resumed).toBe(false);
    expect(elsewhere.welcome.id).not.toBe(b.welcome.id);
    // b still holds its id and its place.
    a.peer.send({ type: 'signal', to: b.welcome.id, data: 'still yours' });
    expect((await b.peer.next('signal')).data).toBe('still yours');
    await a.peer.barrier();
    expect(a.peer.inbox).toEqual([]);
  });

  it('does not accept a resume token whose id was swapped for another peer id', async () => {
    const server = await start({ resumeGraceMs: 5_000 });
    const a = await join(`${server.wsUrl}/room`);
    const b = await join(`${server.wsUrl}/room`);
    const signature = b.welcome.resumeToken.slice(b.welcome.resumeToken.lastIndexOf('.') + 1);
    const swapped = await join(`${server.wsUrl}/room?resume=${a.welcome.id}.${signature}`);
    expect(swapped.welcome.resumed).toBe(false);
    expect([a.welcome.id, b.welcome.id]).not.toContain(swapped.welcome.id);
    await a.peer.barrier();
    expect(a.peer.ws.readyState).toBe(a.peer.ws.OPEN);
  });
});

describe('signaling server limits that hold under abuse', () => {
  it('ends the oldest resume grace windows once all grace buffers together pass their bound', async () => {
    const server = await start({
      resumeGraceMs: 60_000,
      maxGraceBufferBytes: 300_000,
      messagesPerSecond: 1_000,
      messageBurst: 1_000,
    });
    const a = await join(`${server.wsUrl}/room`);
    const gone = [];
    for (let i = 0; i < 3; i++) {
      gone.push(await join(`${server.wsUrl}/room`));
      await a.peer.next('new-peer');
    }
    // One at a time, so the server sees them drop in this order (oldest window first).
    for (const [i, g] of gone.entries()) {
      g.peer.ws.terminate();
      const left = gone.length - i;
      await until(
        async () => (await metric(server, 'rbn_signaling_connections')) === left,
        'a drop',
      );
    }
    // 3 × 60 kB for each dropped peer: within its own 256 KiB, over the 300 kB in all.
    const chunk = 'y'.repeat(60_000);
    for (const g of gone.slice(0, 2)) {
      for (let i = 0; i < 3; i++) a.peer.send({ type: 'signal', to: g.welcome.id, data: chunk });
    }
    await a.peer.barrier();
    // The oldest window ended early: its group-mate hears it leave now, not in 60 s.
    expect((await a.peer.next('peer-left', 20_000)).id).toBe(gone[0]?.welcome.id);
    expect(await metric(server, 'rbn_signaling_grace_buffer_bytes')).toBeLessThanOrEqual(300_000);
    // The others keep their place and what was sent to them.
    const back = await join(`${server.wsUrl}/room?resume=${gone[1]?.welcome.resumeToken ?? ''}`);
    expect(back.welcome.resumed).toBe(true);
    await back.peer.barrier();
    expect(back.peer.inbox.filter((m) => m.type === 'signal')).toHaveLength(3);
  }, 60_000);

  it('counts the per-IP cap against the hop the trusted proxy appended, not hops the client wrote', async () => {
    const server = await start({ trustProxy: 1, maxConnectionsPerIp: 2 });
    // Behind one appending proxy: "<whatever the client sent>, <address the proxy saw>".
    const via = (spoofed: string, real: string) => ({
      headers: { 'X-Forwarded-For': `${spoofed}, ${real}` },
    });
    await join(`${server.wsUrl}/room`, via('198.51.100.1', '203.0.113.7'));
    await join(`${server.wsUrl}/room`, via('198.51.100.2', '203.0.113.7'));
    expect(await expectRefused(`${server.wsUrl}/room`, via('198.51.100.3', '203.0.113.7'))).toEqual(
      { status: 429, reason: 'ip-limit' },
    );
    // Another client behind the same proxy is counted on its own.
    await join(`${server.wsUrl}/room`, via('203.0.113.7', '203.0.113.8'));
  });

  it('closes idle connections beyond the pending cap, and honest joins still get in', async () => {
    const server = await start({
      maxPendingUpgrades: 10,
      handshakeTimeoutMs: 120_000,
      maxConnectionsPerIp: 100,
    });
    const idle = await Promise.all(Array.from({ length: 50 }, () => idleConnection(server.port)));
    try {
      await until(
        () => idle.filter((c) => c.closed()).length >= 40,
        'the server to close the idle connections beyond its pending cap',
      );
      const honest = await Promise.all(
        Array.from({ length: 10 }, () => join(`${server.wsUrl}/room`)),
      );
      expect(new Set(honest.map((h) => h.welcome.id)).size).toBe(10);
      expect(await metric(server, 'rbn_signaling_pending_connections')).toBeLessThanOrEqual(10);
    } finally {
      for (const c of idle) c.socket.destroy();
    }
  }, 60_000);

  it('holds at most maxConnections TCP connections, upgraded or not', async () => {
    const server = await start({ maxConnections: 4, maxPendingUpgrades: 4 });
    for (let i = 0; i < 4; i++) await join(`${server.wsUrl}/room`);
    await expect(TestPeer.open(`${server.wsUrl}/room`).then(track)).rejects.toThrow();
    const idle = await idleConnection(server.port);
    await until(() => idle.closed(), 'the server to close a connection over its cap');
  });
});

describe('signaling server resource hygiene', () => {
  it(
    'leaves nothing that keeps Node alive after close (a child process exits by itself)',
    async () => {
      const result = await runCloseExitFixture('');
      expect(result.hang).toBe('');
      expect(result).toMatchObject({ code: 0, killed: false });
    },
    CLOSE_EXIT_TEST_MS,
  );
});
