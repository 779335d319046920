import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kib, measurePackages, readBudgets } from '../../../scripts/check-size.mjs';
import { libraryPackages, repoRoot } from '../src/workspace';

describe('size budget', () => {
  it('keeps every library’s minified + gzipped browser bundle within its budget', async () => {
    const results = await measurePackages();
    console.log(
      results
        .map((r) => `${r.name}: ${kib(r.gzipBytes)} gzipped (budget ${kib(r.budget)})`)
        .join('\n'),
    );
    expect(results.map((r) => r.name).sort()).toEqual(
      libraryPackages()
        .map((p) => p.name)
        .sort(),
    );
    for (const r of results) {
      expect(r.gzipBytes, `${r.name} (raise size-budget.json deliberately)`).toBeLessThanOrEqual(
        r.budget,
      );
    }
  });

  it('has a budget for every library and nothing else', () => {
    expect(Object.keys(readBudgets()).sort()).toEqual(
      libraryPackages()
        .map((p) => p.name)
        .sort(),
    );
  });

  it('lists every library in the README packages table with its install command and size', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = /<!-- packages-table:start -->([\s\S]*?)<!-- packages-table:end -->/.exec(readme);
    expect(table?.[1]).toMatch(/\|\s*package\s*\|\s*what it does\s*\|\s*install\s*\|\s*size\s*\|/);
    for (const p of libraryPackages()) {
      const row = table?.[1]?.split('\n').find((line) => line.includes(`\`${p.name}\``));
      expect(row, p.name).toMatch(
        new RegExp(`\\|[^|]+\\|\\s*\`npm install ${p.name}\`\\s*\\|\\s*\\d+(\\.\\d)? KiB\\s*\\|$`),
      );
    }
  });
});
