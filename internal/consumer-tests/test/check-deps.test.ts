import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDependencies } from '../../../scripts/check-deps.mjs';
import { repoRoot } from '../src/workspace';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Pkg = {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  files: Record<string, string>;
};

/** Writes a throwaway pnpm workspace with `packages/<folder>` for each package. */
function workspace(packages: Record<string, Pkg>, rootDev: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'rbn-check-deps-'));
  dirs.push(root);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('pnpm-workspace.yaml', 'packages:\n  - packages/*\n');
  write('package.json', JSON.stringify({ name: 'root', private: true, devDependencies: rootDev }));
  for (const [folder, { files, ...manifest }] of Object.entries(packages)) {
    write(
      `packages/${folder}/package.json`,
      JSON.stringify({ ...manifest, exports: { '.': { '@rbn/source': './src/index.ts' } } }),
    );
    for (const [path, text] of Object.entries(files)) write(`packages/${folder}/${path}`, text);
  }
  return root;
}

const messages = (root: string) => checkDependencies(root).problems.map((p) => p.message);

describe('check-deps', () => {
  it('passes on this repository: every package declares exactly what it imports', () => {
    const { problems, packages } = checkDependencies(repoRoot);
    expect(packages.map((p) => p.name)).toContain('@rbn/transport-webrtc');
    expect(problems).toEqual([]);
  });

  it('flags a library that imports a package it does not declare', () => {
    const root = workspace({
      core: {
        name: '@x/core',
        files: { 'src/index.ts': "export { a } from './a';", 'src/a.ts': "import 'lodash';" },
      },
    });
    expect(messages(root)).toEqual([
      "src/a.ts imports 'lodash', which is not declared in `dependencies` or `peerDependencies`",
    ]);
  });

  it('flags runtime code that uses a devDependency (users would not get it)', () => {
    const root = workspace({
      core: {
        name: '@x/core',
        devDependencies: { zod: '^3' },
        files: { 'src/index.ts': "import { z } from 'zod'; export const s = z;" },
      },
    });
    expect(messages(root)).toEqual([
      "src/index.ts imports 'zod', which is not declared in `dependencies` or `peerDependencies`",
    ]);
  });

  it('lets tests and test helpers use devDependencies and the root dev tools, but nothing undeclared', () => {
    const root = workspace(
      {
        core: {
          name: '@x/core',
          devDependencies: { 'fast-check': '^4' },
          files: {
            'src/index.ts': 'export const a = 1;',
            'src/internal/arbitraries.ts': "import fc from 'fast-check';",
            'src/a.test.ts': "import { it } from 'vitest'; import 'left-pad';",
          },
        },
      },
      { vitest: '^3' },
    );
    expect(messages(root)).toEqual([
      "src/a.test.ts imports 'left-pad', which is not declared in its package.json (or the root devDependencies, for tools)",
    ]);
  });

  it('flags a runtime dependency that no runtime module imports, except in an empty shell', () => {
    const root = workspace({
      used: {
        name: '@x/used',
        dependencies: { ws: '^8', 'left-pad': '^1' },
        files: {
          'src/index.ts': "import 'ws';\nexport const a = 1;",
          'src/x.test.ts': "import 'left-pad';",
        },
      },
      shell: {
        name: '@x/shell',
        dependencies: { ws: '^8' },
        files: { 'src/index.ts': 'export {};\n' },
      },
    });
    expect(messages(root)).toEqual([
      "declares 'left-pad' in dependencies but none of its runtime code (what src/index.ts reaches) imports it: remove it or move it to devDependencies",
    ]);
  });

  it('keeps pako in transport-transform and simple-peer in transport-webrtc', () => {
    const root = workspace({
      'transport-transform': {
        name: '@rbn/transport-transform',
        dependencies: { pako: '^2' },
        files: { 'src/index.ts': "import 'pako';" },
      },
      core: {
        name: '@rbn/core',
        dependencies: { pako: '^2', 'simple-peer': '^9' },
        files: { 'src/index.ts': "import 'pako'; import 'simple-peer';" },
      },
    });
    expect(messages(root)).toEqual([
      "src/index.ts imports 'pako': pako belongs to @rbn/transport-transform only",
      "src/index.ts imports 'simple-peer': simple-peer belongs to @rbn/transport-webrtc only",
      "declares 'pako' in dependencies: pako belongs to @rbn/transport-transform only",
      "declares 'simple-peer' in dependencies: simple-peer belongs to @rbn/transport-webrtc only",
    ]);
  });

  it('flags a module copied from one library into another', () => {
    const shared = `export function clamp(value: number, min: number, max: number): number {
  // Keeps a value inside [min, max], the way every caller in this library needs it to be kept.
  if (value < min) return min;
  if (value > max) return max;
  return value;
}
`;
    const root = workspace({
      a: {
        name: '@x/a',
        files: { 'src/index.ts': "export { clamp } from './clamp';", 'src/clamp.ts': shared },
      },
      b: {
        name: '@x/b',
        files: { 'src/index.ts': "export { clamp } from './util';", 'src/util.ts': shared },
      },
    });
    expect(messages(root)).toEqual([
      'src/util.ts is a copy of @x/a/src/clamp.ts: move it to the lowest package that needs it and import it from there',
    ]);
  });

  it('flags a top-level function copied into another library, renamed, retyped and re-commented', () => {
    const original = `/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const other = 1;
`;
    const copy = `// equal(left, right): byte-wise comparison
function equal(left: ArrayLike<number>, right: ArrayLike<number>) {
  if (left.length !== right.length) return false; // sizes differ
  for (let k = 0; k < left.length; k++) if (left[k] !== right[k]) return false;
  return true;
}

export function send(bytes: Uint8Array): boolean {
  return equal(bytes, new Uint8Array(0));
}
`;
    const root = workspace({
      core: { name: '@x/core', files: { 'src/index.ts': original } },
      session: { name: '@x/session', files: { 'src/index.ts': copy } },
    });
    expect(messages(root)).toEqual([
      'src/index.ts: equal is a copy of @x/core/src/index.ts (there: sameBytes), 100% alike: move it to the lowest package that needs it and import it from there',
    ]);
  });

  it('flags a const copied with a line changed, but not short consts or merely similar code', () => {
    const table = (extra: string) => `export const LIMITS = Object.freeze({
  maxInputBytes: 64,
  maxInputsPerRun: 256,
  maxPlayersPerMessage: 64,
  maxStateBytes: 16 * 1024 * 1024,
  maxStringBytes: 256,${extra}
});
export const MAX_TICK = 0x7fffffff;
`;
    // Same shape, different checks: not a copy.
    const latency = `export function checkLatency(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error('latency must be a finite number of ms >= 0, got ' + String(value));
  }
  return value;
}
`;
    const slot = `export function checkSlot(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value > 255) {
    throw new RangeError(\`slot must be an integer from 0 to 255, got \${String(value)}\`);
  }
  return value;
}
`;
    const root = workspace({
      a: { name: '@x/a', files: { 'src/index.ts': table('') + latency } },
      b: { name: '@x/b', files: { 'src/index.ts': table('\n  maxConfigEntries: 64,') + slot } },
    });
    expect(messages(root)).toEqual([
      expect.stringMatching(
        /^src\/index\.ts: LIMITS is a copy of @x\/a\/src\/index\.ts, \d+% alike/,
      ),
    ]);
  });

  it('reports a copy on the allowlist without failing, and fails on an entry with no copy left', () => {
    const helper = `export function clampTick(value: number, low: number, high: number): number {
  if (!Number.isInteger(value)) throw new Error('tick must be an integer, got ' + String(value));
  return value < low ? low : value > high ? high : value;
}
`;
    const root = workspace({
      a: { name: '@x/a', files: { 'src/index.ts': helper } },
      b: { name: '@x/b', files: { 'src/index.ts': helper.replace('clampTick', 'clamp') } },
      c: { name: '@x/c', files: { 'src/index.ts': 'export const c = 1;' } },
    });
    const result = checkDependencies(root, {
      allowedCopies: [
        { name: 'clampTick', packages: ['@x/a', '@x/b'] },
        { name: 'gone', packages: ['@x/a', '@x/c'] },
        { name: 'elsewhere', packages: ['@x/a', '@x/not-in-this-workspace'] },
      ],
    });
    expect(result.allowedCopies).toEqual([
      expect.objectContaining({ name: 'clamp', pkg: '@x/b', originalName: 'clampTick' }),
    ]);
    expect(result.problems.map((p) => p.message)).toEqual([
      'ALLOWED_COPIES in scripts/check-deps.mjs lists gone in @x/a and @x/c, but it is no longer copied there: remove the entry',
    ]);
  });
});
