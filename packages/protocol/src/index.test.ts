import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the public entry (src/index.ts)', () => {
  it('exports nothing from src/internal/ (internals stay private; public code lives in src/)', () => {
    const index = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
    const fromInternal = index.split('\n').filter((line) => /from '\.\/internal\//.test(line));
    expect(fromInternal).toEqual([]);
  });
});
