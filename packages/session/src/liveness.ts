import type { RollbackEngine } from '@rbn/core';
import type { Tick } from '@rbn/protocol';
import { SLOT_COUNT } from './internal/link';
import type { LinkTable } from './links';
import type { Member, Roster } from './roster';
import type { SessionConfig } from './types';

/** The shortest time between two lag reports about one player. */
export const LAG_REPORT_INTERVAL_MS = 1000;

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
  for (const link of links.list) {
    const silent = now - link.lastRecvAt;
    const member = roster.byPeer(link.peerId);
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
