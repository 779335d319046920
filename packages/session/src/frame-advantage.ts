import type { RollbackEngine } from '@rbn/core';
import type { Tick } from '@rbn/protocol';
import type { Link } from './internal/link';
import type { LinkTable } from './links';
import type { Roster } from './roster';
import { TimeSync } from './time-sync';
import { PlayerRole } from './types';
import type { SessionConfig, TickResult } from './types';

/** A peer this many ticks behind the others runs extra ticks to catch up. */
export const CATCH_UP_THRESHOLD = 4;
const TIME_SYNC_INTERVAL_MS = 1000;
const TIME_SYNC_THRESHOLD_FRAMES = 0;
const TIME_SYNC_STRETCH_PER_FRAME = 0.05;

/** How long a silent peer is still assumed to advance: two heartbeats plus a margin. */
export function maxSilenceMs(cfg: SessionConfig): number {
  return ((2 * cfg.inputHeartbeatTicks + 2) * 1000) / cfg.tickRate;
}

/**
 * Frame advantage: how far the local game runs ahead of the remote players, the frame-delay
 * multiplier that slows a peer that is ahead, the catch-up of a peer that is behind, and the
 * periodic `timeSync` report.
 */
export class FrameAdvantage {
  #estimator: TimeSync;
  #lastReportAt = -Infinity;
  #catchUpTicks = 0;

  /** @param tickRate - The room's tick rate. */
  constructor(tickRate: number) {
    this.#estimator = FrameAdvantage.#newEstimator(tickRate);
  }

  /**
   * The session's frames-ahead estimator. Unlike {@link TimeSync}'s general defaults it has no
   * dead band and a stronger stretch (5 % per frame ahead): a peer settles where the dead band
   * ends, and even one frame ahead makes its rollbacks about twice as deep as the other's.
   */
  static #newEstimator(tickRate: number): TimeSync {
    return new TimeSync({
      tickRate,
      thresholdFrames: TIME_SYNC_THRESHOLD_FRAMES,
      stretchPerFrame: TIME_SYNC_STRETCH_PER_FRAME,
    });
  }

  /** Starts over (a new room, or the room's tick rate was adopted). */
  reset(tickRate: number): void {
    this.#estimator = FrameAdvantage.#newEstimator(tickRate);
  }

  /** The tick-duration multiplier for the game loop (≥ 1). */
  get frameDelayMultiplier(): number {
    return this.#estimator.frameDelayMultiplier;
  }

  /** Extra ticks run so far to catch up. */
  get catchUpTicks(): number {
    return this.#catchUpTicks;
  }

  /** Counts an extra tick run to catch up. */
  caughtUp(): void {
    this.#catchUpTicks++;
  }

  /** Feeds the estimator with a player's reported tick. */
  addSample(link: Link, roster: Roster, remoteTick: Tick, engine: RollbackEngine): void {
    if (!link.hasRtt) return;
    if (roster.linkMember(link)?.role !== PlayerRole.Player) return;
    this.#estimator.addSample(link.peerId, link.rtt, remoteTick, engine.currentTick);
  }

  /** Forgets a peer that left. */
  removePeer(peerId: string): void {
    this.#estimator.removePeer(peerId);
  }

  /**
   * Mean over player links of how many ticks the local game runs ahead of the peer.
   * @returns The mean, or `null` when no player's tick is known.
   */
  framesAhead(
    engine: RollbackEngine | null,
    links: LinkTable,
    roster: Roster,
    cfg: SessionConfig,
    now: number,
  ): number | null {
    if (!engine) return null;
    const ticksPerMs = cfg.tickRate / 1000;
    const silence = maxSilenceMs(cfg);
    let sum = 0;
    let count = 0;
    const list = links.list;
    for (let k = 0; k < list.length; k++) {
      const link = list[k]!;
      if (roster.linkMember(link)?.role !== PlayerRole.Player) continue;
      const remote = link.estimateRemoteTick(now, ticksPerMs, silence);
      if (remote < 0) continue;
      sum += engine.currentTick - remote;
      count++;
    }
    return count === 0 ? null : sum / count;
  }

  /**
   * Whether a `timeSync` report is due (once a second).
   * @returns The frames-ahead estimate to report, or `null`.
   */
  reportDue(
    engine: RollbackEngine,
    links: LinkTable,
    roster: Roster,
    cfg: SessionConfig,
    now: number,
  ): number | null {
    if (now - this.#lastReportAt < TIME_SYNC_INTERVAL_MS) return null;
    this.#lastReportAt = now;
    return this.framesAhead(engine, links, roster, cfg, now);
  }
}

/** Ticks of slack on top of the speculation limit before a peer's tick is implausible. */
export const REMOTE_TICK_SLACK = 8;

/**
 * The newest tick a peer can really be at: a player cannot run more than
 * `maxSpeculationTicks` past the inputs it has from us (nor past our own newest tick), and a
 * spectator's remote players cannot run past the inputs anyone sent. A `senderTick` or pong
 * tick above this is a lie (it would make us run catch-up ticks: double speed) and is ignored.
 */
export function remoteTickBound(engine: RollbackEngine, roster: Roster, cfg: SessionConfig): Tick {
  let newest = Math.max(engine.currentTick, engine.lastLocalInputTick);
  if (!roster.localPlays) {
    for (const m of roster.remotePlayers) {
      if (engine.hasPlayer(m.playerId))
        newest = Math.max(newest, engine.getReceivedTick(m.playerId));
    }
  }
  return newest + cfg.maxSpeculationTicks + REMOTE_TICK_SLACK;
}

/**
 * Advances the engine one tick, and one more while this peer is well behind the others
 * (catch-up: a late joiner, a spectator, a tab that was hidden runs one extra tick per frame).
 * @param result - The frame's result, filled in.
 * @param ahead - How far this peer runs ahead at `now`, from the previous tick (`null` when
 * unknown); a function made once, so a frame creates no closure.
 * @param now - The frame's time.
 */
export function advanceFrame(
  engine: RollbackEngine,
  localInput: Uint8Array | undefined,
  result: TickResult,
  ahead: (now: number) => number | null,
  now: number,
  advantage: FrameAdvantage,
): void {
  const r = engine.tick(localInput);
  result.tick = r.tick;
  if (r.status !== 'advanced') {
    result.stalled = true;
    return;
  }
  result.advanced = true;
  result.rolledBack = r.rolledBack;
  result.rollbackTicks = r.rollbackTicks;
  const behind = ahead(now);
  if (behind !== null && behind <= -CATCH_UP_THRESHOLD) {
    const extra = engine.tick(localInput);
    if (extra.status === 'advanced') {
      result.tick = extra.tick;
      result.rolledBack = result.rolledBack || extra.rolledBack;
      result.rollbackTicks += extra.rollbackTicks;
      advantage.caughtUp();
    }
  }
}
