import { runReadme } from '@rbn/readme-examples';
import { describe, expect, it } from 'vitest';
import * as local from './index';

const readme = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('runs the example as written: one delivery in the 3rd or 4th frame, counted', async () => {
    const { logs } = await runReadme(readme, { '@rbn/transport-local': local });
    expect(logs).toHaveLength(2);
    expect(logs[0]).toBe('host got 3 bytes from client');
    expect(JSON.parse(logs[1]!)).toMatchObject({
      messagesSent: 1,
      bytesSent: 3,
      messagesDelivered: 1,
    });
  });
});
