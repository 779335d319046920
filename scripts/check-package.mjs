// Checks a library package the way users receive it: packs it with pnpm (which applies
// publishConfig), then runs publint and @arethetypeswrong/cli on the tarball.
// Run from a package directory after `build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = mkdtempSync(join(tmpdir(), 'rbn-pack-'));
try {
  execFileSync('pnpm', ['pack', '--pack-destination', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = join(out, readdirSync(out).find((f) => f.endsWith('.tgz')) ?? '');
  execFileSync('publint', ['--strict', tarball], { stdio: 'inherit' });
  execFileSync('attw', ['--profile', 'esm-only', '--format', 'table-flipped', tarball], {
    stdio: 'inherit',
  });
} finally {
  rmSync(out, { recursive: true, force: true });
}
