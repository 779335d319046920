import { chromium } from 'playwright-core';
import { startDemoServer } from './server/server';
const demo = await startDemoServer({ root: './dist', port: 0 });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
page.on('console', (m) => console.log('console', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror', e.message));
await page.goto(demo.url + (process.argv[2] ?? ''));
const info = () =>
  page.evaluate(() =>
    JSON.stringify(
      window.rbnDemo?.peers.map((p) => [
        p.playerId,
        p.state,
        p.currentTick,
        p.confirmedTick,
        p.confirmedGameTick,
        p.hashAt(p.confirmedGameTick - 5),
        p.counters,
      ]),
    ),
  );
await page.waitForTimeout(1000);
console.log(await info());
await page.keyboard.down('KeyD');
await page.keyboard.down('ArrowLeft');
await page.waitForTimeout(1500);
await page.keyboard.press('Space');
await page.keyboard.up('KeyD');
console.log(await info());
if (process.argv[3]) {
  await page.evaluate(() => (window.rbnDemo as any).lateJoin());
  await page.evaluate(() => (window.rbnDemo as any).addSpectator());
  await page.waitForTimeout(2000);
  console.log(await info());
  await page.evaluate(() => window.rbnDemo?.induceDesync(1));
  await page.waitForTimeout(2000);
}
console.log(await info());
await page.screenshot({ path: '/tmp/demo-scratch/shot.png' });
await browser.close();
await demo.close();
