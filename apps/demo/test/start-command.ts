import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { DEMO_DIR } from './browser';

/** The URLs `server/start.ts` prints once it listens. */
export interface PrintedUrls {
  ready: string;
  local: string;
  online: string;
}

/** `server/start.ts` running in a child process with tsx's loader (what `pnpm serve` runs, minus the tsx CLI's signal relay). */
export interface StartedCommand {
  child: ChildProcess;
  /** Resolves with the printed URLs; rejects when the command exits or stays silent first. */
  urls: Promise<PrintedUrls>;
  /** Resolves with the exit code (or the signal) once the command has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the command printed so far, stdout then stderr. */
  output(): string;
}

const PRINTED = {
  ready: /rbn demo ready: (\S+)/,
  local: /local split-screen: (\S+)/,
  online: /online, open in two windows: (\S+)/,
};

/**
 * Spawns the demo's start script with tsx, in the demo's folder.
 * @param args - Arguments of the script (`--port 0 --dist <folder>`, …).
 * @param env - Environment variables to set on top of this process's (`undefined` removes one).
 * @param timeoutMs - How long `urls` waits for the three URLs.
 * @returns The running command.
 */
export function spawnStartCommand(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 150_000,
): StartedCommand {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['PORT', 'HOST', 'DEMO_DIST']) delete childEnv[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  // `node --import tsx` rather than the tsx CLI: the CLI is a second process that relays
  // SIGTERM to the script and SIGKILLs it (exit 143) if the script does not confirm within 30 ms,
  // which a loaded machine misses. The script, its loader and its signal handling are the same.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/start.ts', ...args], {
    cwd: DEMO_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', (error) => {
      stderr += String(error);
      done({ code: null, signal: null });
    });
  });
  const output = (): string => `${stdout}${stderr === '' ? '' : `\n[stderr]\n${stderr}`}`;
  const urls = new Promise<PrintedUrls>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no URLs printed within ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const ready = PRINTED.ready.exec(stdout)?.[1];
      const local = PRINTED.local.exec(stdout)?.[1];
      const online = PRINTED.online.exec(stdout)?.[1];
      if (ready !== undefined && local !== undefined && online !== undefined) {
        clearTimeout(timer);
        done({ ready, local, online });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`exited (code ${code}, signal ${signal}) before printing URLs:\n${output()}`));
    });
  });
  // A caller that only awaits `exited` must not see an unhandled rejection.
  urls.catch(() => undefined);
  return { child, urls, exited, output };
}
