import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { libraryPackages, repoRoot } from './workspace';

/** Tarballs of the library packages, by package name. */
export type Tarballs = ReadonlyMap<string, string>;

/**
 * Packs every library package with `pnpm pack` (which applies `publishConfig` and turns
 * `workspace:` ranges into real versions), exactly as `pnpm publish` would upload them.
 * @param destination - An existing folder for the `.tgz` files.
 * @returns The tarball path of each package, by name.
 */
export function packLibraries(destination: string): Tarballs {
  execFileSync(
    'pnpm',
    ['-r', '--filter', './packages/*', 'pack', '--pack-destination', destination],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const tarballs = new Map<string, string>();
  for (const p of libraryPackages()) {
    const file = join(
      destination,
      `${p.name.replace(/^@/, '').replace('/', '-')}-${p.manifest.version}.tgz`,
    );
    if (!existsSync(file)) throw new Error(`pnpm pack did not produce ${file}`);
    tarballs.set(p.name, file);
  }
  return tarballs;
}
