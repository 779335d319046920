// The page side of the browser test: bundled by Vite (test/browser.test.ts) and driven by
// Playwright through `window.rbnOnline`. It uses only joinOnline: no WebSocket or WebRTC option,
// the page's own implementations.
import { joinOnline } from '@rbn/online';
import { PlayerRole, Topology } from '@rbn/session';
import type { Session } from '@rbn/session';
import { Driver } from './driver';
import { HashGame } from './hash-game';

/** Session settings a test picks for a page. */
export type PageJoinOptions = {
  mesh?: boolean;
  disconnectTimeout?: number;
  reconnectWindowMs?: number;
  hostLossGraceMs?: number;
  /** Join as a spectator. */
  spectator?: boolean;
};

/**
 * A member this page saw leave, dropped, away, back or become host (`event` names the session
 * event), and the page's stalled frames at that moment.
 */
export type PageDeparture = { playerId: string; event: string; stalls: number };

/** What the page exposes to the test. */
export type PageApi = {
  join(url: string, index: number, options?: PageJoinOptions): Promise<void>;
  progress(): {
    playerId: string;
    /** The local member's slot (-1 when not in a room). */
    slot: number;
    state: number;
    tick: number;
    confirmed: number;
    players: number;
    /** The session room's id (empty before joining). */
    roomId: string;
    /** Whether this page's session is the room's host. */
    isHost: boolean;
    stalls: number;
    errors: string[];
    /** The page's links and session events, newest last (a failed wait shows them). */
    trace: string[];
  };
  /** The game's confirmed hashes (see `HashGame`): entries, newest tick taken, skipped ticks. */
  hashes(): {
    hashes: [number, number][];
    confirmed: number;
    skipped: number[];
    revised: number[];
    /** The inputs of recent confirmed ticks (see `HashGame.inputs`). */
    inputs: [number, string][];
  };
  /** The members this page saw leave or dropped. */
  departures(): PageDeparture[];
  /** Every membership event this page saw: left, dropped, away, back and host changes. */
  memberships(): PageDeparture[];
  /** Starts the game (on the host, in a room without `?next=N`). */
  start(): void;
  /** Closes every open peer connection of the page (its WebRTC links drop at once). */
  dropLinks(): number;
  /** Makes `document.visibilityState` read `hidden` (or `visible` again) and tells the page. */
  setHidden(hidden: boolean): void;
  /**
   * Stops the page's game loop (`false`), as a hidden page's animation frames stop, or starts it
   * again (`true`).
   */
  runLoop(running: boolean): void;
};

/**
 * Every peer connection the page opened, so a test can cut them as a network drop would
 * (`Network.emulateNetworkConditions` offline does not touch WebRTC).
 */
const connections: RTCPeerConnection[] = [];
/**
 * What happened to the page's links and session, newest last (at most {@link TRACE_LIMIT}
 * entries, each `+<ms since load> <what>`): shown with `progress()` when a wait fails.
 */
const trace: string[] = [];
const TRACE_LIMIT = 120;
function note(what: string): void {
  trace.push(`+${Math.round(performance.now())} ${what}`);
  if (trace.length > TRACE_LIMIT) trace.shift();
}
let opened = 0;
const NativeConnection = globalThis.RTCPeerConnection;
globalThis.RTCPeerConnection = class extends NativeConnection {
  constructor(configuration?: RTCConfiguration) {
    super(configuration);
    connections.push(this);
    const index = opened++;
    note(`pc${index} new`);
    this.addEventListener('connectionstatechange', () => {
      note(`pc${index} ${this.connectionState}`);
    });
  }
};

let session: Session | undefined;
let driver: Driver | undefined;
const game = new HashGame();
const departures: PageDeparture[] = [];

const api: PageApi = {
  async join(url, index, options = {}) {
    const topology = options.mesh ? Topology.Mesh : Topology.Star;
    const config = {
      hashInterval: 30,
      topology,
      ...(options.disconnectTimeout ? { disconnectTimeout: options.disconnectTimeout } : {}),
      ...(options.reconnectWindowMs ? { reconnectWindowMs: options.reconnectWindowMs } : {}),
      ...(options.hostLossGraceMs !== undefined
        ? { hostLossGraceMs: options.hostLossGraceMs }
        : {}),
    };
    const role = options.spectator === true ? PlayerRole.Spectator : PlayerRole.Player;
    const joined = await joinOnline({ url, game, config, role });
    const loop = new Driver(joined, index, () => undefined, game);
    const seen = (playerId: string, event: string): void => {
      departures.push({ playerId, event, stalls: loop.stalls });
      note(`${event} ${playerId.slice(0, 8)}`);
    };
    joined.on('playerLeft', (player) => seen(player.playerId, 'playerLeft'));
    joined.on('playerDropped', (playerId) => seen(playerId, 'playerDropped'));
    joined.on('playerAway', (playerId) => seen(playerId, 'playerAway'));
    joined.on('playerBack', (playerId) => seen(playerId, 'playerBack'));
    joined.on('hostChanged', (hostId) => seen(hostId, 'hostChanged'));
    joined.on('stateChange', (state) => note(`session state ${state}`));
    // Recoverable ones too (a message the session refused says why a wait may hang).
    joined.on('error', (error, context) => {
      const fatal = context.recoverable ? '' : ' (fatal)';
      note(`error ${context.source}${fatal}: ${error.message.slice(0, 160)}`);
    });
    session = joined;
    driver = loop;
    loop.start();
  },
  progress() {
    return {
      playerId: session?.localPlayerId ?? '',
      slot: (session && session.players.get(session.localPlayerId)?.slot) ?? -1,
      state: session?.state ?? -1,
      tick: session?.currentTick ?? -1,
      confirmed: session ? game.confirmed : -1,
      players: session?.players.size ?? 0,
      roomId: session?.roomId ?? '',
      isHost: session?.isHost ?? false,
      stalls: driver?.stalls ?? 0,
      errors: driver?.errors.map((e) => e.message) ?? [],
      trace: [...trace],
    };
  },
  hashes() {
    return {
      hashes: [...game.hashes],
      confirmed: game.confirmed,
      skipped: [...game.skipped],
      revised: [...game.revised],
      inputs: [...game.inputs],
    };
  },
  departures() {
    return departures.filter((d) => d.event === 'playerLeft' || d.event === 'playerDropped');
  },
  memberships() {
    return [...departures];
  },
  start() {
    session?.start();
  },
  dropLinks() {
    const open = connections.filter((pc) => pc.connectionState !== 'closed');
    for (const pc of open) pc.close();
    connections.length = 0;
    return open.length;
  },
  setHidden(hidden) {
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (hidden ? 'hidden' : 'visible'),
    });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event('visibilitychange'));
  },
  runLoop(running) {
    driver?.stop();
    if (running) driver?.start();
  },
};

(globalThis as { rbnOnline?: PageApi }).rbnOnline = api;
