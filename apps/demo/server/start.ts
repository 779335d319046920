/**
 * `pnpm --filter @rbn/demo start` (after `vite build`): serves the built demo and runs the
 * signaling server behind it, on one port, and prints the URL to open.
 *
 * Options: `--port <n>` (or `PORT`, default 8080; the next free port is taken when it is busy),
 * `--host <address>` (or `HOST`, default 127.0.0.1; use 0.0.0.0 to play across machines).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDemoServer } from './server';
import type { DemoServer } from './server';
import { startSignaling } from './signaling';

const { values } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string' } },
});
const firstPort = Number(values.port ?? process.env['PORT'] ?? 8080);
const host = values.host ?? process.env['HOST'] ?? '127.0.0.1';
const root = fileURLToPath(new URL('../dist', import.meta.url));

const signaling = await startSignaling();
let demo: DemoServer | undefined;
for (let port = firstPort; demo === undefined; port++) {
  try {
    demo = await startDemoServer({
      root,
      port,
      host,
      signalingPort: signaling.port,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' || port - firstPort >= 20 || firstPort === 0) throw error;
  }
}

const url = demo.url;
console.log('');
console.log(`  rbn demo ready: ${url}`);
console.log(`  local split-screen: ${url}`);
console.log(`  online, open in two windows: ${url}?room=lobby&next=2`);
console.log('');

const stop = (): void => {
  void Promise.all([demo?.close(), signaling.close()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
