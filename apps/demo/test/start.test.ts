import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT, parseStartOptions } from '../server/start-options';
import { spawnStartCommand } from './start-command';

const DIST = '/srv/demo-dist';

describe('parseStartOptions', () => {
  it('defaults to 127.0.0.1:8080 and the given build folder', () => {
    expect(parseStartOptions([], {}, DIST)).toEqual({
      port: DEFAULT_PORT,
      host: '127.0.0.1',
      dist: DIST,
    });
  });

  it('reads PORT, HOST and DEMO_DIST, and flags win over them', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', DEMO_DIST: '/env/dist' };
    expect(parseStartOptions([], env, DIST)).toEqual({
      port: 9000,
      host: '0.0.0.0',
      dist: '/env/dist',
    });
    expect(
      parseStartOptions(['--port', '0', '--host', '::1', '--dist', 'build'], env, DIST),
    ).toEqual({ port: 0, host: '::1', dist: resolve('build') });
  });

  it('rejects a port that is not an integer from 0 to 65535, naming where it came from', () => {
    for (const bad of ['abc', '-1', '65536', '80.5', '', ' 80']) {
      expect(() => parseStartOptions([`--port=${bad}`], {}, DIST)).toThrow(
        `--port must be an integer from 0 to 65535 (got '${bad}')`,
      );
    }
    expect(() => parseStartOptions([], { PORT: 'http' }, DIST)).toThrow(
      "PORT must be an integer from 0 to 65535 (got 'http')",
    );
  });

  it('rejects an empty host or build folder and an unknown flag', () => {
    expect(() => parseStartOptions(['--host', ''], {}, DIST)).toThrow('--host must not be empty');
    expect(() => parseStartOptions([], { DEMO_DIST: ' ' }, DIST)).toThrow(
      'DEMO_DIST must not be empty',
    );
    expect(() => parseStartOptions(['--prot', '80'], {}, DIST)).toThrow(
      /Unknown option '--prot'.*--port <n>, --host <address>, --dist <folder>/,
    );
  });
});

describe('start command', () => {
  it('exits with 1 and names the folder when there is no build to serve', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rbn-demo-empty-'));
    try {
      const command = spawnStartCommand(['--port', '0'], { DEMO_DIST: empty });
      const { code } = await command.exited;
      expect(code, command.output()).toBe(1);
      expect(command.output()).toContain(`no demo build in ${empty} (index.html is missing)`);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('exits with 1 and names the flag for a bad port', async () => {
    const command = spawnStartCommand(['--port', 'eighty']);
    const { code } = await command.exited;
    expect(code, command.output()).toBe(1);
    expect(command.output()).toContain("--port must be an integer from 0 to 65535 (got 'eighty')");
  });
});
