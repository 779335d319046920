import { runReadme } from '@rbn/readme-examples';
import { describe, expect, it } from 'vitest';
import * as core from './index';

const readme = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('runs the usage and sync-test examples as written', async () => {
    const { logs, probed } = await runReadme(readme, { '@rbn/core': core }, [
      '__probe({ result: { ...result }, last: engine.lastLocalInputTick, state: [...game.state] });',
      '__probe(result);',
    ]);
    expect(logs).toEqual([]);
    expect(probed).toEqual([
      {
        result: {
          status: 'advanced',
          tick: 0,
          rolledBack: false,
          rollbackTicks: 0,
          confirmedTick: 0,
        },
        // alice's input was scheduled for tick 1 (inputDelayTicks 1); bob's 2 was applied.
        last: 1,
        state: [0, 2],
      },
      { ok: true, ticks: 1000 },
    ]);
  });
});
