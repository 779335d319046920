import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The server imports its Redis backend (and with it ioredis) only when REDIS_URL is set. A bundler
// can undo that by inlining the dynamic import and hoisting `import { Redis } from 'ioredis'` to
// the top of dist/cli.js (tsup does with `splitting: false`). These tests build the app with its
// own tsup config and run the built bin with a module hook that refuses to resolve ioredis.
//
// The build goes to a directory of its own: src/cli.test.ts deletes and rebuilds dist/ while
// other test files run. A `node_modules` link next to it resolves ws, pino and ioredis as
// dist/ would.

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const BLOCKED = 'rbn test hook: ioredis must not be loaded';
let workDir = '';
let outDir = '';
let hookPath = '';

/** Builds the app with its tsup config (as `pnpm --filter signaling build` does) into `out`. */
function build(out: string): void {
  const require = createRequire(join(appDir, 'package.json'));
  const tsupManifest = require.resolve('tsup/package.json');
  const { bin } = JSON.parse(readFileSync(tsupManifest, 'utf8')) as { bin: { tsup: string } };
  const result = spawnSync(
    process.execPath,
    [join(dirname(tsupManifest), bin.tsup), '--silent', '--out-dir', out],
    { cwd: appDir, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
}

/** The modules a built file imports statically (`import … from`, `import '…'`, `export … from`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const pattern = /(?:^|[;\n])\s*(?:import|export)\s*(?:[\w$*{}\s,]+\s*from\s*)?['"]([^'"]+)['"]/g;
  return [...text.matchAll(pattern)].map((m) => m[1] ?? '');
}

type Run = { code: number | null; stderr: string; healthz: number | undefined };

/**
 * Runs the built cli under the blocking hook until it prints `listening on` (then fetches
 * /healthz and stops it with SIGTERM) or exits by itself.
 */
function runCli(extraEnv: Record<string, string>): Promise<Run> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '2000',
  };
  delete env['REDIS_URL'];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', hookPath, join(outDir, 'cli.js'), '--port', '0'],
      {
        cwd: appDir,
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    let healthz: number | undefined;
    let asked = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the cli neither listened nor exited:\n${stderr}`));
    }, 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /listening on ws(:\/\/\S+)/.exec(stderr)?.[1];
      if (url === undefined || asked) return;
      asked = true;
      fetch(`http${url}/healthz`).then(
        (response) => {
          healthz = response.status;
          child.kill('SIGTERM');
        },
        () => child.kill('SIGTERM'),
      );
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, healthz });
    });
  });
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'rbn-signaling-lazy-redis-'));
  outDir = join(workDir, 'dist');
  symlinkSync(join(appDir, 'node_modules'), join(workDir, 'node_modules'), 'dir');
  const hooks = join(workDir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
  if (specifier === 'ioredis' || specifier.startsWith('ioredis/')) throw new Error(${JSON.stringify(BLOCKED)});
  return next(specifier, context);
}
`,
  );
  hookPath = join(workDir, 'register.mjs');
  writeFileSync(
    hookPath,
    `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
  );
  build(outDir);
}, 60_000);

afterAll(() => {
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

describe('the built cli without REDIS_URL', () => {
  it('imports ioredis from no module it loads at startup (cli.js and its static chunks)', () => {
    // Each package the startup graph imports, with the built file that imports it.
    const packages: string[] = [];
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of staticImports(join(outDir, file))) {
        if (specifier.startsWith('./')) visit(specifier.slice(2));
        else packages.push(`${specifier.split('/')[0] ?? ''} (${file})`);
      }
    };
    visit('cli.js');
    expect(packages.map((p) => p.split(' ')[0])).toContain('ws'); // the walk does find imports
    expect(packages.filter((p) => p.startsWith('ioredis '))).toEqual([]);
  });

  it('serves /healthz and exits 0 on SIGTERM while ioredis cannot be resolved', async () => {
    const run = await runCli({});
    expect(run.stderr).not.toContain(BLOCKED);
    expect(run.healthz).toBe(200);
    expect(run.code).toBe(0);
  });
});

describe('the built cli with REDIS_URL', () => {
  it('does load ioredis (so the hook above sees it when it is loaded)', async () => {
    // Port 1 has no Redis, but the import comes before any connection attempt.
    const run = await runCli({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.healthz).toBeUndefined();
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(BLOCKED);
  });
});
