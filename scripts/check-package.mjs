// Checks a library package the way users receive it: publint and @arethetypeswrong/cli on the
// tarball pnpm packs (`pnpm check:package`, a turbo task after `build`; `pnpm release` too).
// Run from a package directory, or give tarballs as arguments to check those instead.
// Kept as a script because the tools cannot pack it themselves the way pnpm does: their own
// packing (`attw --pack`) goes through npm, which neither applies `publishConfig` nor turns
// `workspace:` ranges into versions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs publint and attw on one tarball; throws (after their report) when either finds a problem.
 * @param {string} tarball - Path of the `.tgz`.
 */
export function checkTarball(tarball) {
  execFileSync('publint', ['--strict', tarball], { stdio: 'inherit' });
  execFileSync('attw', ['--profile', 'esm-only', '--format', 'table-flipped', tarball], {
    stdio: 'inherit',
  });
}

const tarballs = process.argv.slice(2);
if (tarballs.length > 0) {
  for (const tarball of tarballs) checkTarball(tarball);
} else {
  const out = mkdtempSync(join(tmpdir(), 'rbn-pack-'));
  try {
    execFileSync('pnpm', ['pack', '--pack-destination', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    checkTarball(join(out, readdirSync(out).find((f) => f.endsWith('.tgz')) ?? ''));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
