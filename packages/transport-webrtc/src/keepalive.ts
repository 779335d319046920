/**
 * Transport keepalives: when nothing was sent to a peer for `intervalMs`, a short text frame
 * goes out on the unreliable channel; a peer heard from (any frame) less recently than its
 * timeout is gone. Text frames never reach the transport's user (all rbn messages are binary),
 * so keepalives cost the session nothing. The decisions here are pure, on an injected clock.
 */

/** Prefix of a keepalive frame; the rest is the sender's keepalive interval in ms. */
const KEEPALIVE_PREFIX = 'rbn-keepalive ';
/** Longest interval a peer may announce (a hidden tab's throttled timers need ~1000). */
const MAX_ANNOUNCED_INTERVAL_MS = 10_000;
/** The interval a hidden document announces: browsers run its timers about once a second. */
export const HIDDEN_INTERVAL_MS = 1000;
/** A peer's timeout is at least this many of its announced keepalive intervals. */
const INTERVALS_PER_TIMEOUT = 4;

/** Keepalive settings of a transport (`0` turns a part off). */
export type KeepaliveSettings = {
  /** Send a keepalive after this long without sending anything. */
  readonly intervalMs: number;
  /** Report a peer not heard from for this long (or four of its announced intervals). */
  readonly timeoutMs: number;
};

/** What a transport tracks per connected peer. */
export type Liveness = {
  /** When anything last arrived from the peer. */
  lastHeardAt: number;
  /** When anything was last sent to the peer. */
  lastSentAt: number;
  /** The keepalive interval the peer last announced (0 until it announced one). */
  remoteIntervalMs: number;
};

/** What a liveness check decided for one peer. */
export type LivenessDecision = 'ok' | 'send-keepalive' | 'timed-out';

/**
 * A fresh liveness record for a peer whose connection just opened.
 * @param now - The current time.
 * @returns The record: heard from and sent to just now.
 */
export function newLiveness(now: number): Liveness {
  return { lastHeardAt: now, lastSentAt: now, remoteIntervalMs: 0 };
}

/**
 * How long a peer may stay silent: the configured timeout, stretched to four of the keepalive
 * intervals the peer announced (a hidden tab's timers run about once a second).
 * @param liveness - The peer's record.
 * @param settings - The transport's settings.
 * @returns The timeout in ms (0: off).
 */
export function peerTimeoutMs(liveness: Liveness, settings: KeepaliveSettings): number {
  if (settings.timeoutMs === 0) return 0;
  return Math.max(settings.timeoutMs, INTERVALS_PER_TIMEOUT * liveness.remoteIntervalMs);
}

/**
 * Decides what to do about one peer at a check.
 * @param liveness - The peer's record.
 * @param now - The current time.
 * @param settings - The transport's settings.
 * @returns `'timed-out'` when the peer was silent past its timeout, `'send-keepalive'` when
 * nothing was sent to it for the interval, else `'ok'`.
 */
export function livenessDecision(
  liveness: Liveness,
  now: number,
  settings: KeepaliveSettings,
): LivenessDecision {
  const timeout = peerTimeoutMs(liveness, settings);
  if (timeout > 0 && now - liveness.lastHeardAt >= timeout) return 'timed-out';
  if (settings.intervalMs > 0 && now - liveness.lastSentAt >= settings.intervalMs) {
    return 'send-keepalive';
  }
  return 'ok';
}

/**
 * How often the transport checks its peers: twice per interval (or timeout), so a keepalive
 * leaves within 1.5 intervals of the last send and a silent peer is found within 1.5 checks.
 * @param settings - The transport's settings.
 * @returns The check period in ms, or 0 when keepalives and timeouts are both off.
 */
export function checkPeriodMs(settings: KeepaliveSettings): number {
  const parts = [settings.intervalMs, settings.timeoutMs].filter((ms) => ms > 0);
  if (parts.length === 0) return 0;
  return Math.max(10, Math.min(...parts) / 2);
}

/**
 * Whether a check ran so late that this side's own event loop must have stalled (a long
 * frame, a GC, a throttled tab): frames from the peers may be waiting behind the check, so it
 * must not judge anyone silent. {@link forgiveStall} then gives every peer a fresh period.
 * @param lastCheckAt - When the previous check ran.
 * @param now - The current time.
 * @param periodMs - The check period.
 * @returns `true` when the gap is over two periods.
 */
export function checkRanLate(lastCheckAt: number, now: number, periodMs: number): boolean {
  return now - lastCheckAt > 2 * periodMs;
}

/**
 * After a stall: counts a peer as heard from at least two check periods before its timeout,
 * so it is judged only after the frames queued during the stall were read.
 * @param liveness - The peer's record (updated).
 * @param now - The current time.
 * @param settings - The transport's settings.
 * @param periodMs - The check period.
 */
export function forgiveStall(
  liveness: Liveness,
  now: number,
  settings: KeepaliveSettings,
  periodMs: number,
): void {
  const timeout = peerTimeoutMs(liveness, settings);
  if (timeout === 0) return;
  liveness.lastHeardAt = Math.max(liveness.lastHeardAt, now - timeout + 2 * periodMs);
}

/**
 * The keepalive frame: a text message, which rbn's binary traffic never is.
 * @param intervalMs - The sender's keepalive interval (what the peer should expect).
 * @returns The frame text.
 */
export function keepaliveFrame(intervalMs: number): string {
  return `${KEEPALIVE_PREFIX}${Math.round(intervalMs)}`;
}

/**
 * Reads the interval a keepalive frame announces (untrusted text from the network).
 * @param text - A text frame from the peer.
 * @returns The announced interval, clamped to 0–10000 ms, or `undefined` if it is not a
 * keepalive frame.
 */
export function announcedIntervalMs(text: string): number | undefined {
  if (text.length > 32 || !text.startsWith(KEEPALIVE_PREFIX)) return undefined;
  const ms = Number(text.slice(KEEPALIVE_PREFIX.length));
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, MAX_ANNOUNCED_INTERVAL_MS);
}

/** Whether this side's document is hidden (browsers throttle its timers), else `false`. */
export function documentHidden(): boolean {
  const doc = (globalThis as { document?: { visibilityState?: string } }).document;
  return doc?.visibilityState === 'hidden';
}
