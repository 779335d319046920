import type { RollbackEngine } from '@rbn/core';
import type { FrameAdvantage } from './frame-advantage';
import type { SessionConfig, TickResult } from './types';

/**
 * A spectator's stream delay. A spectator receives confirmed inputs only, and they arrive in
 * bursts (a heartbeat's worth at a time, later when a packet is lost); run in lockstep with
 * them, it would show a stall whenever a burst is late. Instead it plays a small buffer behind
 * the newest tick it could simulate, and adjusts its speed to keep that buffer: an extra tick
 * per frame while the buffer is well above the target, a held frame now and then while it is
 * below. It still never predicts, so it never rolls back.
 */
export class SpectatorStream {
  #warm = false;
  #frame = 0;

  /** The buffer the spectator keeps, in ticks: a heartbeat of inputs and two ticks of jitter. */
  static target(cfg: SessionConfig): number {
    return cfg.inputHeartbeatTicks + 2;
  }

  /** Starts over (a new game or a loaded state): fill the buffer before playing. */
  reset(): void {
    this.#warm = false;
  }

  /**
   * How many ticks to simulate this frame.
   * @returns 0 (hold: filling or keeping the buffer), 1, or 2 (catching up).
   */
  ticksThisFrame(engine: RollbackEngine, cfg: SessionConfig): number {
    const target = SpectatorStream.target(cfg);
    const complete = engine.inputsCompleteThrough;
    const ready =
      complete === Number.POSITIVE_INFINITY ? target : complete - engine.currentTick + 1;
    this.#frame++;
    if (!this.#warm) {
      if (ready < target) return 0;
      this.#warm = true;
    }
    if (ready <= 0) return 1; // the buffer ran dry: the engine reports the stall
    if (ready > 2 * target) return 2;
    // Below the target: play a quarter slower until it refills.
    if (ready < target && this.#frame % 4 === 0) return 0;
    return 1;
  }

  /**
   * Plays this frame's ticks ({@link SpectatorStream.ticksThisFrame}) into `result`.
   * @param engine - The spectator's engine (it never predicts).
   * @param cfg - The room's settings.
   * @param result - The frame's tick result, filled in.
   * @param advantage - Told when an extra tick caught up.
   */
  advance(
    engine: RollbackEngine,
    cfg: SessionConfig,
    result: TickResult,
    advantage: FrameAdvantage,
  ): void {
    const ticks = this.ticksThisFrame(engine, cfg);
    result.tick = engine.currentTick;
    for (let i = 0; i < ticks; i++) {
      const r = engine.tick();
      if (r.status !== 'advanced') {
        result.stalled = i === 0;
        return;
      }
      result.tick = r.tick;
      result.advanced = true;
      if (i > 0) advantage.caughtUp();
    }
  }
}
