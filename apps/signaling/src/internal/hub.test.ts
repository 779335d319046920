import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ServerMessage } from '@rbn/online';
import { Hub } from './hub.js';
import { resolveLimits } from './limits.js';
import { MemoryBackend } from './memory-backend.js';
import { createMetrics } from './metrics.js';

// The hub without sockets: fake WebSockets that record what they are sent.

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: ServerMessage[] = [];
  closeCode: number | undefined;
  /** When false, sends are never flushed (a peer that does not read). */
  reading = true;

  send(data: string, cb?: () => void): void {
    this.sent.push(JSON.parse(data) as ServerMessage);
    if (this.reading) cb?.();
  }

  close(code: number): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.closeCode = code;
    this.emit('close', code);
  }

  terminate(): void {
    this.close(1006);
  }

  ping(): void {}

  /** A frame from the client. */
  receive(message: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }

  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.sent.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }
}

function createHub(options: Parameters<typeof resolveLimits>[0] = {}) {
  const hub = new Hub({
    backend: new MemoryBackend(),
    limits: resolveLimits({ messagesPerSecond: 1e6, messageBurst: 1e6, ...options }),
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    clock: () => 0,
    iceServersFor: () => [],
    relayQueue: null,
  });
  return hub;
}

async function attach(hub: Hub, room: string, resume: string | null = null) {
  const ws = new FakeSocket();
  hub.attach(ws as unknown as WebSocket, '10.0.0.1', {
    room,
    groupSize: null,
    targetGroup: null,
    resume,
  });
  await new Promise((resolve) => setImmediate(resolve));
  const welcome = ws.of('welcome')[0];
  if (!welcome) throw new Error('no welcome');
  return { ws, welcome };
}

describe('Hub', () => {
  it('welcomes peers, announces newcomers and relays signals within the room', async () => {
    const hub = createHub();
    await hub.start('secret');
    const a = await attach(hub, 'room');
    const b = await attach(hub, 'room');
    expect(b.welcome.peers).toEqual([a.welcome.id]);
    expect(a.ws.of('new-peer').map((m) => m.id)).toEqual([b.welcome.id]);
    a.ws.receive({ type: 'signal', to: b.welcome.id, data: { sdp: 'x' } });
    expect(b.ws.of('signal')).toEqual([{ type: 'signal', from: a.welcome.id, data: { sdp: 'x' } }]);
    expect(hub.connectionsOf('10.0.0.1')).toBe(2);
  });

  it('keeps a dropped peer for its grace window with what was sent to it, then resumes it', async () => {
    const hub = createHub({ resumeGraceMs: 60_000 });
    await hub.start('secret');
    const a = await attach(hub, 'room');
    const b = await attach(hub, 'room');
    b.ws.terminate();
    a.ws.receive({ type: 'signal', to: b.welcome.id, data: 'while away' });
    const back = await attach(hub, 'room', b.welcome.resumeToken);
    expect(back.welcome).toMatchObject({ resumed: true, id: b.welcome.id });
    expect(back.ws.of('signal').map((m) => m.data)).toEqual(['while away']);
    expect(a.ws.of('peer-left')).toEqual([]);
    await hub.settle();
  });

  it('cuts the sender that fills a non-reading receiver, and keeps the receiver', async () => {
    const hub = createHub({ maxSendBufferBytes: 10_000 });
    await hub.start('secret');
    const a = await attach(hub, 'room');
    const b = await attach(hub, 'room');
    const c = await attach(hub, 'room');
    b.ws.reading = false;
    for (let i = 0; i < 20 && a.ws.readyState === 1; i++) {
      a.ws.receive({ type: 'signal', to: b.welcome.id, data: 'z'.repeat(1_000) });
    }
    expect(a.ws.closeCode).toBe(1008);
    expect(b.ws.readyState).toBe(1);
    c.ws.receive({ type: 'signal', to: a.welcome.id, data: 'gone?' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.ws.of('error').map((m) => m.code)).toEqual(['not-in-room']);
  });
});
