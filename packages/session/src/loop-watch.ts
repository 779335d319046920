/**
 * A gap since the last `tick()` shorter than this is a frame late, not a stopped loop; a
 * message that arrives later than this after a tick starts the count.
 */
const LATE_FRAME_MS = 250;

/**
 * Tells a host whose game loop stopped while its page lives. Its message handler still runs:
 * it relays, answers and acknowledges, so its links look alive and nobody counts it as lost,
 * but its own inputs stop and every other player waits for them, for good. (A frozen or
 * stalled page runs neither, and its links go silent.) A loop that threw, or one that runs on
 * animation frames in a hidden tab, does this.
 *
 * It counts from the first message that arrives more than {@link LATE_FRAME_MS} after the last
 * tick; messages still arriving `disconnectTimeout` later without a tick in between mean the
 * loop stopped. A page that stalled whole (no tick and no message) is not counted: its first
 * message after the stall only starts the count, and its next tick ends it. Nor is a loop that
 * has not ticked the running game yet (a game that started by itself while the app was still
 * loading): it has not stopped, it has not started.
 */
export class LoopWatch {
  #lastTickAt = 0;
  /** When the first message without a recent tick arrived (-1: none since the last tick). */
  #untickedSince = -1;
  /** Whether `tick()` ran while the game ran, since the room was entered. */
  #armed = false;

  /**
   * `tick()` ran.
   * @param playing - Whether the game runs.
   */
  ticked(now: number, playing: boolean): void {
    this.#lastTickAt = now;
    this.#untickedSince = -1;
    if (playing) this.#armed = true;
  }

  /** The room was left: a next room's game counts from its own first tick. */
  reset(): void {
    this.#armed = false;
    this.#untickedSince = -1;
  }

  /**
   * A message arrived while we host a running game.
   * @returns Whether the loop has stopped: messages kept arriving for `timeoutMs` without a tick.
   */
  stopped(now: number, timeoutMs: number): boolean {
    if (!this.#armed || now - this.#lastTickAt < LATE_FRAME_MS) return false;
    if (this.#untickedSince < 0) this.#untickedSince = now;
    return now - this.#untickedSince >= timeoutMs;
  }
}
