import type { TransportAdapter } from '@rbn/protocol';
import { PlayerRole, SessionState, createSession } from '@rbn/session';
import type { Clock, Session, SessionConfig } from '@rbn/session';
import { ArenaGame } from '../game/arena';
import { DesyncInspector } from '../ui/desync-inspector';
import type {
  ConfirmedState,
  DemoPeer,
  PeerCounters,
  PeerStats,
  PeerTick,
  RemoteLink,
} from './peer';
import { RecordingGame } from './recording-game';

/** Options of a {@link SessionPeer} that creates its own session. */
export interface SessionPeerOptions {
  /** Shown above the view. */
  label: string;
  /** The transport the session talks through. */
  transport: TransportAdapter;
  /** Seed of the arena (equal on every peer; a joiner gets the host's state anyway). */
  seed: number;
  /** Watch only. @default false */
  spectator?: boolean;
  /** Session settings. */
  config?: Partial<SessionConfig>;
  /** Time source of the session. @default performance.now */
  clock?: Clock;
}

/** The demo's session settings (on top of the library defaults). */
export const DEMO_SESSION_CONFIG: Partial<SessionConfig> = { hashInterval: 30 };

/** The arena of a peer and the recording wrapper its session drives. */
export interface PeerGame {
  game: ArenaGame;
  recording: RecordingGame;
}

/**
 * A fresh arena and its recording wrapper: give `recording` to the session.
 * @param seed - Seed of the arena.
 * @returns Both.
 */
export function peerGame(seed: number): PeerGame {
  const game = new ArenaGame(seed);
  return { game, recording: new RecordingGame(game) };
}

/** Options of a {@link SessionPeer} around a session made elsewhere (online: by `joinOnline`). */
export interface ExistingSessionOptions {
  /** Shown above the view. */
  label: string;
  /** The game the session drives, from {@link peerGame}. */
  game: PeerGame;
  /** The session. */
  session: Session;
}

/**
 * A demo peer driven by an `@rbn/session` session: rooms, input exchange, rollback, desync
 * detection and recovery, late join and spectators all come from the library, and so does the
 * time sync: the page paces this peer's ticks with `recommendedFrameDelayMs`.
 */
export class SessionPeer implements DemoPeer {
  readonly label: string;
  readonly game: ArenaGame;
  readonly counters: PeerCounters = {
    rollbacks: 0,
    rolledBackTicks: 0,
    stalls: 0,
    desyncs: 0,
    recoveries: 0,
  };
  /** The session, for the mode to create or join rooms and start the game. */
  readonly session: Session;
  private readonly recording: RecordingGame;
  private readonly input = new Uint8Array(1);
  private lastNotice: string | undefined;

  /**
   * @param options - See {@link SessionPeerOptions} and {@link ExistingSessionOptions}.
   */
  constructor(options: SessionPeerOptions | ExistingSessionOptions) {
    this.label = options.label;
    if ('session' in options) {
      this.game = options.game.game;
      this.recording = options.game.recording;
      this.session = options.session;
    } else {
      const { game, recording } = peerGame(options.seed);
      this.game = game;
      this.recording = recording;
      this.session = createSession({
        game: this.recording,
        transport: options.transport,
        config: { ...DEMO_SESSION_CONFIG, ...options.config },
        ...(options.clock ? { clock: options.clock } : {}),
      });
      if (options.spectator) this.session.setLocalRole(PlayerRole.Spectator);
    }
    this.session.on('desync', () => {
      this.counters.desyncs++;
    });
    this.session.on('stateSynced', () => {
      this.counters.recoveries++;
    });
    if (typeof document !== 'undefined') DesyncInspector.shared().watch(this.session, this.label);
  }

  /** Hashes by game tick. */
  get hashes() {
    return this.recording.hashes;
  }

  get playerId(): string {
    return this.session.localPlayerId;
  }

  state(): string {
    return SessionState[this.session.state];
  }

  currentTick(): number {
    return this.session.currentTick;
  }

  confirmedTick(): number {
    return this.session.confirmedTick;
  }

  /**
   * Shows a sentence on this peer's view while it is not playing.
   * @param text - The sentence, or `undefined` to clear it.
   */
  setNotice(text: string | undefined): void {
    this.lastNotice = text;
  }

  notice(): string | undefined {
    switch (this.session.state) {
      case SessionState.Playing:
        return undefined;
      case SessionState.Paused:
        return 'paused';
      case SessionState.Lobby:
        return this.lastNotice ?? 'in the lobby: waiting for the host to start';
      case SessionState.Connecting:
        return this.lastNotice ?? 'joining the room…';
      case SessionState.Disconnected:
        return this.lastNotice ?? 'not in a room';
    }
  }

  isSpectator(): boolean {
    return this.session.localRole === PlayerRole.Spectator;
  }

  frameDelayMs(): number {
    return this.session.recommendedFrameDelayMs;
  }

  tick(buttons: number): PeerTick {
    this.input[0] = buttons;
    const result = this.session.tick(this.input);
    // The tick's own confirmed tick: the states up to it were simulated with every input.
    const confirmed = result.confirmedTick;
    if (confirmed >= 0) {
      this.recording.confirm(confirmed + 1 + (this.game.tick - this.session.currentTick));
    }
    if (result.rolledBack) {
      this.counters.rollbacks++;
      this.counters.rolledBackTicks += result.rollbackTicks;
    }
    if (result.stalled) this.counters.stalls++;
    return { rollbackTicks: result.rollbackTicks, stalled: result.stalled };
  }

  stats(): PeerStats {
    let rtt: number | undefined;
    let ahead = 0;
    let bytesSent = 0;
    let bytesReceived = 0;
    for (const link of this.remotes()) {
      if (link.rttMs > 0) rtt = Math.max(rtt ?? 0, link.rttMs);
      // Time sync is between players: a spectator runs behind on purpose and holds nobody back.
      if (!link.spectator && Math.abs(link.framesAhead) > Math.abs(ahead)) {
        ahead = link.framesAhead;
      }
      bytesSent += link.bytesSent;
      bytesReceived += link.bytesReceived;
    }
    return { rttMs: rtt, framesAhead: ahead, bytesSent, bytesReceived };
  }

  remotes(): RemoteLink[] {
    const links: RemoteLink[] = [];
    for (const player of this.session.players.values()) {
      if (player.isLocal) continue;
      const stats = this.session.getNetworkStats(player.peerId);
      if (!stats) continue;
      links.push({
        peerId: player.peerId,
        rttMs: stats.rtt,
        bytesSent: stats.bytesSent,
        bytesReceived: stats.bytesReceived,
        framesAhead: stats.remoteFramesBehind,
        spectator: player.role === PlayerRole.Spectator,
      });
    }
    return links;
  }

  confirmedState(): ConfirmedState | undefined {
    const engine = this.session.rollbackEngine;
    if (!engine || this.session.state !== SessionState.Playing) return undefined;
    try {
      const { tick, state } = engine.getConfirmedState();
      return { tick, state };
    } catch {
      return undefined; // not in the history (just after a state transfer)
    }
  }

  induceDesync(): void {
    this.recording.corruptNextTick();
    if (typeof document !== 'undefined') DesyncInspector.shared().waiting(this.label);
  }

  destroy(): void {
    this.session.destroy();
  }
}
