import { runReadme } from '@rbn/readme-examples';
import { describe, expect, it } from 'vitest';
import * as determinism from './index';

const readme = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('runs the example as written and prints what its comments say', async () => {
    const { logs } = await runReadme(readme, { '@rbn/determinism': determinism });
    expect(logs).toEqual(['0.8414709848078965', '0.4636476090008061', 'true']);
  });
});
