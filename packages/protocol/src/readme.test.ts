import { readFileSync } from 'node:fs';
import { runReadme } from '@rbn/readme-examples';
import { describe, expect, it } from 'vitest';
import * as protocol from './index';

const readme = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('runs the usage example as written, with the outputs its comments state', async () => {
    const { logs } = await runReadme(readme, { '@rbn/protocol': protocol });
    expect(logs).toEqual(['16', 'true', 'truncated: hash needs 4 bytes, 0 left']);
  });

  it('lists every runtime export in the API table', () => {
    const text = readFileSync(readme, 'utf8');
    const api = text.slice(text.indexOf('## API'), text.indexOf('## Wire format'));
    const listed = new Set(
      api
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`(\w+)/g)].map((m) => m[1])),
    );
    const missing = Object.keys(protocol).filter((name) => !listed.has(name));
    expect(missing).toEqual([]);
  });
});
