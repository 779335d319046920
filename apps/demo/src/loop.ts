/** Ticks per second of the simulation. */
export const TICK_RATE = 60;
const TICK_MS = 1000 / TICK_RATE;
const MAX_TICKS_PER_FRAME = 8;

/**
 * Runs `step` at a fixed 60 Hz from real time and `render` once per animation frame. When the
 * tab is hidden (no animation frames), a slow timer keeps the simulation going.
 * @param step - Called once per tick.
 * @param render - Called once per animation frame.
 * @returns A function that stops the loop.
 */
export function startLoop(step: () => void, render: () => void): () => void {
  let last = performance.now();
  let carry = 0;
  let running = true;
  const advance = (): void => {
    const now = performance.now();
    carry += now - last;
    last = now;
    let ticks = 0;
    while (carry >= TICK_MS && ticks < MAX_TICKS_PER_FRAME) {
      step();
      carry -= TICK_MS;
      ticks++;
    }
    if (carry > TICK_MS * MAX_TICKS_PER_FRAME) carry = 0;
  };
  const frame = (): void => {
    if (!running) return;
    advance();
    render();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const background = setInterval(() => {
    if (document.hidden) advance();
  }, 50);
  return () => {
    running = false;
    clearInterval(background);
  };
}
