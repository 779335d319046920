import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { connectTransport, SignalingClient, SignalingError } from '@rbn/online';
import type {
  JsonValue,
  SignalingTransport,
  WebSocketConstructor,
  WebSocketLike,
} from '@rbn/online';
import { withHangCap } from '../src/hang-cap';
import { useSignalingServers } from '../src/signaling-server';

// Registered first, so its cleanup (closing the servers) runs after this file's own afterEach.
const { start } = useSignalingServers();
const clients: SignalingClient[] = [];
/** Every socket the clients open, so a test can cut one as a network blip would. */
const sockets: WebSocket[] = [];

class RecordingWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sockets.push(this);
  }
}

function client(
  url: string,
  extra: Partial<ConstructorParameters<typeof SignalingClient>[0]> = {},
) {
  const c = new SignalingClient({
    url,
    WebSocket: RecordingWebSocket,
    initialBackoffMs: 10,
    random: () => 0.5,
    ...extra,
  });
  clients.push(c);
  return c;
}

function once<T extends unknown[]>(subscribe: (listener: (...args: T) => void) => () => void) {
  return new Promise<T>((resolve) => {
    const off = subscribe((...args) => {
      off();
      resolve(args);
    });
  });
}

/** The body of a welcome from a stand-in server (one peer alone in room `r`). */
const WELCOME = {
  id: 'me',
  room: 'r',
  group: 'r:r',
  groupSize: null,
  host: 'me',
  isHost: true,
  peers: [],
  resumeToken: 't',
  resumed: false,
  iceServers: [],
};

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  sockets.length = 0;
});

describe('SignalingClient', () => {
  it('reports its id, the host and the peers, and exchanges signals', async () => {
    const server = await start();
    const a = client(`${server.wsUrl}/room?next=2`);
    const welcomeA = await a.connect();
    expect(a.id).toBe(welcomeA.id);
    expect(a.isHost).toBe(true);
    expect(a.peers).toEqual([]);

    const joined = once<[string]>((l) => a.on('new-peer', l));
    const b = client(`${server.wsUrl}/room?next=2`);
    await b.connect();
    expect([b.isHost, b.host, b.peers]).toEqual([false, a.id, [a.id]]);
    expect(await joined).toEqual([b.id]);
    expect(a.peers).toEqual([b.id]);

    const received = once<[string, JsonValue]>((l) => b.on('signal', l));
    a.signal(b.id ?? '', { candidate: 'c1' });
    expect(await received).toEqual([a.id, { candidate: 'c1' }]);

    const left = once<[string]>((l) => b.on('peer-left', l));
    const hostChange = once<[string]>((l) => b.on('host', l));
    a.close();
    expect(await left).toEqual([a.id]);
    expect(await hostChange).toEqual([b.id]);
    expect(b.isHost).toBe(true);
  });

  it('reports server errors as error events', async () => {
    const server = await start();
    const a = client(`${server.wsUrl}/room`);
    await a.connect();
    const error = once<[{ code: string }]>((l) => a.on('error', l));
    a.signal('nobody', 1);
    expect((await error)[0].code).toBe('not-in-room');
  });

  it('reconnects after a dropped socket and resumes the same id', async () => {
    const server = await start({ resumeGraceMs: 5_000 });
    const a = client(`${server.wsUrl}/room`);
    const b = client(`${server.wsUrl}/room`);
    await a.connect();
    await b.connect();
    const reconnecting = once<[number, number]>((l) => b.on('reconnecting', l));
    const resumed = once<[{ id: string; resumed: boolean }]>((l) => b.on('resumed', l));
    sockets[1]?.terminate();
    expect(await reconnecting).toEqual([1, 10]);
    const [welcome] = await resumed;
    expect(welcome).toMatchObject({ id: b.id, resumed: true });
    expect(b.state).toBe('open');

    const received = once<[string, JsonValue]>((l) => a.on('signal', l));
    b.signal(a.id ?? '', 'after the blip');
    expect(await received).toEqual([b.id, 'after the blip']);
  });

  it('ignores frames from the server that are not messages', async () => {
    const rogue = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    rogue.on('connection', (ws) => {
      for (const frame of ['null', '5', '"welcome"', '[]', '{"no":"type"}', '{not json']) {
        ws.send(frame);
      }
      ws.send(JSON.stringify({ type: 'welcome', ...WELCOME }));
    });
    try {
      await new Promise((resolve) => rogue.once('listening', resolve));
      const { port } = rogue.address() as { port: number };
      const c = client(`ws://127.0.0.1:${port}/r`, { reconnect: false });
      expect((await c.connect()).id).toBe('me');
      c.close();
    } finally {
      await new Promise((resolve) => rogue.close(resolve));
    }
  });

  it('fails an attempt the server never welcomes: the first connect rejects, a reconnect tries again', async () => {
    // A WebSocket server that welcomes the first connection, drops it, and then only listens:
    // an overloaded server, or a URL that reaches some other WebSocket server.
    const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    let connections = 0;
    silent.on('connection', (ws) => {
      if (connections++ > 0) return;
      ws.send(JSON.stringify({ type: 'welcome', ...WELCOME }));
      setTimeout(() => ws.terminate(), 10);
    });
    try {
      await new Promise((resolve) => silent.once('listening', resolve));
      const { port } = silent.address() as { port: number };
      const url = `ws://127.0.0.1:${port}/r`;
      // Long enough for the first welcome to arrive on a loaded machine.
      const options = { connectTimeoutMs: 2000, maxReconnectAttempts: 2 };
      const first = client(url, options);
      const attempts: number[] = [];
      first.on('reconnecting', (attempt) => attempts.push(attempt));
      const closed = once<[number, string]>((l) => first.on('close', l));
      expect((await first.connect()).id).toBe('me');
      // Each reconnect waits 2 s for a welcome that never comes, then the next one follows.
      const [code, reason] = await withHangCap(closed, 'the client still reconnecting');
      expect(attempts).toEqual([1, 2]);
      expect([code, reason]).toEqual([1006, expect.stringMatching(/no welcome .* 2000 ms/)]);

      const second = client(url, options);
      const refused = withHangCap(second.connect(), 'connect still pending');
      await expect(refused).rejects.toThrow(/no welcome from the server within 2000 ms/);
      await expect(refused).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
      expect(second.state).toBe('closed');
    } finally {
      for (const ws of silent.clients) ws.terminate();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('reconnects when the server stops answering without closing the socket (heartbeat)', async () => {
    // A server that welcomes every connection and then says nothing more, as one whose network
    // went away under an open socket.
    const mute = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const heard: string[] = [];
    mute.on('connection', (ws) => {
      ws.on('message', (data: Buffer) => heard.push(data.toString()));
      ws.send(JSON.stringify({ type: 'welcome', ...WELCOME }));
    });
    try {
      await new Promise((resolve) => mute.once('listening', resolve));
      const { port } = mute.address() as { port: number };
      const c = client(`ws://127.0.0.1:${port}/r`, { heartbeatMs: 150 });
      await c.connect();
      const [attempt] = await withHangCap(
        once<[number, number]>((l) => c.on('reconnecting', l)),
        'no reconnect',
      );
      expect(attempt).toBe(1);
      expect(heard).toContain('{"type":"ping"}');
    } finally {
      for (const ws of mute.clients) ws.terminate();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('stays connected to a server that answers its heartbeat', async () => {
    const server = await start();
    const c = client(`${server.wsUrl}/alive`, { heartbeatMs: 1000 });
    await c.connect();
    let reconnects = 0;
    c.on('reconnecting', () => reconnects++);
    // Three heartbeats of silence but for the pongs: each ping is answered.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect(reconnects).toBe(0);
    expect(c.state).toBe('open');
  });

  it('gives up with a close event when the server refuses it for good', async () => {
    const server = await start({ maxRoomSize: 2 });
    await client(`${server.wsUrl}/tiny`).connect();
    await client(`${server.wsUrl}/tiny`).connect();
    const third = client(`${server.wsUrl}/tiny`);
    await expect(third.connect()).rejects.toThrow(/4001/);
    expect(third.state).toBe('closed');
  });

  it('wires signals straight into a WebRTC-style transport', async () => {
    const server = await start();
    const a = client(`${server.wsUrl}/room`);
    const b = client(`${server.wsUrl}/room`);
    await a.connect();
    await b.connect();

    const handled: [string, unknown][] = [];
    let arrived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (arrived = resolve));
    let emit: (peerId: string, signal: unknown) => void = () => undefined;
    const transportA: SignalingTransport = {
      setSignalingCallbacks: ({ onSignal }) => (emit = onSignal),
      handleSignal: () => undefined,
    };
    const transportB: SignalingTransport = {
      setSignalingCallbacks: () => undefined,
      handleSignal: (peerId, signal) => {
        handled.push([peerId, signal]);
        arrived();
      },
    };
    connectTransport(a, transportA);
    const stop = connectTransport(b, transportB);
    emit(b.id ?? '', { type: 'offer', sdp: 'v=0' });
    await done;
    expect(handled).toEqual([[a.id, { type: 'offer', sdp: 'v=0' }]]);
    stop();
  });

  it('accepts the browser WebSocket and ws without casts (checked by tsc)', () => {
    expectTypeOf(globalThis.WebSocket).toMatchTypeOf<WebSocketConstructor>();
    expectTypeOf(WebSocket).toMatchTypeOf<WebSocketConstructor>();
  });

  it('explains a missing WebSocket implementation', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      expect(() => new SignalingClient({ url: 'ws://x/room' })).toThrow(SignalingError);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});

/**
 * A WebSocket that never reaches a server: the first one opened gets a welcome and then drops,
 * every later one fails to connect. Its events fire after the constructor returns, as a real
 * socket's do (on a microtask: fake timers would move a 0 ms timeout set during a tick).
 */
function flakyNetwork() {
  const opened: string[] = [];
  class FlakyWebSocket implements WebSocketLike {
    readyState = 0;
    onmessage: ((event: never) => unknown) | null = null;
    onclose: ((event: never) => unknown) | null = null;
    onerror: ((event: never) => unknown) | null = null;

    constructor(url: string) {
      const first = opened.length === 0;
      opened.push(url);
      void Promise.resolve().then(() => {
        if (first) {
          this.readyState = 1;
          const welcome = { type: 'welcome', id: 'me', host: 'me', peers: [], resumeToken: 't' };
          (this.onmessage as ((e: { data: string }) => void) | null)?.({
            data: JSON.stringify(welcome),
          });
        }
        this.readyState = 3;
        (this.onclose as ((e: { code: number; reason: string }) => void) | null)?.({
          code: 1006,
          reason: '',
        });
      });
    }

    send(): void {}
    close(): void {}
  }
  return { opened, FlakyWebSocket };
}

describe('SignalingClient reconnect backoff', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /**
   * Connects through a network that drops the socket after the welcome and refuses every
   * reconnect, and records each `reconnecting` delay, checking that the next socket opens
   * exactly that many (fake) milliseconds later.
   */
  async function delaysUntilGivingUp(options: {
    random: () => number;
    maxReconnectAttempts: number;
  }): Promise<{ delays: number[]; closed: [number, string] | undefined }> {
    vi.useFakeTimers();
    const { opened, FlakyWebSocket } = flakyNetwork();
    const c = new SignalingClient({
      url: 'ws://127.0.0.1:1/room',
      WebSocket: FlakyWebSocket,
      initialBackoffMs: 10,
      maxBackoffMs: 100,
      ...options,
    });
    const delays: number[] = [];
    let closed: [number, string] | undefined;
    c.on('reconnecting', (attempt, delayMs) => {
      expect(attempt).toBe(delays.length + 1);
      delays.push(delayMs);
    });
    c.on('close', (...args) => (closed = args));
    const welcome = c.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect((await welcome).id).toBe('me');
    while (closed === undefined) {
      // The drop (or failed attempt) has been reported; the next socket waits out its delay.
      const sockets = opened.length;
      const delay = delays.at(-1) ?? 0;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(opened.length, `opened before its ${delay} ms delay`).toBe(sockets);
      await vi.advanceTimersByTimeAsync(1);
      expect(opened.length, `not opened after its ${delay} ms delay`).toBe(sockets + 1);
      expect(opened.at(-1)).toContain('resume=t');
      await vi.advanceTimersByTimeAsync(0);
    }
    return { delays, closed };
  }

  it('doubles the delay per failed attempt up to maxBackoffMs, then gives up after maxReconnectAttempts', async () => {
    const { delays, closed } = await delaysUntilGivingUp({
      random: () => 0.5,
      maxReconnectAttempts: 7,
    });
    expect(delays).toEqual([10, 20, 40, 80, 100, 100, 100]);
    expect(closed?.[0]).toBe(1006);
  });

  it('jitters each delay by at most 25 % and never waits longer than maxBackoffMs', async () => {
    const low = await delaysUntilGivingUp({ random: () => 0, maxReconnectAttempts: 6 });
    expect(low.delays).toEqual([8, 15, 30, 60, 75, 75]);
    const high = await delaysUntilGivingUp({ random: () => 0.999, maxReconnectAttempts: 6 });
    expect(high.delays).toEqual([12, 25, 50, 100, 100, 100]);
  });
});
