import { runReadme } from '@rbn/readme-examples';
import * as local from '@rbn/transport-local';
import { describe, expect, it } from 'vitest';
import * as transform from './index';

const readme = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('runs the example as written: a 60000-byte state arrives whole, in 4 segments', async () => {
    const { logs, probed } = await runReadme(
      readme,
      { '@rbn/transport-local': local, '@rbn/transport-transform': transform },
      ["__probe(group.get('a')!.getLinkStats('b')!.messagesSent);"],
    );
    expect(logs).toEqual(['a sent 60000 bytes']);
    expect(probed).toEqual([4]);
  });
});
