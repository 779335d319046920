import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where every run of the consumer tests keeps its temporary files: one folder per run, named
 * after the process id of the run (`<os tmp>/rbn-consumer-tests/<pid>-…`). Outside the workspace,
 * so nothing in a throwaway project resolves from the monorepo's node_modules.
 */
export const scratchBase = join(tmpdir(), 'rbn-consumer-tests');

/**
 * Whether a process is alive (signal 0 checks without sending anything).
 * @param pid - The process id.
 * @returns False once the process has exited.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the folders of earlier runs whose process is gone: a run that was interrupted (Ctrl-C,
 * or turbo stopping it) never got to its own cleanup, so the next run does it.
 * @returns The folders it deleted.
 */
export function sweepInterruptedRuns(): string[] {
  if (!existsSync(scratchBase)) return [];
  const swept: string[] = [];
  for (const name of readdirSync(scratchBase)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && isAlive(pid)) continue;
    rmSync(join(scratchBase, name), { recursive: true, force: true });
    swept.push(name);
  }
  return swept;
}

/**
 * Creates this run's folder for temporary files.
 * @returns Its path.
 */
export function createRunFolder(): string {
  mkdirSync(scratchBase, { recursive: true });
  const dir = join(scratchBase, `${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir);
  return dir;
}
