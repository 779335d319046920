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
// copied between libraries), one `&&` step after the other. `pnpm test` runs it on the repository
// (the root task `check:deps`); this test runs each of its steps on one small workspace that holds
// a problem of every kind, so each step shows the problems it reports (run as one chain, the
// first failing step would hide the others).

type Outcome = { step: string; code: number; output: string };

/**
 * The steps of the root's `check:deps` script.
 * @returns Each command of its `&&` chain, in order.
 */
function checkDepsSteps(): string[] {
  const script = readManifest(repoRoot).scripts?.['check:deps'] ?? '';
  // Only a plain `&&` chain splits into steps that run the same as the whole script.
  expect(script, 'check:deps is a chain of commands joined by &&').toMatch(/^[^;|&]+(&&[^;|&]+)*$/);
  return script.split('&&').map((step) => step.trim());
}

/**
 * Runs one step of `check:deps` in a shell, as pnpm would.
 * @param cwd - The workspace to check.
 * @returns The step, its exit code and everything it printed.
 */
async function runStep(step: string, cwd: string): Promise<Outcome> {
  const env = {
    ...process.env,
    PATH: [join(repoRoot, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  };
  return new Promise((resolve) => {
    execFile('sh', ['-c', step], { cwd, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ step, code, output: `${stdout}${stderr}` });
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

/** Another one, copied inside one library only. */
const localHelper = `export function splitEvery<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(\`bad size \${size}\`);
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    const chunk = items.slice(start, start + size);
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}
`;

/**
 * A two-library workspace: `a` imports a package it does not declare and declares one it never
 * imports; `b`'s runtime code imports a devDependency; both hold the same helper; and `a` holds
 * a second helper twice (a copy inside one library).
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
    'packages/a/src/copy.ts': localHelper,
    'packages/a/src/other.ts': `export const other = 2;\n${localHelper}`,
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
  it('reports an unlisted and an unused dependency, a devDependency in runtime code and a copy between libraries, not one inside a library', async () => {
    const root = brokenWorkspace();
    const steps = await Promise.all(checkDepsSteps().map((step) => runStep(step, root)));
    const all = steps.map((s) => `$ ${s.step} (exit ${s.code})\n${s.output}`).join('\n');
    /** The steps whose output matches `pattern`; each must fail, so the whole script fails. */
    const reporting = (pattern: RegExp): Outcome[] => {
      const found = steps.filter((s) => pattern.test(s.output));
      for (const s of found) expect(s.code, `${s.step} reports ${pattern} and fails`).not.toBe(0);
      return found;
    };

    // knip: `a` declares left-pad, never imported, and imports is-odd, not declared.
    expect(
      reporting(/Unused dependencies[\s\S]*left-pad\s+packages\/a\/package\.json/),
      all,
    ).not.toEqual([]);
    expect(
      reporting(/Unlisted dependencies[\s\S]*is-odd\s+packages\/a\/src\/index\.ts/),
      all,
    ).not.toEqual([]);
    // knip's production run: b's runtime code imports fast-check, only a devDependency.
    expect(
      reporting(/Unlisted dependencies[\s\S]*fast-check\s+packages\/b\/src\/index\.ts/),
      all,
    ).not.toEqual([]);
    // jscpd: the helper both libraries hold, and only that one: a copy inside one library is that
    // library's business.
    const clones = reporting(/Clone found/);
    expect(clones, all).toHaveLength(1);
    expect(clones[0]?.output).toMatch(/Clone found[\s\S]*index\.ts[\s\S]*index\.ts/);
    expect(clones[0]?.output).toMatch(/Found 1 clones/);
    expect(clones[0]?.output).not.toMatch(/copy\.ts|other\.ts/);
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
