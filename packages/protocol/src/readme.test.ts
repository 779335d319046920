import { runReadme } from '@rbn/readme-examples';
import { describe, expect, it } from 'vitest';
import * as protocol from './index';

const readme = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('runs the usage example as written, with the outputs its comments state', async () => {
    const { logs } = await runReadme(readme, { '@rbn/protocol': protocol });
    expect(logs).toEqual(['16', 'true', 'truncated: hash needs 4 bytes, 0 left']);
  });
});
