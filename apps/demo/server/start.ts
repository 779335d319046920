/**
 * `pnpm --filter @rbn/demo start` (after `vite build`): serves the built demo and runs the
 * signaling server behind it, on one port, and prints the URLs to open.
 *
 * Options: `--port <n>` (or `PORT`, default 8080; the next free port is taken when it is busy;
 * 0 picks a free one), `--host <address>` (or `HOST`, default 127.0.0.1; use 0.0.0.0 to play
 * across machines), `--dist <folder>` (or `DEMO_DIST`, default the package's `dist/`).
 * SIGINT or SIGTERM stops both servers and exits with 0.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from './server';
import type { DemoServer } from './server';
import { startSignaling } from './signaling';
import { parseStartOptions } from './start-options';
import type { StartOptions } from './start-options';

/** How long open signaling sockets may take to close once asked to stop. */
const SHUTDOWN_TIMEOUT_MS = 2_000;
/** How many ports after the first one are tried when it is busy. */
const PORT_ATTEMPTS = 20;

function fail(message: string): never {
  console.error(`rbn demo: ${message}`);
  process.exit(1);
}

let options: StartOptions;
try {
  options = parseStartOptions(
    process.argv.slice(2),
    process.env,
    fileURLToPath(new URL('../dist', import.meta.url)),
  );
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const { port: firstPort, host, dist } = options;
const index = await stat(join(dist, 'index.html')).catch(() => undefined);
if (!index?.isFile()) {
  fail(
    `no demo build in ${dist} (index.html is missing): run \`pnpm --filter @rbn/demo build\` first, or pass --dist <folder>`,
  );
}

const signaling = await startSignaling({ shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
let demo: DemoServer | undefined;
for (let port = firstPort; demo === undefined; port++) {
  try {
    demo = await startDemoServer({ root: dist, port, host, signalingPort: signaling.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' || firstPort === 0 || port - firstPort >= PORT_ATTEMPTS) {
      await signaling.close();
      fail(`cannot listen on ${host}:${port}: ${String(error)}`);
    }
  }
}

const url = demo.url;
console.log('');
console.log(`  rbn demo ready: ${url}`);
console.log(`  local split-screen: ${url}`);
console.log(`  online, open in two windows: ${url}?room=lobby&next=2`);
console.log('');

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void Promise.all([demo?.close(), signaling.close()]).then(
    () => process.exit(0),
    (error: unknown) => fail(`shutdown failed: ${String(error)}`),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
