// `pnpm release`: everything a release needs, short of publishing.
// 1. builds every library (turbo), 2. checks dependency hygiene (`pnpm check:deps`: knip, jscpd)
// and size budgets (size-limit), 3. packs every library once and runs publint +
// are-the-types-wrong on each tarball (scripts/check-package.mjs), 4. lists the pending
// changesets, 5. runs `pnpm publish -r --dry-run` so npm shows exactly what would be uploaded.
// Nothing is published: after `pnpm changeset version` and a review, `pnpm changeset publish`
// does that (see CONTRIBUTING.md).
// Options: `--skip-build` skips step 1, for a tree that was just built (internal/consumer-tests
// runs the release that way, right after `pnpm test` built every library); `--registry <url>`
// runs the publish dry run against that registry instead of npm's (a local Verdaccio, or the
// consumer tests' stand-in registry, which records any upload); `--skip-checks` skips the
// dependency hygiene of step 2 and step 3, which `pnpm test` runs as its own tasks (`check:deps`,
// `check:package`), so the consumer tests do not run them a second time.
// A script rather than one tool because it chains tools (turbo, knip, size-limit, publint, attw,
// changesets, pnpm publish) in release order; each step is that tool's own command.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

// The steps find the workspace's tools (knip, publint, attw, turbo) however this script was started.
const env = {
  ...process.env,
  PATH: [join(root, 'node_modules', '.bin'), process.env.PATH].filter(Boolean).join(delimiter),
};

/** Runs one step, echoing it; any failure stops the release. */
function step(title, command, args, cwd = root) {
  console.log(`\n▶ ${title}\n  $ ${[command, ...args].join(' ')}`);
  const start = performance.now();
  execFileSync(command, args, { cwd, stdio: 'inherit', env });
  console.log(`  ✓ ${title}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

const registryAt = process.argv.indexOf('--registry');
const registry = registryAt >= 0 ? process.argv[registryAt + 1] : undefined;
if (registryAt >= 0 && !/^https?:\/\//.test(registry ?? '')) {
  console.error(`release: --registry needs an http(s) URL, got ${registry ?? 'nothing'}`);
  process.exit(1);
}

const libraries = readdirSync(join(root, 'packages'))
  .sort()
  .map((folder) => join(root, 'packages', folder))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true);

if (process.argv.includes('--skip-build'))
  console.log('\n▶ build every library: skipped (--skip-build)');
else step('build every library', bin('turbo'), ['run', 'build', '--filter=./packages/*']);

/** Step 3: packs every library once and checks each tarball with publint and attw. */
function packAndCheck() {
  const packed = mkdtempSync(join(tmpdir(), 'rbn-release-'));
  try {
    step('pack every library', 'pnpm', [
      '-r',
      '--filter',
      './packages/*',
      'pack',
      '--pack-destination',
      packed,
    ]);
    for (const dir of libraries) {
      const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const tarball = join(packed, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
      step(`publint + attw: ${dir.slice(root.length + 1)}`, process.execPath, [
        join(root, 'scripts', 'check-package.mjs'),
        tarball,
      ]);
    }
  } finally {
    rmSync(packed, { recursive: true, force: true });
  }
}

if (process.argv.includes('--skip-checks')) {
  const why = 'skipped (--skip-checks: `pnpm test` runs them as check:deps and check:package)';
  console.log(`\n▶ dependency hygiene, pack, publint + attw: ${why}`);
  step('size budgets', bin('size-limit'), []);
} else {
  step('dependency hygiene', 'pnpm', ['run', '--silent', 'check:deps']);
  step('size budgets', bin('size-limit'), []);
  packAndCheck();
}
const pending = readdirSync(join(root, '.changeset')).filter(
  (f) => f.endsWith('.md') && f !== 'README.md',
);
console.log(
  `\n▶ pending changesets: ${pending.length === 0 ? 'none' : pending.join(', ')}` +
    (pending.length > 0 ? ' (run `pnpm changeset version` to apply them)' : ''),
);
step('publish dry run (nothing is uploaded)', 'pnpm', [
  'publish',
  '-r',
  '--dry-run',
  '--no-git-checks',
  '--filter',
  './packages/*',
  ...(registry === undefined ? [] : ['--registry', registry]),
]);
console.log('\nrelease: every check passed; nothing was published.');
