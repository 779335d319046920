import { checkRange } from './internal/check-range';
import type { Tick } from '@rbn/protocol';

/** Settings of a {@link TimeSync} estimator. */
export type TimeSyncOptions = {
  /** Simulation ticks per second, to turn RTT milliseconds into frames. @default 60 */
  tickRate?: number;
  /**
   * Width in bits of the tick numbers given to the estimator (16 to 32). Tick differences are
   * taken modulo 2^bits, so ticks that wrap around (a 16-bit field, or 32-bit ticks past 2^32)
   * still compare correctly while peers are less than 2^(bits-1) ticks apart.
   * @default 32
   */
  tickBits?: number;
  /** Samples older than this many local ticks before the newest sample are not averaged. @default 60 */
  windowTicks?: number;
  /** Most samples kept per peer (the oldest is overwritten). @default 32 */
  maxSamples?: number;
  /** Being ahead by up to this many frames needs no correction (a dead band for jitter). @default 1 */
  thresholdFrames?: number;
  /** Tick stretch per frame ahead beyond the threshold (0.02: 2 % per frame). @default 0.02 */
  stretchPerFrame?: number;
  /** The largest frame-delay multiplier recommended (1.1: ticks at most 10 % longer). @default 1.1 */
  maxMultiplier?: number;
};

type ResolvedTimeSyncOptions = Required<TimeSyncOptions>;

type PeerSamples = {
  /** Local-frames-ahead samples (ring buffer). */
  readonly ahead: Float64Array;
  /** The local tick of each sample. */
  readonly at: Float64Array;
  count: number;
  next: number;
  /** The remote's own latest frames-ahead report, or NaN if none. */
  remoteView: number;
  /** The estimate; NaN before the first sample or report. Valid unless {@link PeerSamples.stale}. */
  estimate: number;
  /**
   * Whether samples changed since the estimate was last computed: it is recomputed when read,
   * not on every sample (a host takes one from every input message of every peer).
   */
  stale: boolean;
};

/**
 * The signed difference `a - b` of two ticks taken modulo 2^bits: correct across wraparound as
 * long as the true difference is less than 2^(bits-1) in magnitude.
 * @param a - A tick.
 * @param b - Another tick.
 * @param bits - Width of the tick field, 16 to 32. @default 32
 * @returns `a - b` in the range [-2^(bits-1), 2^(bits-1)).
 * @example
 * ```ts
 * tickDiff(3, 0xfffffffd); // 6: tick 3 is 6 ticks after tick 2^32 - 3
 * tickDiff(2, 0xfffe, 16); // 4
 * ```
 */
export function tickDiff(a: Tick, b: Tick, bits = 32): number {
  const direct = a - b;
  // The common case: no wrap between the two, so the plain difference already is the answer.
  const half = bits === 32 ? 0x80000000 : 2 ** (bits - 1);
  if (direct >= -half && direct < half) return direct;
  const modulus = half * 2;
  let d = direct % modulus;
  if (d < 0) d += modulus;
  return d >= half ? d - modulus : d;
}

/**
 * Estimates how many frames this peer is ahead of each remote peer, and recommends how much to
 * slow down so the peer that runs ahead gives the others time to catch up (then rollbacks are
 * shared evenly instead of landing on the peer that is behind). This is the GGPO/GGRS
 * "frame advantage" idea, with the recommendation expressed as a frame-delay multiplier for the
 * game loop (see {@link createFrameScheduler}) rather than whole frames to skip.
 *
 * Pure: no timers and no clock. Feed it a sample whenever a message tells you a remote tick
 * (a pong, or better, every received input message, whose newest tick the remote had just
 * simulated): the round-trip time, the remote tick and the local tick when it arrived. The
 * remote is estimated to be `rtt / 2` further along by now, so the sample is
 * `localTick - (remoteTick + rtt/2 in frames)`. Samples are averaged over the last
 * `windowTicks` local ticks. If the remote also reports its own frames-ahead value, the
 * estimate is the symmetric `(local - remote) / 2`, which cancels an asymmetric path.
 *
 * @example
 * ```ts
 * const timeSync = new TimeSync({ tickRate: 60 });
 * // on each pong from a peer:
 * timeSync.addSample(peerId, rttMs, pong.tick, engine.currentTick);
 * scheduler.frameDelayMultiplier = timeSync.frameDelayMultiplier;
 * ```
 */
export class TimeSync {
  readonly #options: ResolvedTimeSyncOptions;
  readonly #peers = new Map<string, PeerSamples>();
  readonly #msPerFrame: number;

  /**
   * @param options - Settings; see {@link TimeSyncOptions}.
   * @throws RbnError `'INVALID_CONFIG'` naming a bad option.
   */
  constructor(options?: TimeSyncOptions) {
    const o = options ?? {};
    this.#options = {
      tickRate: checkRange('tickRate', o.tickRate ?? 60, 1, 1000, false),
      tickBits: checkRange('tickBits', o.tickBits ?? 32, 16, 32, true),
      windowTicks: checkRange('windowTicks', o.windowTicks ?? 60, 1, 1_000_000, true),
      maxSamples: checkRange('maxSamples', o.maxSamples ?? 32, 1, 4096, true),
      thresholdFrames: checkRange('thresholdFrames', o.thresholdFrames ?? 1, 0, 1000, false),
      stretchPerFrame: checkRange('stretchPerFrame', o.stretchPerFrame ?? 0.02, 0, 1, false),
      maxMultiplier: checkRange('maxMultiplier', o.maxMultiplier ?? 1.1, 1, 2, false),
    };
    this.#msPerFrame = 1000 / this.#options.tickRate;
  }

  /**
   * Adds one measurement of a remote peer's tick.
   * @param peerId - The remote peer.
   * @param rttMs - The current round-trip time to it, in milliseconds.
   * @param remoteTick - The tick the remote reported (its current tick when it sent the message).
   * @param localTick - This peer's current tick when the message arrived.
   */
  addSample(peerId: string, rttMs: number, remoteTick: Tick, localTick: Tick): void {
    if (!Number.isFinite(rttMs) || !Number.isFinite(remoteTick) || !Number.isFinite(localTick)) {
      return;
    }
    const peer = this.#peer(peerId);
    const bits = this.#options.tickBits;
    const transitFrames = Math.max(0, rttMs) / 2 / this.#msPerFrame;
    const ahead = tickDiff(localTick, remoteTick, bits) - transitFrames;
    const capacity = peer.ahead.length;
    peer.ahead[peer.next] = ahead;
    peer.at[peer.next] = localTick;
    peer.next = (peer.next + 1) % capacity;
    if (peer.count < capacity) peer.count++;
    peer.stale = true;
  }

  /**
   * Records the frames-ahead value the remote peer reports about itself (relative to this peer),
   * if the session exchanges it. Used with this peer's own samples for a symmetric estimate.
   * @param peerId - The remote peer.
   * @param framesAhead - How many frames the remote says it is ahead of this peer.
   */
  setRemoteView(peerId: string, framesAhead: number): void {
    if (!Number.isFinite(framesAhead)) return;
    const peer = this.#peer(peerId);
    peer.remoteView = framesAhead;
    peer.stale = true;
  }

  /**
   * Forgets a peer (it left, or is a spectator nobody waits for).
   * @param peerId - The remote peer.
   */
  removePeer(peerId: string): void {
    this.#peers.delete(peerId);
  }

  /**
   * How many frames this peer is ahead of a remote peer (negative: behind).
   * @param peerId - The remote peer.
   * @returns The averaged estimate, or `undefined` before the first sample.
   */
  framesAhead(peerId: string): number | undefined {
    const peer = this.#peers.get(peerId);
    if (peer === undefined) return undefined;
    const estimate = this.#estimateOf(peer);
    return Number.isNaN(estimate) ? undefined : estimate;
  }

  /** The largest {@link TimeSync.framesAhead} over all peers with samples (0 with none): how far this peer leads the slowest. */
  get maxFramesAhead(): number {
    let max = 0;
    let any = false;
    for (const peer of this.#peers.values()) {
      const estimate = this.#estimateOf(peer);
      if (Number.isNaN(estimate)) continue;
      if (!any || estimate > max) max = estimate;
      any = true;
    }
    return any ? max : 0;
  }

  /**
   * The recommended frame-delay multiplier: 1 while this peer is at most `thresholdFrames` ahead
   * of every peer, otherwise `1 + stretchPerFrame × (framesAhead − threshold)`, capped at
   * `maxMultiplier`. Give it to the game loop ({@link FrameScheduler.frameDelayMultiplier}):
   * ticks get that much longer, so the peer that is ahead slows until the others catch up.
   */
  get frameDelayMultiplier(): number {
    const o = this.#options;
    const excess = this.maxFramesAhead - o.thresholdFrames;
    if (!(excess > 0)) return 1;
    return Math.min(o.maxMultiplier, 1 + excess * o.stretchPerFrame);
  }

  #peer(peerId: string): PeerSamples {
    let peer = this.#peers.get(peerId);
    if (peer === undefined) {
      const n = this.#options.maxSamples;
      peer = {
        ahead: new Float64Array(n),
        at: new Float64Array(n),
        count: 0,
        next: 0,
        remoteView: Number.NaN,
        estimate: Number.NaN,
        stale: false,
      };
      this.#peers.set(peerId, peer);
    }
    return peer;
  }

  /** The peer's estimate, recomputed first if samples changed since it was last computed. */
  #estimateOf(peer: PeerSamples): number {
    if (peer.stale) {
      peer.stale = false;
      this.#update(peer);
    }
    return peer.estimate;
  }

  /** Recomputes the estimate from the samples taken within the window of the newest one. */
  #update(peer: PeerSamples): void {
    if (peer.count === 0) {
      // Only the remote's view so far: it is ahead of us by what we are behind it.
      peer.estimate = -peer.remoteView;
      return;
    }
    const capacity = peer.ahead.length;
    const newestIndex = (peer.next - 1 + capacity) % capacity;
    const newest = peer.at[newestIndex]!;
    const { windowTicks, tickBits } = this.#options;
    let sum = 0;
    let n = 0;
    for (let k = 0; k < peer.count; k++) {
      const i = (newestIndex - k + capacity) % capacity;
      // The newest sample always counts; older ones while within the window.
      if (k > 0 && tickDiff(newest, peer.at[i]!, tickBits) > windowTicks) break;
      sum += peer.ahead[i]!;
      n++;
    }
    const local = sum / n;
    peer.estimate = Number.isNaN(peer.remoteView) ? local : (local - peer.remoteView) / 2;
  }
}
