import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { TestPeer } from './internal/test-peer.js';

// The two ways the issue says the server runs: `pnpm --filter signaling start` and the package's
// bin (`bin/rbn-signaling.js`, which runs `dist/cli.js`). Neither may rely on a dist/ someone
// built earlier: `start` builds it itself, and this file builds it before the bin tests (turbo
// builds before `test` in CI, but `vitest run --project signaling` alone does not).

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(appDir, '../..');
const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const binPath = join(appDir, manifest.bin['rbn-signaling'] ?? 'missing-bin');
const env = {
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  SHUTDOWN_TIMEOUT_MS: '2000',
};

/** Builds dist/ with the package's tsup, as `pnpm --filter signaling build` does. */
function build(): void {
  const require = createRequire(join(appDir, 'package.json'));
  const tsupManifest = require.resolve('tsup/package.json');
  const { bin } = JSON.parse(readFileSync(tsupManifest, 'utf8')) as { bin: { tsup: string } };
  const result = spawnSync(process.execPath, [join(dirname(tsupManifest), bin.tsup), '--silent'], {
    cwd: appDir,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
}

type Running = {
  child: ChildProcess;
  /** The server's WebSocket base URL and its process id, as the bin prints them. */
  url: string;
  serverPid: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Spawns a command that runs the server and waits for its `listening on` line. */
async function launch(command: string, args: string[], cwd: string): Promise<Running> {
  // A process group of its own, so a test can send the group a signal as a terminal's Ctrl-C
  // does, and clean up everything it started.
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let err = '';
  child.stdout.on('data', () => undefined);
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const { url, serverPid } = await new Promise<{ url: string; serverPid: number }>(
    (resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${err}`)), 25_000);
      child.stderr.on('data', () => {
        const match = /listening on (ws:\/\/\S+) \(pid (\d+)\)/.exec(err);
        if (match?.[1] && match[2]) {
          clearTimeout(timer);
          resolve({ url: match[1], serverPid: Number(match[2]) });
        }
      });
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`${command} ${why} before listening:\n${err}`));
      };
      child.once('error', (error) => fail(`failed (${error.message})`));
      void exited.then(() => fail('exited'));
    },
  );
  return { child, url, serverPid, stderr: () => err, exited };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills whatever of the launched group (and a server that escaped it) is still running. */
function cleanUp(running: Running): void {
  for (const pid of [-(running.child.pid ?? 0), running.serverPid]) {
    if (pid !== 0 && isRunning(Math.abs(pid))) process.kill(pid, 'SIGKILL');
  }
}

/** Serves /healthz and welcomes a peer: what "it runs" means to a user. */
async function expectServing(running: Running): Promise<TestPeer> {
  const health = await fetch(`${running.url.replace(/^ws/, 'http')}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  return (await TestPeer.join(`${running.url}/room`)).peer;
}

describe('`pnpm --filter signaling start`', () => {
  it('builds and serves on a checkout without dist/, and drains on Ctrl-C (SIGINT to its process group)', async () => {
    rmSync(join(appDir, 'dist'), { recursive: true, force: true });
    const running = await launch('pnpm', ['--filter', 'signaling', 'start'], repoRoot);
    try {
      const peer = await expectServing(running);
      process.kill(-(running.child.pid ?? 0), 'SIGINT');
      expect((await peer.closed).code).toBe(1001);
      await running.exited;
      // pnpm may exit before the server has finished draining. The server shares pnpm's stderr
      // pipe, which closes once every process holding it has exited: the server must exit soon
      // after, having drained rather than been killed.
      await new Promise<void>((resolve, reject) => {
        const stderr = running.child.stderr;
        if (!stderr || stderr.closed) {
          resolve();
          return;
        }
        const timer = setTimeout(
          () => reject(new Error('the server outlived pnpm by 20 s')),
          20_000,
        );
        stderr.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      expect(running.stderr()).toMatch(/SIGINT, draining[\s\S]*rbn-signaling: closed/);
    } finally {
      cleanUp(running);
    }
  }, 60_000);
});

describe('the start script and the bin (built)', () => {
  beforeAll(build, 60_000);

  it('hands SIGTERM sent to its shell to the server (as `docker stop` on pnpm does), which drains and exits 0', async () => {
    // pnpm runs a script with `sh -c <script>` and passes SIGTERM on to that shell; unless the
    // script execs node, the shell dies and the server is orphaned, still serving.
    const running = await launch('sh', ['-c', manifest.scripts['start'] ?? 'false'], appDir);
    try {
      const peer = await expectServing(running);
      running.child.kill('SIGTERM');
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect((await peer.closed).code).toBe(1001);
      expect(isRunning(running.serverPid)).toBe(false);
    } finally {
      cleanUp(running);
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'the package bin serves /healthz and on %s closes sockets with 1001 and exits 0',
    async (signal) => {
      const running = await launch(binPath, ['--port', '0'], appDir);
      try {
        expect(running.serverPid).toBe(running.child.pid);
        const peer = await expectServing(running);
        running.child.kill(signal);
        expect((await peer.closed).code).toBe(1001);
        expect(await running.exited).toEqual({ code: 0, signal: null });
        expect(running.stderr()).toContain(`${signal}, draining`);
      } finally {
        cleanUp(running);
      }
    },
  );
});
