import { checkRange } from './internal/check-range';
import { defaultNow } from './internal/clock';

/** Settings of {@link createFrameScheduler}. */
export type FrameSchedulerOptions = {
  /** Simulation ticks per second at multiplier 1. @default 60 */
  tickRate?: number;
  /** The time source, in milliseconds. @default performance.now */
  now?: () => number;
  /** Most ticks one frame may run while catching up. @default 4 */
  maxTicksPerFrame?: number;
  /**
   * Most ticks owed that are kept; time beyond that (a background tab resuming after minutes)
   * is discarded and counted in {@link FrameScheduler.droppedTicks}, so the loop never runs an
   * unbounded catch-up. @default tickRate × 10 (ten seconds)
   */
  maxBacklogTicks?: number;
};

/**
 * Tells a game loop how many ticks to run each animation frame: time accumulates at `tickRate`
 * ticks per second divided by {@link FrameScheduler.frameDelayMultiplier}, at most `maxTicksPerFrame` ticks run
 * per frame, and the rest is reported as {@link FrameScheduler.backlog} instead of freezing the page.
 */
export interface FrameScheduler {
  /**
   * Call once per animation frame.
   * @param now - The current time in milliseconds. @default the scheduler's clock
   * @returns How many ticks to run now (0 to `maxTicksPerFrame`).
   */
  frame(now?: number): number;
  /**
   * Tick duration multiplier (≥ 1 slows the simulation, e.g. from
   * {@link TimeSync.frameDelayMultiplier}; < 1 speeds it up). Values from 0.25 to 4. @default 1
   */
  frameDelayMultiplier: number;
  /** The current tick duration in milliseconds (`1000 / tickRate × frameDelayMultiplier`). */
  readonly tickIntervalMs: number;
  /** Whole ticks owed after the last {@link FrameScheduler.frame} (time that passed but was not yet run). */
  readonly backlog: number;
  /** Ticks discarded so far because the backlog exceeded `maxBacklogTicks`. */
  readonly droppedTicks: number;
  /** Forgets the accumulated time and restarts from `now` (e.g. after a pause). */
  reset(now?: number): void;
}

/**
 * Creates a {@link FrameScheduler}: a fixed-timestep accumulator whose tick duration follows
 * the time-sync multiplier, with bounded catch-up.
 * @param options - Settings; see {@link FrameSchedulerOptions}.
 * @returns The scheduler; its clock starts at creation.
 * @throws RbnError `'INVALID_CONFIG'` naming a bad option.
 * @example
 * ```ts
 * const scheduler = createFrameScheduler({ tickRate: 60 });
 * function loop(time: number) {
 *   scheduler.frameDelayMultiplier = timeSync.frameDelayMultiplier;
 *   for (let n = scheduler.frame(time); n > 0; n--) session.tick(readInput());
 *   render();
 *   requestAnimationFrame(loop);
 * }
 * requestAnimationFrame(loop);
 * ```
 */
export function createFrameScheduler(options?: FrameSchedulerOptions): FrameScheduler {
  const tickRate = checkRange('tickRate', options?.tickRate ?? 60, 1, 1000, false);
  const maxPerFrame = checkRange('maxTicksPerFrame', options?.maxTicksPerFrame ?? 4, 1, 1000, true);
  const maxBacklog = checkRange(
    'maxBacklogTicks',
    options?.maxBacklogTicks ?? Math.ceil(tickRate * 10),
    0,
    1_000_000,
    true,
  );
  const clock = options?.now ?? defaultNow();
  const baseMs = 1000 / tickRate;
  let multiplier = 1;
  let last = clock();
  /** Milliseconds of simulation time owed. */
  let acc = 0;
  let backlog = 0;
  let dropped = 0;

  return {
    frame(now?: number): number {
      const t = now ?? clock();
      const elapsed = t - last;
      if (Number.isFinite(t)) last = t;
      // A clock going backwards or a bad reading adds nothing.
      if (elapsed > 0 && Number.isFinite(elapsed)) acc += elapsed;
      const interval = baseMs * multiplier;
      const cap = (maxBacklog + maxPerFrame) * interval;
      if (acc > cap) {
        dropped += Math.floor((acc - cap) / interval);
        acc = cap;
      }
      const ticks = Math.min(Math.floor(acc / interval), maxPerFrame);
      acc -= ticks * interval;
      backlog = Math.floor(acc / interval);
      return ticks;
    },
    get frameDelayMultiplier(): number {
      return multiplier;
    },
    set frameDelayMultiplier(value: number) {
      multiplier = checkRange('frameDelayMultiplier', value, 0.25, 4, false);
    },
    get tickIntervalMs(): number {
      return baseMs * multiplier;
    },
    get backlog(): number {
      return backlog;
    },
    get droppedTicks(): number {
      return dropped;
    },
    reset(now?: number): void {
      const t = now ?? clock();
      if (Number.isFinite(t)) last = t;
      acc = 0;
      backlog = 0;
    },
  };
}
