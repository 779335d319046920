import { RbnError } from '@rbn/protocol';
import {
  MAX_PLAYER_METADATA_BYTES,
  PlayerRole,
  SessionState,
  createSession,
  tickWhileHiddenHost,
} from '@rbn/session';
import type {
  Clock,
  CreateSessionOptions,
  RejoinTicket,
  Session,
  SessionConfig,
} from '@rbn/session';
import { TransformingTransport } from '@rbn/transport-transform';
import { WebRTCTransport, isWebRTCSignal } from '@rbn/transport-webrtc';
import type { WebRTCImplementation } from '@rbn/transport-webrtc';
import { iceOptions } from './internal/ice-servers';
import { browserWindow, onPageExit } from './internal/page-exit';
import type { PageEventTarget } from './internal/page-exit';
import { readRoomAnnouncement, roomAnnouncement } from './internal/room-announcement';
import { awayWhileHidden, browserDocument } from './internal/visibility';
import type { VisibilitySource } from './internal/visibility';
import type { JsonValue, WelcomeMessage } from './protocol';
import { resumeUrl, saveSeat, takeSeat } from './rejoin-storage';
import type { RejoinStorage, SavedSeat } from './rejoin-storage';
import { SignalingClient, SignalingError } from './signaling-client';
import type { WebSocketConstructor } from './signaling-client';

export type { PageEventTarget } from './internal/page-exit';
export type { VisibilitySource } from './internal/visibility';

/** Options of {@link joinOnline}. */
export type JoinOnlineOptions = {
  /**
   * The signaling server URL with the room path, e.g. `wss://signal.example/my-room?next=2`.
   * With `?next=N` the server forms groups of N and the game starts by itself once N are in;
   * without it, everyone in the room plays together and the host starts the game.
   */
  url: string;
  /** The deterministic game the session drives. */
  game: CreateSessionOptions['game'];
  /** Session settings; every field left out takes its default. */
  config?: Partial<SessionConfig>;
  /** The local player's id. @default the peer id the signaling server assigns */
  localPlayerId?: string;
  /**
   * Join as a player or as a spectator (a spectator cannot host: it waits for a player to).
   * @default PlayerRole.Player
   */
  role?: PlayerRole;
  /**
   * The local player's metadata (a name, a colour…), at most `MAX_PLAYER_METADATA_BYTES` (256)
   * bytes, that every member sees in `PlayerInfo.metadata`; `encodePlayerMetadata` from
   * `@rbn/session` makes it from a name and a colour.
   * @default no metadata
   */
  metadata?: Uint8Array;
  /**
   * `RTCConfiguration` of every peer connection. The signaling server's TURN entries are added
   * to its `iceServers`, never replacing them; when it names none, they are added to
   * `DEFAULT_STUN_SERVER` of `@rbn/transport-webrtc` (a public STUN server). `iceServers: []`
   * means no STUN server at all (a LAN). Set `iceTransportPolicy: 'relay'` to use TURN only.
   * @default `{ iceServers: [{ urls: 'stun:stun.l.google.com:19302' }] }`
   */
  rtcConfiguration?: RTCConfiguration;
  /** The WebRTC implementation, for Node: the `@roamhq/wrtc` module. Browsers use their own. */
  wrtc?: WebRTCImplementation;
  /** The WebSocket implementation, for Node 20 (which has none): the `ws` package's. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /**
   * Cancels joining (the promise rejects with the signal's reason); once joined, aborting leaves
   * the room.
   */
  signal?: AbortSignal;
  /**
   * With `?next=N`, start the game as soon as N members are in the room (the host does it).
   * `false` leaves starting to you (`session.start()` on the host).
   * @default true
   */
  autoStart?: boolean;
  /** The session's time source. @default performance.now */
  clock?: Clock;
  /**
   * Where to watch for the page going away (`pagehide`, `beforeunload`) to leave the room at
   * once; `null` watches nothing.
   * @default the page's `window` in a browser, nothing elsewhere
   */
  pageEvents?: PageEventTarget | null;
  /**
   * Where to watch for the page being hidden: while it is, the local player is away
   * (`session.setAway(true)`: the host decides its inputs, nobody waits for it) and it comes
   * back in its slot once the page is visible again. The host and spectators are never away:
   * while a hosting page is hidden, `joinOnline` ticks its session itself (with no input, at the
   * tick rate) from a worker's clock, which browsers do not throttle in a hidden tab, so the
   * room runs on; your game loop should not tick while the page is hidden (a loop driven by
   * `requestAnimationFrame` does not). `null` watches nothing.
   * @default the page's `document` in a browser, nothing elsewhere
   */
  visibility?: VisibilitySource | null;
  /**
   * With `?next=N`: called when the room's last group of N is already full and playing (a third
   * visitor to a game of two), before anything else happens. Return `'spectate'` to watch that
   * game, `'join-late'` to join it as a late player, or `'new-group'` to host a new group of the
   * room and wait for others, as matchmaking does. The choice may be awaited (a button press).
   * @default every such visitor starts a new group (`'new-group'`)
   */
  onGroupFull?: (full: GroupFull) => GroupFullChoice | Promise<GroupFullChoice>;
  /**
   * Keeps the local player's slot across a reload of the page: pass the page's
   * `sessionStorage`. When the page goes away (`pagehide`) while it plays a running game as a
   * player other than the host, it saves its signaling id and its session's rejoin ticket
   * there (`Session.rejoinTicket`, a secret) and drops its connections instead of leaving: the
   * others see it away, and its slot is kept for the session's `reconnectWindowMs`. The same
   * tab reloaded within that time (and within the signaling server's resume grace window, 5 s
   * by default) takes its slot back (`Session.rejoinRoom`): same slot, player id and metadata,
   * and the game goes on; when it cannot, it joins as a new player. A page that does not come
   * back is dropped once the window runs out, so the others see it leave later than without
   * this option. The host, a spectator and a page in the lobby leave at once as always. A
   * seat is read and removed when the page joins, so a duplicated tab never claims it.
   * @default null: the page going away leaves the room at once; a reload joins as a new player
   */
  rejoinStorage?: RejoinStorage | null;
};

/** The game in progress that a `?next=N` visitor found full; see `JoinOnlineOptions.onGroupFull`. */
export type GroupFull = {
  /** The full group's id (the server's `?group=`). */
  group: string;
  /** `N` of `?next=N`. */
  groupSize: number;
  /** The peer id of its host. */
  host: string;
  /** The peer ids of its members, oldest first. */
  peers: readonly string[];
};

/** What a visitor to a full `?next=N` group does: watch it, join it late, or start a new group. */
export type GroupFullChoice = 'spectate' | 'join-late' | 'new-group';

/**
 * Milliseconds the peer connections stay open after the room is left, so the goodbye message
 * already handed to them still goes out before they close.
 */
const LEAVE_FLUSH_MS = 500;

/** Signals kept between the welcome and the transport's creation; more are dropped. */
const MAX_EARLY_SIGNALS = 256;

/**
 * Joins an online room through the rbn reference signaling server and returns a session in it:
 * connects to the server, opens WebRTC connections to the other peers (the server's TURN
 * entries added to a STUN server), and creates or joins the session room. The group's host (its
 * oldest member) creates the room and tells each member its id through the server; the others
 * join it. Resolves once the session is in the room (`Lobby`, or `Playing` for a late joiner);
 * drive it with `session.tick(input)` once per frame from then on.
 *
 * Leaving: `session.leaveRoom()` or `session.destroy()` (or aborting `signal`, or the page
 * going away) leaves the room, closes the signaling connection and, shortly after, the peer
 * connections (with `rejoinStorage`, a player's page going away keeps its slot for a reload
 * instead). A host leaving (or lost) hands the room to a successor (`hostChanged`), to which
 * star guests connect through the signaling server; later joiners join the new host.
 *
 * Away and back: while the page is hidden the local player is away (its inputs are decided by
 * the host, nobody waits for it) and it comes back in its slot when the page is visible again.
 * A lost connection (a network drop, a frozen page) does not end the game either: the
 * signaling connection resumes its id by itself, and the session reconnects to the host over a
 * new WebRTC connection and rejoins its slot, within the session's `reconnectWindowMs`.
 * @param options - Where to meet and what to play; see {@link JoinOnlineOptions}.
 * @returns The session, in the room.
 * @throws RbnError `'INVALID_ARGUMENT'` for a bad option; the promise rejects with a
 *   `SignalingError` when the server cannot be reached or does not welcome us within 10 s, an
 *   RbnError from `joinRoom` when the host refuses or does not answer within
 *   `config.joinTimeout` (`'JOIN_TIMEOUT'`: until it resolves, `joinOnline` ticks the session
 *   itself; it waits as long for the group's host to announce the room), RbnError
 *   `'SPECTATOR_CANNOT_HOST'` when a spectator would have to host, or the signal's reason when
 *   aborted. `onGroupFull` answering anything but its three choices rejects with RbnError
 *   `'INVALID_ARGUMENT'`; a group that ended before its watcher got in rejects with a
 *   `SignalingError` (`CONNECT_FAILED`, close 4003).
 * @example
 * ```ts
 * import { joinOnline } from '@rbn/online';
 * const session = await joinOnline({ url: 'wss://signal.example/my-room?next=2', game });
 * setInterval(() => session.tick(readInput()), 1000 / 60);
 * ```
 */
export async function joinOnline(options: JoinOnlineOptions): Promise<Session> {
  checkOptions(options);
  options.signal?.throwIfAborted();
  // A reloaded page: the seat its previous page saved for this room, if any (taken once).
  const seat = options.rejoinStorage ? takeSeat(options.rejoinStorage, options.url) : undefined;
  const client = new SignalingClient({
    url: seat ? resumeUrl(seat) : options.url,
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    // Keep trying while in the room (a network change, a server restart): the session's
    // reconnect window, not a count of attempts, decides when a lost member gives up.
    maxReconnectAttempts: Number.POSITIVE_INFINITY,
  });
  // Signals may arrive right after the welcome: keep them (a bounded few) until the transport exists.
  const early: [string, JsonValue][] = [];
  let route = (from: string, data: JsonValue): void => {
    if (early.length < MAX_EARLY_SIGNALS) early.push([from, data]);
  };
  client.on('signal', (from, data) => route(from, data));
  const welcome = await untilAborted(client.connect(), options.signal, () => client.close());
  if (seat && welcome.resumed && welcome.id === seat.peerId) {
    // The signaling server gave us our old id back: take the old slot back with it.
    const room = new OnlineRoom(client, welcome, rejoinOptions(options, seat));
    route = (from, data) => room.onSignal(from, data);
    for (const [from, data] of early.splice(0)) room.onSignal(from, data);
    // The slot may be gone (its window ran out): then the page joins as a new player.
    return room.rejoin(seat.ticket).catch((error: unknown) => {
      if (options.signal?.aborted) throw asError(error);
      return joinOnline(options);
    });
  }
  const full = client.groupFull;
  if (full !== undefined && options.onGroupFull) {
    const choice = await untilAborted(
      Promise.resolve().then(() => options.onGroupFull?.(full)),
      options.signal,
      () => client.close(),
    ).catch((error: unknown) => {
      client.close();
      throw asError(error);
    });
    if (choice !== 'new-group') {
      client.close();
      return joinOnline(lateJoinOptions(options, full.group, choice));
    }
  }
  const room = new OnlineRoom(client, welcome, options);
  route = (from, data) => room.onSignal(from, data);
  for (const [from, data] of early.splice(0)) room.onSignal(from, data);
  return room.enter();
}

/** The options that take a visitor who chose to watch or join a full group into that group. */
function lateJoinOptions(
  options: JoinOnlineOptions,
  group: string,
  choice: GroupFullChoice | undefined,
): JoinOnlineOptions {
  if (choice !== 'spectate' && choice !== 'join-late') {
    const text = `joinOnline: onGroupFull must return 'spectate', 'join-late' or 'new-group', not ${String(choice)}`;
    throw new RbnError('INVALID_ARGUMENT', text);
  }
  const url = new URL(options.url);
  url.searchParams.set('group', group);
  const { onGroupFull: _chosen, ...rest } = options;
  const role = choice === 'spectate' ? PlayerRole.Spectator : (options.role ?? PlayerRole.Player);
  return { ...rest, url: url.toString(), role };
}

/** The options of a page that takes its saved seat back: its room URL and its player id. */
function rejoinOptions(options: JoinOnlineOptions, seat: SavedSeat): JoinOnlineOptions {
  const { onGroupFull: _unused, ...rest } = options;
  return { ...rest, url: seat.url, localPlayerId: seat.ticket.playerId };
}

/** The URL without the `resume` parameter a reloaded page connected with. */
function roomUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.delete('resume');
  return u.toString();
}

function checkOptions(options: JoinOnlineOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new RbnError('INVALID_ARGUMENT', 'joinOnline: options must be an object');
  }
  if (typeof options.url !== 'string' || !/^wss?:\/\//.test(options.url)) {
    throw new RbnError('INVALID_ARGUMENT', 'joinOnline: url must be a ws:// or wss:// URL');
  }
  if (typeof options.game !== 'object' || options.game === null) {
    throw new RbnError('INVALID_ARGUMENT', 'joinOnline: game is required');
  }
  const { metadata } = options;
  if (
    metadata !== undefined &&
    (!(metadata instanceof Uint8Array) || metadata.length > MAX_PLAYER_METADATA_BYTES)
  ) {
    const text = `joinOnline: metadata must be a Uint8Array of at most ${MAX_PLAYER_METADATA_BYTES} bytes`;
    throw new RbnError('INVALID_ARGUMENT', text);
  }
}

/** Settles like `promise`, or rejects with the signal's reason (after `cancel()`) on abort. */
function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  cancel: () => void,
): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      cancel();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return;
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * How often a session that is still entering the room is ticked (in ms): until `joinOnline`
 * resolves nobody else drives it, and its join timeout and keepalives run in `tick()`.
 */
const ENTRY_TICK_MS = 100;

/** One peer's way into the room: the signaling client, the transport and the session. */
class OnlineRoom {
  readonly #client: SignalingClient;
  readonly #transport: WebRTCTransport;
  readonly #session: Session;
  readonly #options: JoinOnlineOptions;
  readonly #groupSize: number | null;
  #settle: { resolve: (session: Session) => void; reject: (error: Error) => void } | undefined;
  #entering = false;
  #closed = false;
  readonly #stops: (() => void)[] = [];
  /** Ticks the session until it is in the room (see {@link ENTRY_TICK_MS}). */
  #entryTicks: ReturnType<typeof setInterval> | undefined;

  constructor(client: SignalingClient, welcome: WelcomeMessage, options: JoinOnlineOptions) {
    this.#client = client;
    this.#options = options;
    this.#groupSize = welcome.groupSize;
    this.#transport = new WebRTCTransport(welcome.id, {
      ...iceOptions(welcome.iceServers, options.rtcConfiguration),
      ...(options.wrtc ? { wrtc: options.wrtc } : {}),
    });
    this.#transport.setSignalingCallbacks({
      onSignal: (to, signal) => this.#send(to, signal as unknown as JsonValue),
    });
    // Compression and segmentation, so a late joiner's state transfer fits any data channel.
    const wire = new TransformingTransport(this.#transport);
    this.#session = createSession({
      game: options.game,
      transport: wire,
      ...(options.localPlayerId !== undefined ? { localPlayerId: options.localPlayerId } : {}),
      ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
      ...(options.config ? { config: options.config } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    if (options.role === PlayerRole.Spectator) this.#session.setLocalRole(PlayerRole.Spectator);
  }

  /** Creates or joins the session room; resolves with the session once it is in. */
  enter(): Promise<Session> {
    return new Promise<Session>((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#watch();
      this.#tickWhileEntering();
      if (this.#client.isHost) this.#host();
    });
  }

  /**
   * Takes the slot of a previous page of this tab back (see `JoinOnlineOptions.rejoinStorage`);
   * resolves with the session once it plays.
   */
  rejoin(ticket: RejoinTicket): Promise<Session> {
    return new Promise<Session>((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#watch();
      this.#tickWhileEntering();
      this.#entering = true;
      this.#session.rejoinRoom(ticket).then(
        () => this.#succeed(),
        (error: unknown) => this.#fail(asError(error)),
      );
    });
  }

  /** Routes one relayed signal: a room announcement from the host, or a WebRTC signal. */
  onSignal(from: string, data: JsonValue): void {
    if (this.#closed) return;
    const announcement = readRoomAnnouncement(data);
    if (announcement !== undefined) {
      // Only the group's host is believed; after a host migration it names the session's host.
      if (from === this.#client.host) this.#join(announcement.roomId, announcement.host ?? from);
      return;
    }
    if (isWebRTCSignal(data)) this.#transport.handleSignal(from, data);
  }

  #watch(): void {
    const { signal, pageEvents } = this.#options;
    const session = this.#session;
    this.#stops.push(
      this.#client.on('host', (hostId) => {
        if (hostId === this.#client.id && !this.#entering) this.#host();
      }),
      this.#client.on('close', (code, reason) => {
        this.#fail(new RbnError('SIGNALING_CLOSED', `signaling closed (${code}) ${reason}`));
      }),
      // A host whose goodbye went down with its page is replaced at once once the server says
      // it left, and on the host a player's slot is released, rather than kept for a
      // reconnect that cannot come (see `Session.peerLeft`).
      this.#client.on('peer-left', (peerId) => {
        if (!this.#closed) session.peerLeft(peerId);
      }),
    );
    session.on('stateChange', (state) => {
      if (state === SessionState.Disconnected && this.#settle === undefined) this.#close();
    });
    if (this.#groupSize !== null && this.#options.autoStart !== false) {
      session.on('playerJoined', () => this.#startWhenFull());
    }
    if (signal) {
      const onAbort = (): void => this.#leave(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#stops.push(() => signal.removeEventListener('abort', onAbort));
    }
    const page = pageEvents === undefined ? browserWindow() : pageEvents;
    if (page) this.#stops.push(onPageExit(page, () => this.#pageExit()));
  }

  /**
   * Ticks the session until the caller has it, so that `joinTimeout` holds (a host whose page
   * froze after its connection opened never answers) and the joiner's link to the host stays
   * alive. The caller ticks it from then on. Before the join starts, the room announcement is
   * waited for as long.
   */
  #tickWhileEntering(): void {
    // The session's own time source, which its `joinTimeout` is measured with.
    const clock = this.#options.clock ?? performance;
    const since = clock.now();
    this.#entryTicks = setInterval(() => {
      const { joinTimeout } = this.#session.config;
      if (!this.#entering && clock.now() - since > joinTimeout) {
        // The group's host never told us the room (its page stalled, or it is still joining).
        const text = `joinOnline: no room announcement from the group's host within ${joinTimeout} ms`;
        this.#fail(new RbnError('JOIN_TIMEOUT', text));
        return;
      }
      try {
        this.#session.tick();
      } catch (error) {
        this.#fail(asError(error));
      }
    }, ENTRY_TICK_MS);
  }

  #stopEntryTicks(): void {
    clearInterval(this.#entryTicks);
    this.#entryTicks = undefined;
  }

  #host(): void {
    if (this.#session.localRole === PlayerRole.Spectator) {
      this.#fail(
        new RbnError(
          'SPECTATOR_CANNOT_HOST',
          'joinOnline: the room has no player to host it; a spectator cannot host',
        ),
      );
      return;
    }
    this.#entering = true;
    this.#session.createRoom().then(
      () => {
        this.#succeed();
        this.#startWhenFull();
      },
      (error: unknown) => this.#fail(asError(error)),
    );
  }

  #join(roomId: string, hostId: string): void {
    if (this.#entering) return;
    this.#entering = true;
    this.#session.joinRoom(roomId, hostId).then(
      () => this.#succeed(),
      (error: unknown) => this.#fail(asError(error)),
    );
  }

  #startWhenFull(): void {
    const session = this.#session;
    if (this.#groupSize === null || this.#options.autoStart === false) return;
    if (!session.isHost || session.state !== SessionState.Lobby) return;
    if (session.players.size >= this.#groupSize) session.start();
  }

  #send(to: string, data: JsonValue): void {
    // While the client reconnects it queues signals. A socket that is closing (or closed) cannot
    // relay anything: the signal is dropped, and a connection attempt that needed it times out.
    try {
      this.#client.signal(to, data);
    } catch (error) {
      if (!(error instanceof SignalingError)) throw error;
    }
  }

  #succeed(): void {
    this.#stopEntryTicks();
    const settle = this.#settle;
    this.#settle = undefined;
    const { visibility } = this.#options;
    const page = visibility === undefined ? browserDocument() : visibility;
    if (page && settle) {
      this.#stops.push(
        awayWhileHidden(page, this.#session),
        tickWhileHiddenHost(this.#session, page),
      );
    }
    if (settle) this.#announceWhileGroupHost();
    settle?.resolve(this.#session);
  }

  /**
   * Whoever the signaling server names as the group's host (its oldest member) tells every
   * peer that joins the group the session room and the session's host, and tells them all again
   * when it becomes the group's host or when the session's host changes (a host migration).
   * Members already in the room ignore it; later joiners join the session's current host.
   */
  #announceWhileGroupHost(): void {
    const client = this.#client;
    const session = this.#session;
    const announce = (peerId: string): void => {
      const roomId = session.roomId;
      if (!client.isHost || roomId === null || session.state === SessionState.Disconnected) return;
      const host = [...session.players.values()].find((player) => player.isHost);
      if (host === undefined) return;
      const self = host.peerId === client.id;
      // A host the server already saw leave is being replaced: the successor is announced
      // once the session names it (`hostChanged`).
      if (!self && !client.peers.includes(host.peerId)) return;
      this.#send(peerId, roomAnnouncement(roomId, self ? undefined : host.peerId));
    };
    const announceToAll = (): void => {
      for (const peer of client.peers) announce(peer);
    };
    announceToAll();
    session.on('hostChanged', announceToAll);
    this.#stops.push(client.on('new-peer', announce), client.on('host', announceToAll), () =>
      session.off('hostChanged', announceToAll),
    );
  }

  /** Fails the join (before it succeeded): everything is closed and the session destroyed. */
  #fail(error: Error): void {
    const settle = this.#settle;
    if (!settle) return;
    this.#settle = undefined;
    this.#close();
    this.#session.destroy();
    settle.reject(error);
  }

  /**
   * The page goes away. With `rejoinStorage`, a player in a running game saves its seat and
   * drops its connections without leaving (the others keep its slot); otherwise it leaves.
   */
  #pageExit(): void {
    const storage = this.#options.rejoinStorage;
    const welcome = this.#client.welcome;
    const ticket = this.#settle === undefined ? this.#session.rejoinTicket : null;
    if (!storage || !ticket || !welcome || this.#closed) {
      this.#leave(new Error('page closed'));
      return;
    }
    const url = roomUrl(this.#options.url);
    saveSeat(storage, { url, peerId: welcome.id, resumeToken: welcome.resumeToken, ticket });
    this.#closed = true;
    for (const stop of this.#stops.splice(0)) stop();
    this.#client.drop();
    // Closing the peer connections now tells the others at once that this page dropped.
    this.#transport.dispose();
  }

  /** Leaves: fails a join in progress, or leaves the room (which closes the rest). */
  #leave(reason: Error): void {
    if (this.#settle) this.#fail(reason);
    else if (this.#session.state !== SessionState.Disconnected) this.#session.leaveRoom();
    else this.#close();
  }

  #close(): void {
    this.#stopEntryTicks();
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#stops.splice(0)) stop();
    this.#client.close();
    const transport = this.#transport;
    setTimeout(() => transport.dispose(), LEAVE_FLUSH_MS);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
