import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { readManifest, repoRoot } from '../src/workspace';
import { scratchDir } from './tarballs';

// `pnpm check:deps` is knip (unused and unlisted dependencies, unused files and exports; then, in
// production mode, a library's runtime code may use only its own `dependencies`) and jscpd (code
// copied between libraries). `pnpm test` runs it on the repository (the root task `check:deps`);
// these tests run that very command on a small workspace with one problem of each kind.

type Outcome = { code: number; output: string };

/**
 * Runs the root's `check:deps` script, one `&&` step after the other, as pnpm would.
 * @param cwd - The workspace to check.
 * @returns The exit code and everything printed (of the first failing step, or of all).
 */
async function checkDeps(cwd: string): Promise<Outcome> {
  const script = readManifest(repoRoot).scripts?.['check:deps'] ?? 'false';
  const env = {
    ...process.env,
    PATH: [join(repoRoot, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  };
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], { cwd, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Writes files (path → text) under `root`. */
function write(root: string, files: Record<string, string | object>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    const text = typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`;
    writeFileSync(join(root, path), text);
  }
}

/** A function long enough to count as a copy (jscpd's `minTokens`). */
const helper = `export function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}
`;

/**
 * A two-library workspace: `a` imports a package it does not declare and declares one it never
 * imports; `b`'s runtime code imports a devDependency; both hold the same helper.
 */
function brokenWorkspace(): string {
  const root = scratchDir('check-deps');
  write(root, {
    'package.json': { name: 'fixture', private: true, type: 'module' },
    'pnpm-workspace.yaml': 'packages:\n  - packages/*\n',
    'packages/a/package.json': {
      name: '@x/a',
      type: 'module',
      exports: './src/index.ts',
      dependencies: { 'left-pad': '^1.3.0' },
    },
    'packages/a/src/index.ts': `import isOdd from 'is-odd';\nexport const odd = isOdd(3);\n${helper}`,
    'packages/b/package.json': {
      name: '@x/b',
      type: 'module',
      exports: './src/index.ts',
      devDependencies: { 'fast-check': '^4.0.0' },
    },
    'packages/b/src/index.ts': `import fc from 'fast-check';\nexport const any = fc.anything();\n${helper}`,
  });
  copyFileSync(join(repoRoot, '.jscpd.json'), join(root, '.jscpd.json'));
  return root;
}

describe('`pnpm check:deps` (knip + jscpd)', () => {
  it('reports an unlisted and an unused dependency, then a devDependency in runtime code, then a copy between libraries', async () => {
    const root = brokenWorkspace();
    const first = await checkDeps(root);
    expect(first.code, first.output).not.toBe(0);
    expect(first.output).toMatch(/Unused dependencies[\s\S]*left-pad\s+packages\/a\/package\.json/);
    expect(first.output).toMatch(
      /Unlisted dependencies[\s\S]*is-odd\s+packages\/a\/src\/index\.ts/,
    );

    // Fix `a`: the production check finds b's runtime import of a devDependency.
    write(root, {
      'packages/a/package.json': {
        name: '@x/a',
        type: 'module',
        exports: './src/index.ts',
        dependencies: { 'is-odd': '^3.0.1' },
      },
    });
    const second = await checkDeps(root);
    expect(second.code, second.output).not.toBe(0);
    expect(second.output).toMatch(
      /Unlisted dependencies[\s\S]*fast-check\s+packages\/b\/src\/index\.ts/,
    );

    // Fix `b`: jscpd finds the helper both libraries hold.
    write(root, {
      'packages/b/src/index.ts': `export const any = 1;\n${helper}`,
      'packages/b/package.json': { name: '@x/b', type: 'module', exports: './src/index.ts' },
    });
    const third = await checkDeps(root);
    expect(third.code, third.output).not.toBe(0);
    expect(third.output).toMatch(/Clone found[\s\S]*index\.ts[\s\S]*index\.ts/);

    // A copy inside one library is that library's business.
    write(root, {
      'packages/b/src/index.ts': 'export const any = 1;\n',
      'packages/a/src/copy.ts': helper,
    });
    const fourth = await checkDeps(root);
    expect(fourth.output).not.toMatch(/Clone found/);
  }, 120_000);
});

// Loaded by path: the repo's config is plain JS, linted and run, not part of this type program.
const repoConfig = (
  (await import(pathToFileURL(join(repoRoot, 'eslint.config.js')).href)) as {
    default: Linter.Config[];
  }
).default;

/** ESLint with the repo's `no-restricted-imports` entries only, on a parser without types. */
async function restricted(pkg: string, specifier: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: repoRoot,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...repoConfig.filter((entry) => entry.rules?.['no-restricted-imports'] !== undefined),
    ],
  });
  const [result] = await eslint.lintText(`import * as m from '${specifier}';\nvoid m;\n`, {
    filePath: join(repoRoot, 'packages', pkg, 'src', 'probe.ts'),
  });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('pako and simple-peer stay in their transport (ESLint)', () => {
  it.each([
    ['session', 'pako', /pako belongs to @rbn\/transport-transform only/],
    ['transport-webrtc', 'pako/lib/deflate', /pako belongs to @rbn\/transport-transform only/],
    ['core', 'simple-peer', /simple-peer belongs to @rbn\/transport-webrtc only/],
    ['transport-transform', 'simple-peer', /simple-peer belongs to @rbn\/transport-webrtc only/],
  ])('forbids %s to import %s', async (pkg, specifier, message) => {
    expect(await restricted(pkg, specifier)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ['transport-transform', 'pako'],
    ['transport-webrtc', 'simple-peer'],
  ])('lets %s import %s', async (pkg, specifier) => {
    expect(await restricted(pkg, specifier)).toEqual([]);
  });
});
