import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userEnv } from '../src/consumer';
import { assertLibrariesBuilt, libraryPackages, repoRoot } from '../src/workspace';

/** Every request the stand-in registry received. */
const requests: { method: string; url: string }[] = [];
// A stand-in for the npm registry: it knows no package (404) and refuses every upload (403), and
// it records what was asked. The release runs against it, so even a release that tried to
// publish could not reach npm: it fails (npm stops with ENEEDAUTH, having no token for the
// stand-in; with one, its upload would be refused and recorded here).
const registry = createServer((req, res) => {
  requests.push({ method: req.method ?? '', url: req.url ?? '' });
  req.resume();
  res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 403, {
    'content-type': 'application/json',
  });
  res.end('{"error":"stand-in registry"}');
});
let registryUrl = '';
let result = { code: -1 as number | null, output: '' };

/**
 * Runs a command without blocking this process (the stand-in registry answers from it).
 * @returns The exit code and everything printed, stdout and stderr interleaved.
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; output: string }>((done, fail) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

beforeAll(async () => {
  assertLibrariesBuilt();
  await new Promise<void>((done) => registry.listen(0, '127.0.0.1', done));
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`;
  // Every step after the build: `pnpm test` has just built the libraries, and a second turbo
  // build inside it would take longer than the rest of the release together. Its checks
  // (knip, jscpd, publint, attw) are tasks of `pnpm test` too: skipped here, not run twice.
  result = await run(
    process.execPath,
    [
      join(repoRoot, 'scripts', 'release.mjs'),
      ...['--skip-build', '--skip-checks', '--registry', registryUrl],
    ],
    userEnv(),
  );
}, 600_000);

afterAll(() => new Promise<void>((done) => registry.close(() => done())));

describe('pnpm release (every step after the build)', () => {
  it('passes every check and exits 0', () => {
    expect(result.code, result.output).toBe(0);
    // Where the time goes: one line per step.
    console.log(result.output.match(/^ {2}✓ .*$/gm)?.join('\n'));
    for (const title of ['size budgets', 'publish dry run']) {
      expect(result.output).toContain(`▶ ${title}`);
    }
    expect(result.output).toContain('▶ dependency hygiene, pack, publint + attw: skipped');
  });

  it('publishes nothing: a dry run of every library against the registry, which receives no upload', () => {
    for (const p of libraryPackages()) {
      expect(result.output).toContain(`+ ${p.name}@${p.manifest.version}`);
    }
    expect(result.output).toContain(`Publishing to ${registryUrl}`);
    expect(result.output).toMatch(/\(dry-run\)/);
    expect(result.output).toContain('release: every check passed; nothing was published.');
    // pnpm asked the stand-in whether each version is already published (it is not)…
    const asked = requests.map((r) => `${r.method} ${decodeURIComponent(r.url)}`);
    for (const p of libraryPackages()) expect(asked).toContain(`GET /${p.name}`);
    // …and nothing tried to upload anything.
    expect(requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
  });
});
