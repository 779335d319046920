import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createConsumer, run } from '../src/consumer';
import { repoRoot } from '../src/workspace';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const created: string[] = [];

afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** The quick start: what it installs and runs. */
const scenario = {
  install: ['@rbn/session', '@rbn/transport-local'],
  fixture: 'node-quick-start',
  main: 'quick-start',
  expectedRbn: ['core', 'protocol', 'session', 'transport-local'],
};

describe('a Node consumer of the packed packages', () => {
  it('typechecks the quick start against the published .d.ts and runs it in Node', () => {
    const dir = createConsumer({
      name: 'node',
      install: scenario.install,
      registryDependencies: { '@types/node': '^20.19.0' },
      tarballs: new Map(Object.entries(inject('tarballs'))),
      files: {
        'tsconfig.json': readFileSync(join(fixtures, scenario.fixture, 'tsconfig.json'), 'utf8'),
        [`src/${scenario.main}.ts`]: readFileSync(
          join(fixtures, scenario.fixture, `${scenario.main}.ts`),
          'utf8',
        ),
      },
    });
    created.push(dir);

    // Only what the game needs is installed: no other @rbn package, no pako, no simple-peer.
    const installed = readdirSync(join(dir, 'node_modules'));
    expect(readdirSync(join(dir, 'node_modules', '@rbn')).sort()).toEqual(scenario.expectedRbn);
    expect(installed.filter((n) => /pako|simple-peer/.test(n))).toEqual([]);

    run(process.execPath, [tsc, '-p', '.'], dir);
    const output = run(process.execPath, [`build/${scenario.main}.js`], dir);
    expect(output).toMatch(/ok/);
    console.log(output.trim());
  });
});
