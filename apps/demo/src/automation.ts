import { SUB } from './game/fixed';
import type { DemoPeer, PeerCounters, RemoteLink } from './net/peer';
import type { OverlayFigures } from './ui/peer-view';

/** A peer and its overlay (a `PeerView`), as a mode hands them to {@link publishDemo}. */
export interface ShownPeer {
  readonly peer: DemoPeer;
  /** The figures the peer's overlay plotted last. */
  figures(): OverlayFigures;
}

/** One peer as automation sees it. */
export interface PeerHandle {
  readonly label: string;
  readonly playerId: string;
  /** The peer's session state, e.g. "Playing". */
  readonly state: string;
  readonly currentTick: number;
  readonly confirmedTick: number;
  readonly isSpectator: boolean;
  /** The overlay's counters, plus `rolledBackTicks` (ticks resimulated, in total). */
  readonly counters: PeerCounters;
  /** The figures the overlay's graphs plotted last: RTT, frames ahead, bytes/s, rollback depth. */
  readonly overlay: OverlayFigures;
  /** Each remote peer's link as the session measures it: RTT, bytes sent and received. */
  readonly remotes: RemoteLink[];
  /** The live game's tick (the state `hash()` hashes). */
  readonly gameTick: number;
  /** The game tick of the newest confirmed (final) state. */
  readonly confirmedGameTick: number;
  /**
   * The players of the live game: id, slot, phase (0 empty, 1 alive, 2 falling, 3 respawning),
   * score, and position in world pixels (the platform's centre is 240, 240).
   */
  readonly players: {
    id: string;
    slot: number;
    phase: number;
    score: number;
    x: number;
    y: number;
  }[];
  /** Hash of the live (predicted) game state. */
  hash(): number;
  /** Hash of the game at a confirmed game tick, or `undefined` if unknown or not confirmed. */
  hashAt(gameTick: number): number | undefined;
  /** `[gameTick, hash]` of the last `count` confirmed game ticks that are still known. */
  confirmedHashes(count?: number): [number, number][];
  /** Corrupts this peer's game state. */
  induceDesync(): void;
}

/** `window.rbnDemo`: the page's state for tests and curious people. */
export interface RbnDemo {
  readonly mode: 'local' | 'online';
  /** Every peer of the page (local mode: one per split view; online: the one peer). */
  readonly peers: readonly PeerHandle[];
  /** The first peer's state. */
  readonly state: string;
  readonly currentTick: number;
  readonly confirmedTick: number;
  readonly gameTick: number;
  readonly confirmedGameTick: number;
  hash(): number;
  hashAt(gameTick: number): number | undefined;
  confirmedHashes(count?: number): [number, number][];
  induceDesync(peer?: number): void;
  /** Errors the page caught (also logged to the console). */
  readonly errors: string[];
  /** Extra fields a mode adds (network sliders, room links, …). */
  [key: string]: unknown;
}

declare global {
  interface Window {
    rbnDemo?: RbnDemo;
  }
}

function confirmedGameTick(peer: DemoPeer): number {
  return peer.confirmedTick() + 1 + (peer.game.tick - peer.currentTick());
}

/**
 * Wraps a peer for automation.
 * @param shown - The peer and its overlay.
 * @returns A live view of it.
 */
export function peerHandle(shown: ShownPeer): PeerHandle {
  const { peer } = shown;
  return {
    label: peer.label,
    playerId: peer.playerId,
    get state() {
      return peer.state();
    },
    get currentTick() {
      return peer.currentTick();
    },
    get confirmedTick() {
      return peer.confirmedTick();
    },
    get isSpectator() {
      return peer.isSpectator();
    },
    get counters() {
      return { ...peer.counters };
    },
    get overlay() {
      return shown.figures();
    },
    get remotes() {
      return peer.remotes();
    },
    get gameTick() {
      return peer.game.tick;
    },
    get confirmedGameTick() {
      return confirmedGameTick(peer);
    },
    get players() {
      return peer.game.players
        .filter((p) => p.phase !== 0)
        .map((p) => ({
          id: p.id,
          slot: p.slot,
          phase: p.phase,
          score: p.score,
          x: p.x / SUB,
          y: p.y / SUB,
        }));
    },
    hash: () => peer.game.hash(),
    hashAt: (tick) => (tick <= confirmedGameTick(peer) ? peer.hashes.get(tick) : undefined),
    confirmedHashes: (count = 600) => {
      const last = confirmedGameTick(peer);
      return peer.hashes.range(last - count + 1, last);
    },
    induceDesync: () => peer.induceDesync(),
  };
}

/**
 * Publishes `window.rbnDemo`.
 * @param mode - The page's mode.
 * @param peers - A function listing the current peers and their overlays (they may change).
 * @param extra - More fields to expose.
 * @returns The object.
 */
export function publishDemo(
  mode: 'local' | 'online',
  peers: () => readonly ShownPeer[],
  extra: Record<string, unknown> = {},
): RbnDemo {
  const errors: string[] = window.rbnDemo?.errors ?? [];
  const first = (): PeerHandle | undefined => {
    const peer = peers()[0];
    return peer ? peerHandle(peer) : undefined;
  };
  const demo: RbnDemo = {
    mode,
    get peers() {
      return peers().map(peerHandle);
    },
    get state() {
      return first()?.state ?? 'Disconnected';
    },
    get currentTick() {
      return first()?.currentTick ?? 0;
    },
    get confirmedTick() {
      return first()?.confirmedTick ?? -1;
    },
    get gameTick() {
      return first()?.gameTick ?? 0;
    },
    get confirmedGameTick() {
      return first()?.confirmedGameTick ?? 0;
    },
    hash: () => first()?.hash() ?? 0,
    hashAt: (tick) => first()?.hashAt(tick),
    confirmedHashes: (count) => first()?.confirmedHashes(count) ?? [],
    induceDesync: (index = 0) => {
      peers()[index]?.peer.induceDesync();
    },
    errors,
  };
  // Copy property descriptors, not values, so getters among the extras stay live.
  Object.defineProperties(demo, Object.getOwnPropertyDescriptors(extra));
  window.rbnDemo = demo;
  return demo;
}
