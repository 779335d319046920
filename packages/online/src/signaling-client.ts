/**
 * The browser + Node client of the rbn reference signaling server. It uses only the global
 * `WebSocket` (or one you inject: Node 20 has none, pass the `ws` package's), no Node built-ins.
 */
import { CloseCode } from './protocol';
import type {
  ErrorMessage,
  GroupFullMessage,
  IceServer,
  JsonValue,
  ServerMessage,
  WelcomeMessage,
} from './protocol';

/**
 * The part of the WebSocket API the client uses (the browser's, or `ws`'s). The handlers take
 * `never` so that both implementations' handler types fit; the client assigns its own.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: never) => unknown) | null;
  onclose: ((event: never) => unknown) | null;
  onerror: ((event: never) => unknown) | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws` in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of {@link SignalingClient}. */
export type SignalingClientOptions = {
  /** Server URL with the room path, e.g. `ws://localhost:8080/lobby?next=2` (plus `token`). */
  url: string;
  /**
   * The WebSocket implementation.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Reconnect (and resume the id) when the socket drops.
   * @default true
   */
  reconnect?: boolean;
  /**
   * First reconnect delay; it doubles per attempt, with ±25 % jitter.
   * @default 250
   */
  initialBackoffMs?: number;
  /**
   * Largest reconnect delay, jitter included (delays at the cap fall in 75–100 % of it).
   * @default 5000
   */
  maxBackoffMs?: number;
  /**
   * Reconnect attempts before giving up (then `close` fires).
   * @default 10
   */
  maxReconnectAttempts?: number;
  /**
   * Randomness for the jitter, in [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /**
   * How long one attempt waits for the server's welcome, from opening the socket: a server that
   * accepts the socket but never answers (overloaded, or the URL reaches some other WebSocket
   * server) fails the attempt. The first `connect()` then rejects; a reconnect tries again.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * How long a connection may go without a word from the server before it asks for one
   * (`ping`); when that ping goes unanswered as long again, the connection counts as dropped and
   * reconnects. A socket whose network went away without closing it (a laptop that slept, a
   * changed Wi-Fi) would otherwise look open for as long as TCP takes to notice. 0: never ask.
   * @default 5000
   */
  heartbeatMs?: number;
};

/** Events of {@link SignalingClient} and their listener arguments. */
export type SignalingClientEvents = {
  /** Joined (first connect, or reconnect that could not resume and got a new id). */
  welcome: [message: WelcomeMessage];
  /** Reconnected and kept the same id. */
  resumed: [message: WelcomeMessage];
  /**
   * Just before the first `welcome`: your `?next=N` join opened a new group because the room's
   * last group of N is full and still playing (see {@link SignalingClient.groupFull}).
   */
  'group-full': [message: GroupFullMessage];
  /** A peer joined the group. */
  'new-peer': [peerId: string];
  /** A peer left the group. */
  'peer-left': [peerId: string];
  /** The group's host changed (its host left). */
  host: [hostId: string];
  /** A signal from a peer of the group. */
  signal: [from: string, data: JsonValue];
  /** The server refused one of your messages. */
  error: [message: ErrorMessage];
  /** The socket dropped; another attempt follows after `delayMs`. */
  reconnecting: [attempt: number, delayMs: number];
  /** The client is closed for good (by you, by the server, or after the last attempt). */
  close: [code: number, reason: string];
};

/** The two methods of `WebRTCTransport` the client wires signals into. */
export interface SignalingTransport {
  /** Where the transport sends its outgoing signals. */
  setSignalingCallbacks(callbacks: { onSignal: (peerId: string, signal: unknown) => void }): void;
  /** Feeds a signal received from `peerId` into the transport. */
  handleSignal(peerId: string, signal: unknown): void;
}

/** Thrown for client misuse (`code` names the problem). */
export class SignalingError extends Error {
  /** A stable code: `NO_WEBSOCKET`, `NOT_CONNECTED`, `CONNECT_FAILED`, `CLOSED`. */
  readonly code: string;

  /**
   * @param code - Stable error code.
   * @param message - What went wrong.
   */
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SignalingError';
    this.code = code;
  }
}

/** Where a {@link SignalingClient} is in its life. */
export type SignalingClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';
type State = SignalingClientState;
type Listener<K extends keyof SignalingClientEvents> = (...args: SignalingClientEvents[K]) => void;

/** Close codes after which reconnecting would not help. */
const FINAL_CODES = new Set<number>([
  CloseCode.Left,
  CloseCode.RoomFull,
  CloseCode.Superseded,
  CloseCode.GroupGone,
  CloseCode.PolicyViolation,
]);
const OPEN = 1;
/** The close code reported when the server never welcomed us or stopped answering (as for a dropped socket). */
const ABNORMAL_CLOSURE = 1006;
/** Signals kept while reconnecting; more are dropped (the resume may fail and drop them anyway). */
const MAX_QUEUED_SIGNALS = 256;

/**
 * A signaling connection: reports your id, the host and the peers of your room or group,
 * relays signals, and reconnects with backoff, resuming the same id.
 * @example
 * ```ts
 * const client = new SignalingClient({ url: 'wss://signal.example.com/lobby?next=2' });
 * const welcome = await client.connect();
 * client.on('signal', (from, data) => console.log(from, data));
 * for (const peer of welcome.peers) client.signal(peer, { hello: true });
 * ```
 */
export class SignalingClient {
  #ws: WebSocketLike | undefined;
  #state: State = 'idle';
  #welcome: WelcomeMessage | undefined;
  #groupFull: GroupFullMessage | undefined;
  #peers: string[] = [];
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Fails the attempt in flight when no welcome came (see `connectTimeoutMs`). */
  #welcomeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Checks an open connection for signs of life (see `heartbeatMs`). */
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** When the server was last heard, and when our unanswered ping left (-1: none). */
  #heardAt = 0;
  #pingAt = -1;
  #queue: string[] = [];
  readonly #listeners = new Map<keyof SignalingClientEvents, Set<unknown>>();
  readonly #WebSocket: WebSocketConstructor;
  readonly #options: Required<Omit<SignalingClientOptions, 'WebSocket'>>;

  /**
   * @param options - The server URL and reconnect settings.
   */
  constructor(options: SignalingClientOptions) {
    const ctor =
      options.WebSocket ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
      undefined;
    if (!ctor) {
      throw new SignalingError(
        'NO_WEBSOCKET',
        'no global WebSocket: pass options.WebSocket (in Node 20, the ws package)',
      );
    }
    this.#WebSocket = ctor;
    this.#options = {
      url: options.url,
      reconnect: options.reconnect ?? true,
      initialBackoffMs: options.initialBackoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 5000,
      maxReconnectAttempts: options.maxReconnectAttempts ?? 10,
      random: options.random ?? Math.random,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      heartbeatMs: options.heartbeatMs ?? 5000,
    };
  }

  /** Your peer id (after the welcome). */
  get id(): string | undefined {
    return this.#welcome?.id;
  }

  /** The host of your group: its longest-present peer. */
  get host(): string | undefined {
    return this.#welcome?.host;
  }

  /** Whether you are the host of your group. */
  get isHost(): boolean {
    return this.#welcome !== undefined && this.#welcome.host === this.#welcome.id;
  }

  /** The other peers of your group, oldest first. */
  get peers(): readonly string[] {
    return this.#peers;
  }

  /** `iceServers` with TURN credentials, when the server issues them. */
  get iceServers(): readonly IceServer[] {
    return this.#welcome?.iceServers ?? [];
  }

  /** The last welcome message (room, group, group size, resume token). */
  get welcome(): WelcomeMessage | undefined {
    return this.#welcome;
  }

  /**
   * Set when your `?next=N` join opened a new group beside a full one that is still playing
   * (the server says so before the welcome): that group's id, host and members. Connect with
   * `?next=N&group=<group>` to watch it or join it late.
   */
  get groupFull(): GroupFullMessage | undefined {
    return this.#groupFull;
  }

  /** `idle`, `connecting`, `open`, `reconnecting` or `closed`. */
  get state(): State {
    return this.#state;
  }

  /**
   * Connects and waits for the welcome.
   * @returns The welcome message (your id, the host, the peers, `iceServers`).
   */
  connect(): Promise<WelcomeMessage> {
    if (this.#state !== 'idle') {
      return Promise.reject(new SignalingError('CONNECT_FAILED', `already ${this.#state}`));
    }
    return new Promise((resolve, reject) => {
      const offWelcome = this.on('welcome', (message) => {
        offWelcome();
        offClose();
        resolve(message);
      });
      const offClose = this.on('close', (code, reason) => {
        offWelcome();
        offClose();
        reject(
          new SignalingError('CONNECT_FAILED', `connection closed (${code}) ${reason}`.trim()),
        );
      });
      this.#open(false);
    });
  }

  /**
   * Sends a signal to a peer of your group. While reconnecting, signals are queued (up to 256)
   * and sent once the id is resumed (dropped if it could not be).
   * @throws SignalingError `NOT_CONNECTED` before the first welcome or after close.
   * @param to - The peer id.
   * @param data - Any JSON value (an SDP description, an ICE candidate).
   */
  signal(to: string, data: JsonValue): void {
    const json = JSON.stringify({ type: 'signal', to, data });
    if (this.#state === 'open' && this.#ws?.readyState === OPEN) this.#ws.send(json);
    else if (this.#state === 'reconnecting') {
      if (this.#queue.length < MAX_QUEUED_SIGNALS) this.#queue.push(json);
    } else throw new SignalingError('NOT_CONNECTED', `cannot signal while ${this.#state}`);
  }

  /**
   * Subscribes to an event.
   * @param event - The event name.
   * @param listener - Called with the event's arguments.
   * @returns A function that unsubscribes.
   */
  on<K extends keyof SignalingClientEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /**
   * Unsubscribes a listener.
   * @param event - The event name.
   * @param listener - The listener given to {@link SignalingClient.on}.
   */
  off<K extends keyof SignalingClientEvents>(event: K, listener: Listener<K>): void {
    this.#listeners.get(event)?.delete(listener);
  }

  /** Leaves the group (peers see `peer-left` at once) and closes for good. */
  close(): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#finish(1000, 'client closed');
    if (ws && ws.readyState === OPEN) {
      ws.send('{"type":"leave"}');
      ws.close(1000, 'client closed');
    } else {
      ws?.close();
    }
  }

  /**
   * Closes for good without leaving the group: the server keeps your id for its resume grace
   * window (5 s by default), so a new client whose URL carries `?resume=<welcome.resumeToken>`
   * (the same page, reloaded) takes the id over. Peers see `peer-left` only when nobody does.
   */
  drop(): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#finish(1000, 'client dropped');
    ws?.close(1000, 'client dropped');
  }

  #emit<K extends keyof SignalingClientEvents>(event: K, ...args: SignalingClientEvents[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      (listener as Listener<K>)(...args);
    }
  }

  #finish(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#welcomeTimer);
    clearInterval(this.#heartbeat);
    this.#state = 'closed';
    this.#queue = [];
    this.#emit('close', code, reason);
  }

  #open(resume: boolean): void {
    this.#state = resume ? 'reconnecting' : 'connecting';
    let url = this.#options.url;
    if (resume && this.#welcome) {
      const u = new URL(url);
      u.searchParams.set('resume', this.#welcome.resumeToken);
      url = u.toString();
    }
    const ws = new this.#WebSocket(url);
    this.#ws = ws;
    clearTimeout(this.#welcomeTimer);
    this.#welcomeTimer = setTimeout(() => this.#noWelcome(ws), this.#options.connectTimeoutMs);
    ws.onmessage = (event: { data: unknown }) => {
      if (this.#ws !== ws) return;
      this.#heardAt = performance.now();
      if (typeof event.data !== 'string') return;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      // Whatever answers on that URL may not be an rbn server: ignore what is not a message.
      if (typeof message !== 'object' || message === null) return;
      if (typeof (message as { type?: unknown }).type !== 'string') return;
      this.#handle(message as ServerMessage);
    };
    ws.onerror = () => {
      // A close event always follows; reconnecting is decided there.
    };
    ws.onclose = (event: { code: number; reason: string }) => {
      if (this.#ws === ws) this.#socketEnded(event.code, event.reason);
    };
  }

  /** From the welcome on: asks an idle server for a sign of life, and drops a silent one. */
  #watchHeartbeat(ws: WebSocketLike): void {
    const { heartbeatMs } = this.#options;
    clearInterval(this.#heartbeat);
    if (heartbeatMs <= 0) return;
    this.#heardAt = performance.now();
    this.#pingAt = -1;
    this.#heartbeat = setInterval(() => {
      if (this.#ws !== ws || this.#state !== 'open') return;
      const now = performance.now();
      if (this.#pingAt >= 0 && this.#heardAt < this.#pingAt) {
        // A throttled timer (a hidden tab) may come late: only an unanswered ping counts.
        if (now - this.#pingAt < heartbeatMs) return;
        this.#abandon(ws, `no answer from the server within ${heartbeatMs} ms`);
      } else if (now - this.#heardAt >= heartbeatMs && ws.readyState === OPEN) {
        ws.send('{"type":"ping"}');
        this.#pingAt = now;
      }
    }, heartbeatMs);
    // In Node the heartbeat alone does not keep the process alive.
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  /** The attempt on `ws` got no welcome in time. */
  #noWelcome(ws: WebSocketLike): void {
    const { connectTimeoutMs } = this.#options;
    const reason = `no welcome from the server within ${connectTimeoutMs} ms (is the URL an rbn signaling server?)`;
    this.#abandon(ws, reason);
  }

  /** Gives up on the silent socket `ws`: it ends as if it had dropped (a reconnect may follow). */
  #abandon(ws: WebSocketLike, reason: string): void {
    if (this.#ws !== ws) return;
    this.#ws = undefined; // its own close event, which follows, is not ours to handle
    try {
      ws.close(1000, 'not answering');
    } catch {
      // Closing a socket that never opened may throw in some implementations: it is gone anyway.
    }
    this.#socketEnded(ABNORMAL_CLOSURE, reason);
  }

  /** The socket in use closed or was given up on: its timers stop, and reconnecting is decided. */
  #socketEnded(code: number, reason: string): void {
    this.#ws = undefined;
    clearTimeout(this.#welcomeTimer);
    clearInterval(this.#heartbeat);
    this.#onClose(code, reason);
  }

  #onClose(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    const everJoined = this.#welcome !== undefined;
    const canRetry =
      this.#options.reconnect &&
      everJoined &&
      !FINAL_CODES.has(code) &&
      this.#attempt < this.#options.maxReconnectAttempts;
    if (!canRetry) {
      this.#finish(code, reason);
      return;
    }
    // Doubling, capped, then jittered by ±25 % (so clients at the cap still spread out), and
    // capped again: the jitter never takes a delay past maxBackoffMs.
    const { initialBackoffMs, maxBackoffMs, random } = this.#options;
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** this.#attempt);
    const delayMs = Math.round(Math.min(maxBackoffMs, base * (0.75 + random() * 0.5)));
    this.#attempt += 1;
    this.#state = 'reconnecting';
    this.#emit('reconnecting', this.#attempt, delayMs);
    this.#timer = setTimeout(() => {
      if (this.#state === 'reconnecting') this.#open(true);
    }, delayMs);
  }

  #handle(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome': {
        clearTimeout(this.#welcomeTimer);
        const previous = this.#welcome;
        const oldPeers = this.#peers;
        this.#welcome = message;
        this.#peers = [...message.peers];
        this.#state = 'open';
        this.#attempt = 0;
        if (this.#ws) this.#watchHeartbeat(this.#ws);
        const queued = this.#queue;
        this.#queue = [];
        if (message.resumed && previous?.id === message.id) {
          this.#emit('resumed', message);
          for (const p of oldPeers) if (!message.peers.includes(p)) this.#emit('peer-left', p);
          for (const p of message.peers) if (!oldPeers.includes(p)) this.#emit('new-peer', p);
          if (previous.host !== message.host) this.#emit('host', message.host);
          for (const json of queued) this.#ws?.send(json);
        } else {
          this.#emit('welcome', message);
        }
        return;
      }
      case 'group-full':
        this.#groupFull = message;
        this.#emit('group-full', message);
        return;
      case 'new-peer':
        if (!this.#peers.includes(message.id)) this.#peers.push(message.id);
        this.#emit('new-peer', message.id);
        this.#setHost(message.host);
        return;
      case 'peer-left':
        this.#peers = this.#peers.filter((p) => p !== message.id);
        this.#emit('peer-left', message.id);
        this.#setHost(message.host);
        return;
      case 'signal':
        this.#emit('signal', message.from, message.data);
        return;
      case 'error':
        this.#emit('error', message);
        return;
      case 'pong':
        return;
      default: {
        const never: never = message;
        return never;
      }
    }
  }

  #setHost(host: string): void {
    if (this.#welcome && this.#welcome.host !== host) {
      this.#welcome = { ...this.#welcome, host, isHost: host === this.#welcome.id };
      this.#emit('host', host);
    }
  }
}

/**
 * Wires a WebRTC transport's signaling to a client: the transport's outgoing signals are sent
 * to their peer, and signals from peers are fed into `transport.handleSignal`.
 * @param client - A connected (or connecting) signaling client.
 * @param transport - Anything with `setSignalingCallbacks` and `handleSignal`, such as
 *   `WebRTCTransport` of `@rbn/transport-webrtc`.
 * @returns A function that stops feeding signals into the transport.
 * @example
 * ```ts
 * const client = new SignalingClient({ url });
 * const { id, iceServers } = await client.connect();
 * // The server's TURN entries (often none) come on top of a STUN server, never instead of it:
 * // the transport adds its DEFAULT_STUN_SERVER to a list without one (see withDefaultStun).
 * const transport = new WebRTCTransport(id, { rtcConfiguration: { iceServers: [...iceServers] } });
 * connectTransport(client, transport);
 * ```
 */
export function connectTransport(
  client: SignalingClient,
  transport: SignalingTransport,
): () => void {
  transport.setSignalingCallbacks({
    onSignal: (peerId, signal) => client.signal(peerId, signal as JsonValue),
  });
  return client.on('signal', (from, data) => transport.handleSignal(from, data));
}
