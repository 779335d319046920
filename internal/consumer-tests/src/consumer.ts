import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Tarballs } from './pack';
import { repoRoot } from './workspace';

/** What a throwaway consumer project installs and contains. */
export type ConsumerOptions = {
  /** A short name, used in the project's `package.json` and its temp folder name. */
  name: string;
  /** The `@rbn/*` packages the project depends on directly, installed from `tarballs`. */
  install: readonly string[];
  /** Registry packages the project also depends on (e.g. `{ '@types/node': '^20' }`). */
  registryDependencies?: Readonly<Record<string, string>>;
  /** Every packed library; the `@rbn/*` dependencies of `install` resolve to these too. */
  tarballs: Tarballs;
  /** Files to write, by path relative to the project root. */
  files: Readonly<Record<string, string>>;
  /**
   * Skip the install scripts of dependencies (`npm install --ignore-scripts`), as pnpm 10 does by
   * default. @default false
   */
  ignoreScripts?: boolean;
  /** The folder to create the project in (outside the workspace). @default the OS temp dir */
  parent?: string;
};

/** The npm cache the consumer installs use: outside every consumer, reused between runs. */
export const npmCache = join(repoRoot, 'node_modules', '.cache', 'rbn-consumer-npm');

/**
 * Environment for child processes that act as a user: without the `npm_*` variables that
 * pnpm/turbo set for scripts (they would leak workspace settings into npm), except the registry.
 * @returns A copy of `process.env` without them.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && key.toLowerCase() !== 'npm_config_registry') continue;
    env[key] = value;
  }
  return env;
}

/**
 * Creates a project in a fresh folder under `parent` or the OS temp dir (outside the workspace, so nothing
 * resolves from the monorepo) and runs `npm install` there: the chosen `@rbn/*` packages come
 * from the tarballs (their `@rbn/*` dependencies too, through `overrides`), everything else from
 * the registry, as a user gets it.
 * @param options - What to install and which files to write.
 * @returns The project folder.
 */
export async function createConsumer(options: ConsumerOptions): Promise<string> {
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), `rbn-consumer-${options.name}-`));
  const fileSpec = (name: string): string => {
    const tarball = options.tarballs.get(name);
    if (tarball === undefined) throw new Error(`no tarball for ${name}`);
    return `file:${tarball}`;
  };
  const dependencies: Record<string, string> = { ...options.registryDependencies };
  for (const name of options.install) dependencies[name] = fileSpec(name);
  const overrides: Record<string, string> = {};
  for (const name of options.tarballs.keys()) {
    if (!options.install.includes(name)) overrides[name] = fileSpec(name);
  }
  const manifest = {
    name: `rbn-consumer-${options.name}`,
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies,
    overrides,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [path, text] of Object.entries(options.files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  const flags = [
    '--prefer-offline',
    // A clean CI machine fetches @types/node and Vite from the registry: ride out a hiccup.
    '--fetch-retries=5',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    '--cache',
    npmCache,
  ];
  if (options.ignoreScripts === true) flags.push('--ignore-scripts');
  await run('npm', ['install', ...flags], dir);
  return dir;
}

/**
 * Runs a command as a user would in `cwd` and returns its standard output. Asynchronous, so a
 * long install or build never blocks the test worker (vitest's worker must keep answering its
 * runner while a child runs; a synchronous call of over a minute on a loaded machine fails the
 * run with "Timeout calling onTaskUpdate").
 * @param command - The executable.
 * @param args - Its arguments.
 * @param cwd - The working folder.
 * @returns Everything the command printed on stdout.
 * @throws Error with the command's stdout and stderr when it exits non-zero.
 */
export function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: userEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${stdout}\n${stderr || error.message}`,
            ),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}
