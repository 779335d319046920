import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kib, measure } from '../../../scripts/size-readme.mjs';
import { libraryPackages, repoRoot } from '../src/workspace';

type SizeResult = Awaited<ReturnType<typeof measure>>[number];

/** How far the README's size may be from the measured one: its one decimal, give or take one. */
const README_TOLERANCE_KIB = 0.1;

/**
 * The packages table of the root README.
 * @returns Its rows, one line each.
 */
function readmeTableRows(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const table = /<!-- packages-table:start -->([\s\S]*?)<!-- packages-table:end -->/.exec(readme);
  return (table?.[1] ?? '').split('\n').filter((line) => line.startsWith('|'));
}

/** The entries of `.size-limit.json` (the budgets). */
const entries = JSON.parse(readFileSync(join(repoRoot, '.size-limit.json'), 'utf8')) as {
  name: string;
  path: string;
}[];

describe('size budget (size-limit, `.size-limit.json`)', () => {
  // Measured afresh in every run, from the build `pnpm test` has just made: other changes move the
  // sizes, and the README must follow them.
  let results: SizeResult[] = [];
  beforeAll(async () => {
    results = await measure();
    console.log(
      results.map((r) => `${r.name}: ${kib(r.size)} (limit ${kib(r.sizeLimit)})`).join('\n'),
    );
  });

  it('keeps every library’s minified + gzipped browser bundle within its budget', () => {
    for (const r of results) {
      expect(
        r.size,
        `${r.name} (raise its limit in .size-limit.json deliberately)`,
      ).toBeLessThanOrEqual(r.sizeLimit);
    }
    expect(results.every((r) => r.passed)).toBe(true);
  });

  it('has one budget for every library, measuring its built public entry, and nothing else', () => {
    const libraries = libraryPackages();
    expect(entries.map((e) => e.name).sort()).toEqual(libraries.map((p) => p.name).sort());
    for (const p of libraries) {
      expect(entries.find((e) => e.name === p.name)?.path).toBe(
        `packages/${p.folder}/dist/index.js`,
      );
    }
  });

  it('lists every library in the README packages table with its install command and size', () => {
    const rows = readmeTableRows();
    expect(rows[0]).toMatch(/\|\s*package\s*\|\s*what it does\s*\|\s*install\s*\|\s*size\s*\|/);
    for (const p of libraryPackages()) {
      const row = rows.find((line) => line.includes(`\`${p.name}\``));
      expect(row, p.name).toMatch(
        new RegExp(`\\|[^|]+\\|\\s*\`npm install ${p.name}\`\\s*\\|\\s*\\d+(\\.\\d)? KiB\\s*\\|$`),
      );
    }
  });

  it('gives each library the size measured now in the README table (refresh: `pnpm size:readme`)', () => {
    const rows = readmeTableRows();
    const stale: string[] = [];
    for (const r of results) {
      const row = rows.find((line) => line.includes(`\`${r.name}\``)) ?? '';
      const listed = Number(/(\d+(?:\.\d)?) KiB\s*\|$/.exec(row)?.[1] ?? NaN);
      const measured = Number((r.size / 1024).toFixed(1));
      if (!(Math.abs(listed - measured) <= README_TOLERANCE_KIB + 1e-9)) {
        stale.push(`${r.name}: README says ${listed} KiB, measured ${kib(r.size)}`);
      }
    }
    expect(stale, 'run `pnpm size:readme` and commit README.md').toEqual([]);
  });
});
