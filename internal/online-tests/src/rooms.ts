// Rooms of a Node host and two Chromium pages for the page-liveness and away tests: joining,
// watching membership events, and playing on until everyone agrees.
import type { SignalingServer, SignalingServerOptions } from '@rbn/signaling';
import { Topology } from '@rbn/session';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { STEP_CAP_MS, type BrowserHarness } from './browser';
import { compareConfirmed, describeDisagreement } from './driver';
import type { NodePeer, NodePeers } from './node-peers';
import { confirmedHashes, join, pageConfirmed } from './pages';

/** What a room test works with. */
export type RoomContext = {
  peers: NodePeers;
  harness: Pick<BrowserHarness, 'open'>;
  start: (options?: SignalingServerOptions) => Promise<SignalingServer>;
};

/** Session settings of a room test (every member gets them). */
export type RoomOptions = {
  mesh?: boolean;
  disconnectTimeout?: number;
  reconnectWindowMs?: number;
  hostLossGraceMs?: number;
};

/** Membership events a Node peer saw, each with its stalled frames at that moment. */
export type Watched = {
  /** Members that left or were dropped. */
  left: Map<string, number>;
  /** Members marked away (the first time). */
  away: Map<string, number>;
  /** Members back from away (the first time). */
  back: Map<string, number>;
  /** The newest tick each member came back at (it simulated nothing before). */
  backTick: Map<string, number>;
  /** Ticks the host found a desync at (for failure messages). */
  desyncs: number[];
  /**
   * The newest 48 membership events, with the ticks they name and where the peer was (failure
   * messages).
   */
  timeline: string[];
};

/**
 * Which members a Node peer saw leave (or dropped), go away and come back, with its stalled
 * frames at that moment.
 */
export function watchMembers(peers: NodePeers, peer: NodePeer): Watched {
  const watched: Watched = {
    left: new Map(),
    away: new Map(),
    back: new Map(),
    backTick: new Map(),
    desyncs: [],
    timeline: [],
  };
  const at = (event: string, playerId: string, tick?: number): void => {
    const { currentTick, confirmedTick } = peer.session;
    const line = `${event} ${playerId}${tick === undefined ? '' : ` @${tick}`} (at ${currentTick}, confirmed ${confirmedTick})`;
    watched.timeline.push(line);
    if (watched.timeline.length > 48) watched.timeline.shift(); // the newest ones tell most
  };
  const note = (seen: Map<string, number>, playerId: string): void => {
    if (!seen.has(playerId)) seen.set(playerId, peer.driver.stalls);
    peers.waits.check();
  };
  peer.session.on('playerLeft', (player) => {
    at('left', player.playerId);
    note(watched.left, player.playerId);
  });
  peer.session.on('playerDropped', (playerId) => {
    at('dropped', playerId);
    note(watched.left, playerId);
  });
  peer.session.on('playerAway', (playerId, tick) => {
    at('away', playerId, tick);
    note(watched.away, playerId);
  });
  peer.session.on('playerBack', (playerId, tick) => {
    at('back', playerId, tick);
    watched.backTick.set(playerId, tick);
    note(watched.back, playerId);
  });
  peer.session.on('desync', (tick) => {
    if (watched.desyncs.length < 16) watched.desyncs.push(tick);
  });
  return watched;
}

/** What a peer saw, for a failed comparison's message. */
export function summary(watched: Watched): string {
  return `host saw [${watched.timeline.join('; ')}], back ticks ${JSON.stringify([...watched.backTick])}, desyncs at [${watched.desyncs.join(', ')}]`;
}

/**
 * Forgets the left, away and back events seen so far (not the back ticks), so a test sees
 * only what follows its own action.
 */
export function forgetEvents(watched: Watched): void {
  watched.left.clear();
  watched.away.clear();
  watched.back.clear();
}

/** The Node peers' status and what the host saw, for a failed wait's message. */
export function hostStatus(peers: NodePeers, hostSaw: Watched): () => string {
  return () => `${peers.status()} | host saw: ${hostSaw.timeline.join('; ')}`;
}

/**
 * A Node host and two pages in one room, playing, every one past tick 120.
 * @param server - Signaling server options (e.g. a long `resumeGraceMs`).
 */
export async function threePlayers(
  ctx: RoomContext,
  room: string,
  options: RoomOptions = {},
  server: SignalingServerOptions = {},
) {
  const { peers, harness } = ctx;
  const signaling = await ctx.start(server);
  const url = `${signaling.wsUrl}/${room}`;
  const { mesh, disconnectTimeout, reconnectWindowMs, hostLossGraceMs } = options;
  const config = {
    hashInterval: 30,
    ...(mesh ? { topology: Topology.Mesh } : {}),
    ...(disconnectTimeout ? { disconnectTimeout } : {}),
    ...(hostLossGraceMs !== undefined ? { hostLossGraceMs } : {}),
    ...(reconnectWindowMs ? { reconnectWindowMs } : {}),
  };
  const host = await peers.join(url, 0, { config });
  // From the start: on a loaded machine a page may stall past the keepalive while the game
  // begins, and come back from away (its comparison must start where it simulated again).
  const hostSaw = watchMembers(peers, host);
  const pages = [await harness.open(), await harness.open()] as const;
  await Promise.all(pages.map(({ page }, i) => join(page, url, i + 1, options)));
  await peers.waits.until(
    () => host.session.players.size === 3,
    'the host seeing 3 players',
    60_000,
    peers.status,
  );
  host.session.start();
  await Promise.all([
    peers.allConfirmed(120, STEP_CAP_MS),
    ...pages.map(({ page }, i) =>
      pageConfirmed(page, `page ${i + 1}`, 120, STEP_CAP_MS, peers.status),
    ),
  ]);
  return { url, host, hostSaw, pages, signaling };
}

/**
 * Every member confirms `ahead` more ticks, and they all agree on every confirmed hash from
 * the first tick, with no unrecoverable error anywhere. A tick a member skipped (it came back
 * from a state past it) is compared among the others: a member that was away or stalled must
 * not have reported a tick confirmed with another hash before it went.
 * @param hostSaw - What the host saw since the game started (`threePlayers` watches it).
 */
export async function playOnAndAgree(
  peers: NodePeers,
  host: NodePeer,
  hostSaw: Watched,
  pages: readonly Page[],
  ahead: number,
) {
  const from = Math.max(host.session.confirmedTick, 0);
  await Promise.all([
    peers.allConfirmed(from + ahead, STEP_CAP_MS),
    ...pages.map((page, i) =>
      pageConfirmed(page, `page #${i}`, from + ahead, STEP_CAP_MS, peers.status),
    ),
  ]);
  const fromPages = await Promise.all(pages.map((page) => confirmedHashes(page)));
  const result = compareConfirmed([host.game, ...fromPages]);
  expect(result.to).toBeGreaterThanOrEqual(from + ahead);
  const context = describeDisagreement([host.game, ...fromPages], result, summary(hostSaw));
  expect(result.missing, context).toEqual([]);
  expect(result.mismatches, context).toEqual([]);
  const errors = [
    ...fromPages.flatMap((p) => p.errors),
    ...host.driver.errors.map((e) => e.message),
  ];
  expect(errors).toEqual([]);
}
