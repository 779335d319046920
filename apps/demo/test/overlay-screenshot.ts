/**
 * Takes the README's screenshots: docs/overlay.png, the local split-screen at 1366×900 with
 * the network overlay and P1's confirmed-state ghosts after a few seconds of scripted play on
 * a laggy, lossy simulated network; docs/phone.png, the same page on a 390×844 touch screen
 * with the touch controls, P1 steered by its stick.
 * Run: `pnpm --filter @rbn/demo screenshot`.
 */
import { join } from 'node:path';
import { DEMO_DIR, startHarness } from './browser';

const harness = await startHarness();
try {
  const { page } = await harness.open('/');
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.waitForFunction('window.rbnDemo?.peers?.[1]?.state === "Playing"');
  // Move the sliders as a visitor would: 90 ms latency, 25 ms jitter, 8 % loss.
  await page.evaluate(() => {
    const settings: [string, string][] = [
      ['latency', '90'],
      ['jitter', '25'],
      ['loss', '8'],
    ];
    for (const [name, value] of settings) {
      const input = document.querySelector<HTMLInputElement>(`input[name="${name}"]`);
      if (!input) throw new Error(`no ${name} slider`);
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
  });
  await page.locator('.peer[data-peer="p1"] input[name="show-confirmed"]').check();
  const moves: [string[], number][] = [
    [['KeyD', 'ArrowLeft'], 700],
    [['KeyA', 'ArrowRight'], 500],
    [['KeyS', 'ArrowUp'], 400],
    [['KeyW', 'ArrowDown'], 500],
    [['KeyD', 'ArrowLeft'], 400],
    [['KeyA', 'ArrowRight'], 600],
    [['KeyS', 'ArrowDown'], 300],
    [['KeyD', 'ArrowLeft'], 450],
  ];
  for (const [keys, ms] of moves) {
    for (const key of keys) await page.keyboard.down(key);
    await page.waitForTimeout(ms);
    for (const key of keys) await page.keyboard.up(key);
  }
  // Wait until everyone is on the platform, then change input on both sides: the views roll
  // back a moment later.
  await page.waitForFunction(
    'window.rbnDemo.peers.every((p) => p.players.length === 2 && p.players.every((q) => q.phase === 1))',
    undefined,
    { timeout: 10_000 },
  );
  await page.keyboard.down('KeyW');
  await page.keyboard.down('ArrowUp');
  await page.waitForTimeout(190);
  const path = join(DEMO_DIR, 'docs', 'overlay.png');
  await page.screenshot({ path });
  console.log(`wrote ${path}`);

  const phone = await harness.browser.newContext({
    viewport: { width: 390, height: 844 },
    hasTouch: true,
    isMobile: true,
  });
  const small = await phone.newPage();
  await small.goto(harness.url);
  await small.waitForFunction(
    'window.rbnDemo?.peers?.[0]?.players.filter((p) => p.phase === 1).length === 2',
  );
  const stick = await small.locator('.touch-stick').boundingBox();
  if (!stick) throw new Error('no touch stick');
  const y = stick.y + stick.height / 2;
  await small.mouse.move(stick.x + stick.width / 2, y);
  await small.mouse.down();
  await small.mouse.move(stick.x + stick.width - 6, y, { steps: 4 });
  await small.waitForTimeout(250);
  const phonePath = join(DEMO_DIR, 'docs', 'phone.png');
  await small.screenshot({ path: phonePath });
  await small.mouse.up();
  console.log(`wrote ${phonePath}`);
} finally {
  await harness.close();
}
