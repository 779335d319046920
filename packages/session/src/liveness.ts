import type { RollbackEngine } from '@rbn/core';
import { MessageType } from '@rbn/protocol';
import type { LagReportMessage, PongMessage, Tick } from '@rbn/protocol';
import { remoteTickBound } from './frame-advantage';
import type { FrameAdvantage } from './frame-advantage';
import type { Emitter } from './internal/emitter';
import { MAX_RTT_SAMPLE_MS, SLOT_COUNT } from './internal/link';
import type { Link } from './internal/link';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import type { Member, Roster } from './roster';
import { PlayerRole } from './types';
import type { SessionConfig } from './types';

/** The shortest time between two lag reports about one player. */
export const LAG_REPORT_INTERVAL_MS = 1000;

/** The shortest time between two pongs to one peer: pings beyond that go unanswered. */
export const PONG_MIN_INTERVAL_MS = 100;

/** Pongs per second, all together, to peers that are not members (joiners). */
export const STRANGER_PONGS_PER_SECOND = 20;

/** What {@link checkSilence} found. */
export type SilenceVerdict =
  | { readonly kind: 'fine' }
  /** A peer was silent past `disconnectTimeout`: it is gone. */
  | { readonly kind: 'gone'; readonly peerId: string; readonly silentMs: number }
  /** Peers newly silent past `disconnectNotifyStart` (already marked interrupted). */
  | {
      readonly kind: 'interrupted';
      readonly members: readonly Member[];
      readonly silent: number[];
    };

const FINE: SilenceVerdict = { kind: 'fine' };

/**
 * Checks every link for silence: the first link silent past `disconnectTimeout` is gone (the
 * caller removes it; the rest is checked next frame), and links silent past
 * `disconnectNotifyStart` become interrupted once.
 */
export function checkSilence(
  links: LinkTable,
  roster: Roster,
  cfg: SessionConfig,
  now: number,
): SilenceVerdict {
  let members: Member[] | null = null;
  let silentFor: number[] | null = null;
  // Most frames nobody is silent long enough to matter: look the member up only then.
  const threshold = Math.min(cfg.disconnectTimeout, cfg.disconnectNotifyStart);
  const list = links.list;
  for (let k = 0; k < list.length; k++) {
    const link = list[k]!;
    const silent = now - link.lastRecvAt;
    if (silent < threshold) continue;
    const member = roster.linkMember(link);
    if (!member) continue;
    if (silent >= cfg.disconnectTimeout)
      return { kind: 'gone', peerId: link.peerId, silentMs: silent };
    if (!link.interrupted && silent >= cfg.disconnectNotifyStart) {
      link.markInterrupted();
      (members ??= []).push(member);
      (silentFor ??= []).push(silent);
    }
  }
  return members && silentFor ? { kind: 'interrupted', members, silent: silentFor } : FINE;
}

/** A player whose inputs lag: how far behind, and whether the host should hear of it. */
export type LagFinding = { readonly member: Member; readonly ticksBehind: number };

/** Rate-limited lag detection: which remote players' inputs lag `lagReportThreshold` behind. */
export class LagDetector {
  readonly #lastReportAt = new Float64Array(SLOT_COUNT).fill(-Infinity);

  /**
   * The players to report now (each at most once per {@link LAG_REPORT_INTERVAL_MS}).
   * @returns The findings, or `null` on the common frame where nobody lags.
   */
  check(
    engine: RollbackEngine,
    roster: Roster,
    cfg: SessionConfig,
    now: number,
  ): LagFinding[] | null {
    const current: Tick = engine.currentTick;
    // Nobody's inputs lag further behind than the slowest player's: most frames end here.
    if (current - 1 - engine.inputsCompleteThrough < cfg.lagReportThreshold) return null;
    let findings: LagFinding[] | null = null;
    for (const member of roster.remotePlayers) {
      if (member.joinTick < 0 || member.leaveTick >= 0 || !engine.hasPlayer(member.playerId)) {
        continue;
      }
      const behind = current - 1 - engine.getReceivedTick(member.playerId);
      if (behind < cfg.lagReportThreshold) continue;
      if (now - this.#lastReportAt[member.slot]! < LAG_REPORT_INTERVAL_MS) continue;
      this.#lastReportAt[member.slot] = now;
      (findings ??= []).push({ member, ticksBehind: behind });
    }
    return findings;
  }
}

/** Liveness starts over for every link (after a start, a resume or a load). */
export function resetLiveness(links: LinkTable, now: number): void {
  for (const link of links.list) link.resetLiveness(now);
}

/** What {@link Liveness} works with (the session's own parts, no more). */
export type LivenessDeps = {
  readonly links: LinkTable;
  readonly roster: Roster;
  readonly emitter: Emitter;
  readonly report: Reporter;
  readonly advantage: FrameAdvantage;
  /** Whether the local game advances (not while away, or waiting for the host after a drop). */
  readonly localPlays: () => boolean;
};

/**
 * Liveness: pings and pongs (RTT), silence (interrupted, then gone), traffic again (resumed),
 * and lag reports. The session removes a peer this reports gone.
 */
export class Liveness {
  readonly #lag = new LagDetector();
  /** When each link last got a pong from us (ping throttle). */
  readonly #pongAt = new WeakMap<Link, number>();
  #strangerPongsAt = -Infinity;
  #strangerPongs = 0;
  /** When each reporter last reported each slot: `reporter slot * SLOT_COUNT + slot`. */
  readonly #lagReportAt = new Map<number, number>();

  /** @param deps - The session's parts this uses. */
  constructor(private readonly deps: LivenessDeps) {}

  /** Sends a ping on a link when one is due. */
  ping(link: Link, engine: RollbackEngine | null, pingInterval: number, now: number): void {
    const timestamp = link.startPing(now, pingInterval);
    if (timestamp < 0) return;
    const tick = engine ? engine.currentTick : 0;
    this.deps.links.sendTo(link.peerId, { type: MessageType.Ping, timestamp, tick });
  }

  /**
   * The frame's checks while a game runs: silence and lag.
   * @returns The peer gone silent past `disconnectTimeout` and why, or `null`.
   */
  check(
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): { peerId: string; why: string } | null {
    const { links, roster, emitter } = this.deps;
    const verdict = checkSilence(links, roster, cfg, now);
    if (verdict.kind === 'gone') {
      return { peerId: verdict.peerId, why: `no traffic for ${Math.round(verdict.silentMs)} ms` };
    }
    if (verdict.kind === 'interrupted') {
      verdict.members.forEach((member, i) => {
        const left = Math.max(0, cfg.disconnectTimeout - verdict.silent[i]!);
        emitter.emit('networkInterrupted', member.playerId, left);
      });
    }
    if (engine) this.#checkLag(engine, cfg, now);
    return null;
  }

  #checkLag(engine: RollbackEngine, cfg: SessionConfig, now: number): void {
    const { links, roster, emitter } = this.deps;
    const findings = this.#lag.check(engine, roster, cfg, now);
    if (!findings) return;
    for (const { member, ticksBehind } of findings) {
      emitter.emit('lagReport', member.playerId, ticksBehind, roster.ownPlayerId);
      const hostPeerId = roster.hostPeerId;
      if (!roster.isHost && hostPeerId !== null) {
        links.sendTo(hostPeerId, {
          type: MessageType.LagReport,
          slot: member.slot,
          ticksBehind: Math.min(ticksBehind, 0x7fffffff),
        });
      }
    }
  }

  /** A message arrived on a link: counted, and an interrupted peer is live again. */
  received(link: Link | undefined, bytes: number, now: number): void {
    if (!link?.countReceived(bytes, now)) return;
    const member = this.deps.roster.byPeer(link.peerId);
    if (member) this.deps.emitter.emit('networkResumed', member.playerId);
  }

  /**
   * A ping: answered with our tick, at most once per {@link PONG_MIN_INTERVAL_MS} per member,
   * and from a shared budget of {@link STRANGER_PONGS_PER_SECOND} for peers without a link.
   */
  onPing(
    link: Link | undefined,
    peerId: string,
    timestamp: number,
    engine: RollbackEngine | null,
    now: number,
  ): void {
    if (link) {
      const last = this.#pongAt.get(link);
      if (last !== undefined && now - last < PONG_MIN_INTERVAL_MS) return;
      this.#pongAt.set(link, now);
    } else {
      // A joiner pings the host before it is a member: answered from a small shared budget.
      if (now - this.#strangerPongsAt >= 1000) {
        this.#strangerPongsAt = now;
        this.#strangerPongs = 0;
      }
      if (++this.#strangerPongs > STRANGER_PONGS_PER_SECOND) return;
    }
    const tick = engine ? engine.currentTick : 0;
    this.deps.links.sendTo(peerId, { type: MessageType.Pong, timestamp, tick });
  }

  /** A pong: an RTT sample, and the peer's tick for frame advantage. */
  onPong(
    link: Link | undefined,
    { timestamp, tick }: PongMessage,
    engine: RollbackEngine | null,
    cfg: SessionConfig,
    now: number,
  ): void {
    if (!link) return;
    const answered = link.takePing(timestamp);
    if (answered === 'duplicate') return; // the network duplicated a pong
    if (answered === 'unknown') {
      this.deps.report.peer(link.peerId, MessageType.Pong, 'a pong that answers no ping of ours');
      return;
    }
    const sample = ((Math.floor(now) >>> 0) - timestamp) >>> 0;
    if (sample < MAX_RTT_SAMPLE_MS) link.addRttSample(sample);
    // While away (or reconnecting) the local game stands still: the others' ticks say nothing
    // about time sync.
    if (engine && !this.deps.roster.localAway && this.deps.localPlays()) {
      const bound = remoteTickBound(engine, this.deps.roster, cfg);
      if (tick < 0 || tick > bound) {
        const text = `pong tick ${tick} is beyond any tick it can be at (${bound}); time sync ignores it`;
        this.deps.report.peerThrottled(link.peerId, MessageType.Pong, text, now);
        return;
      }
      link.noteRemoteTick(tick, now);
      this.deps.advantage.addSample(link, this.deps.roster, tick, engine);
    }
  }

  /**
   * Host: a player reports another one lagging. Only a present player may report, only about
   * another present player whose inputs count, at most once per {@link LAG_REPORT_INTERVAL_MS}
   * per (reporter, player), with a lag no larger than the game is old; the event names the
   * reporter.
   */
  onLagReport(
    peerId: string,
    message: LagReportMessage,
    engine: RollbackEngine | null,
    now: number,
  ): void {
    const { roster, report } = this.deps;
    if (!roster.isHost) {
      report.peer(peerId, message.type, 'only the host receives lag reports');
      return;
    }
    const reporter = roster.byPeer(peerId);
    if (reporter?.role !== PlayerRole.Player) {
      if (!roster.hasDeparted(peerId)) {
        report.peerThrottled(peerId, message.type, 'a lag report from a non-player', now);
      }
      return;
    }
    const member = roster.countedPlayer(message.slot);
    if (!engine || member?.status !== 'present' || member === reporter) {
      report.peerThrottled(peerId, message.type, `a lag report about slot ${message.slot}`, now);
      return;
    }
    if (message.ticksBehind < 0 || message.ticksBehind > engine.currentTick + 1) {
      const text = `a lag of ${message.ticksBehind} ticks in a game at tick ${engine.currentTick}`;
      report.peerThrottled(peerId, message.type, text, now);
      return;
    }
    const key = reporter.slot * SLOT_COUNT + member.slot;
    const last = this.#lagReportAt.get(key);
    if (last !== undefined && now - last < LAG_REPORT_INTERVAL_MS) return; // de-duplicated
    this.#lagReportAt.set(key, now);
    this.deps.emitter.emit('lagReport', member.playerId, message.ticksBehind, reporter.playerId);
  }
}
