import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TestPeer } from './internal/test-peer.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('rbn-signaling bin', () => {
  it('serves from env config and on SIGTERM closes sockets with 1001 and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--port', '0'], {
      cwd: appDir,
      env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '2000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const match = /listening on (ws:\/\/\S+)/.exec(err);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`bin exited early:\n${err}`)));
    });
    const { peer } = await TestPeer.join(`${url}/room`);
    child.kill('SIGTERM');
    expect((await peer.closed).code).toBe(1001);
    expect(await exited).toBe(0);
  });
});
