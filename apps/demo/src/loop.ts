import type { DemoPeer, PeerTick } from './net/peer';

const MAX_FRAME_MS = 250;
const MAX_TICKS_PER_FRAME = 8;

/**
 * Calls `advance` with the real time elapsed since the last call once per animation frame, and
 * `render` after it. When the tab is hidden (no animation frames), a slow timer keeps the
 * simulation going, unless `whileHidden` is false.
 * @param advance - Called with the elapsed milliseconds (at most 250 per call).
 * @param render - Called once per animation frame.
 * @param whileHidden - Whether to keep advancing while the tab is hidden. Online, `joinOnline`
 *   does that for a hosting page (and a hidden player is away), so the online page passes false.
 * @returns A function that stops the loop.
 */
export function startLoop(
  advance: (elapsedMs: number) => void,
  render: () => void,
  whileHidden = true,
): () => void {
  let last = performance.now();
  let running = true;
  const step = (): void => {
    const now = performance.now();
    advance(Math.min(now - last, MAX_FRAME_MS));
    last = now;
  };
  const frame = (): void => {
    if (!running) return;
    step();
    render();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const background = setInterval(() => {
    if (document.hidden && whileHidden) step();
  }, 50);
  return () => {
    running = false;
    clearInterval(background);
  };
}

/**
 * Runs one peer's fixed ticks from real time, at the interval the peer asks for (a session
 * stretches it slightly while it runs ahead of the others, so the peers drift back together).
 */
export class Pacer {
  private carry = 0;

  /**
   * @param peer - The peer to tick.
   * @param onTick - Called with each tick's result.
   */
  constructor(
    private readonly peer: DemoPeer,
    private readonly onTick: (result: PeerTick) => void,
  ) {}

  /**
   * Runs the ticks due after `elapsedMs` more milliseconds.
   * @param elapsedMs - Real time since the last call.
   * @param readInput - Reads the local input byte for a tick.
   */
  advance(elapsedMs: number, readInput: () => number): void {
    const interval = this.peer.frameDelayMs();
    this.carry += elapsedMs;
    let ticks = 0;
    while (this.carry >= interval && ticks < MAX_TICKS_PER_FRAME) {
      this.onTick(this.peer.tick(readInput()));
      this.carry -= interval;
      ticks++;
    }
    if (this.carry > interval * MAX_TICKS_PER_FRAME) this.carry = 0;
  }
}
