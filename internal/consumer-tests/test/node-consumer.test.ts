import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, run } from '../src/consumer';
import { repoRoot } from '../src/workspace';
import { packedLibraries, scratchDir } from './tarballs';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'node-quick-start');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const programs = ['quick-start', 'as-documented'];
let dir = '';

beforeAll(async () => {
  // One project for both programs: the game's two packages from the tarballs, @types/node from
  // the registry, typechecked and compiled by tsc against the published .d.ts.
  dir = await createConsumer({
    name: 'node',
    install: ['@rbn/session', '@rbn/transport-local'],
    registryDependencies: { '@types/node': '^20.19.0' },
    tarballs: packedLibraries(),
    parent: scratchDir('node'),
    files: Object.fromEntries<string>([
      ['tsconfig.json', readFileSync(join(fixture, 'tsconfig.json'), 'utf8')],
      ...programs.map((p): [string, string] => [
        `src/${p}.ts`,
        readFileSync(join(fixture, `${p}.ts`), 'utf8'),
      ]),
    ]),
  });
  await run(process.execPath, [tsc, '-p', '.'], dir);
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('a Node consumer of the packed packages', () => {
  it('gets only what the game needs: session, transport-local, core and protocol', () => {
    expect(readdirSync(join(dir, 'node_modules', '@rbn')).sort()).toEqual([
      'core',
      'protocol',
      'session',
      'transport-local',
    ]);
    const installed = readdirSync(join(dir, 'node_modules'));
    expect(installed.filter((n) => /pako|simple-peer/.test(n))).toEqual([]);
  });

  it('runs the quick start: a room, 300+ ticks of changing inputs over 50 ms latency, equal hashes', async () => {
    const output = await run(process.execPath, ['build/quick-start.js'], dir);
    expect(output).toMatch(/^quick start ok: \d+ ticks/);
    console.log(output.trim());
  });

  it('runs the quick start of docs/architecture.md as written', async () => {
    const output = await run(process.execPath, ['build/as-documented.js'], dir);
    expect(output.trim()).toBe('quick start as documented ok');
  });
});
