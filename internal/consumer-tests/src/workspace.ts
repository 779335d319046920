import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (three levels above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A published library package of the workspace. */
export type LibraryPackage = {
  /** The npm name, e.g. `@rbn/session`. */
  name: string;
  /** The folder name under `packages/`, e.g. `session`. */
  folder: string;
  /** Absolute path of the package folder. */
  dir: string;
  /** The parsed `package.json`. */
  manifest: PackageManifest;
};

/** The parts of a `package.json` the harness reads. */
export type PackageManifest = {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
};

/**
 * Reads a `package.json`.
 * @param dir - The package folder.
 * @returns The parsed manifest.
 */
export function readManifest(dir: string): PackageManifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageManifest;
}

/**
 * Lists the public library packages (`packages/*` that are not private), in folder order.
 * @returns One entry per package.
 */
export function libraryPackages(): LibraryPackage[] {
  const base = join(repoRoot, 'packages');
  return readdirSync(base)
    .filter((folder) => existsSync(join(base, folder, 'package.json')))
    .sort()
    .map((folder) => {
      const dir = join(base, folder);
      const manifest = readManifest(dir);
      return { name: manifest.name, folder, dir, manifest };
    })
    .filter((p) => p.manifest.private !== true);
}

/**
 * Throws unless every library package has been built (`dist/index.js` and `dist/index.d.ts`).
 * The consumer tests pack the built output, as `pnpm release` does.
 */
export function assertLibrariesBuilt(): void {
  const missing = libraryPackages().filter(
    (p) =>
      !existsSync(join(p.dir, 'dist', 'index.js')) ||
      !existsSync(join(p.dir, 'dist', 'index.d.ts')),
  );
  if (missing.length > 0) {
    throw new Error(
      `These packages are not built: ${missing.map((p) => p.name).join(', ')}. ` +
        'Run `pnpm build` first (`pnpm test` builds them before this suite).',
    );
  }
}

/**
 * Lists every workspace package folder, from the globs of `pnpm-workspace.yaml` (a folder glob
 * such as `packages/*`, or a folder).
 * @returns Absolute folders holding a `package.json`, in the order of the globs.
 */
export function workspaceDirs(): string[] {
  const yaml = readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8');
  const globs = /^packages:\n((?:\s+-.*\n?)+)/m.exec(yaml)?.[1] ?? '';
  const dirs: string[] = [];
  for (const line of globs.split('\n')) {
    const glob = /^\s+-\s+['"]?([^'"\s]+)/.exec(line)?.[1];
    if (glob === undefined) continue;
    const folders = glob.endsWith('/*')
      ? readdirSync(join(repoRoot, glob.slice(0, -2)))
          .sort()
          .map((d) => join(repoRoot, glob.slice(0, -2), d))
      : [join(repoRoot, glob)];
    dirs.push(...folders.filter((d) => existsSync(join(d, 'package.json'))));
  }
  return dirs;
}
