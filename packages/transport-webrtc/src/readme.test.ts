import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The README's runnable example: its first `ts` block that imports this package. */
function readmeExample(): string {
  const text = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const example = [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .find((block) => block.includes("from '@rbn/transport-webrtc'"));
  if (example === undefined) throw new Error('README.md has no ts block importing the package');
  return example;
}

/**
 * Runs `code` as `example.ts` of a throwaway ESM project (`"type": "module"`) whose
 * node_modules hold this package (its source) and @roamhq/wrtc, as a user's project would:
 * `node --import tsx example.ts`.
 * @param code - The example.
 * @param graceMs - How long the process may live after its last line before it is killed.
 * @returns Its exit code, whether it had to be killed, and what it printed.
 */
async function runAsUser(code: string, graceMs: number) {
  const project = mkdtempSync(join(tmpdir(), 'rbn-webrtc-readme-'));
  const links = [
    [packageDir, join(project, 'node_modules/@rbn/transport-webrtc')],
    [
      realpathSync(join(packageDir, 'node_modules/@roamhq/wrtc')),
      join(project, 'node_modules/@roamhq/wrtc'),
    ],
  ] as const;
  try {
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(project, 'example.ts'), code);
    for (const [target, link] of links) {
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(target, link, 'dir');
    }
    return await new Promise<{ code: number | null; killed: boolean; out: string }>((resolve) => {
      // The working directory is this package's, where `tsx` resolves; the source export
      // condition makes the linked package load its TypeScript source, not a stale build.
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--conditions=@rbn/source', join(project, 'example.ts')],
        { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      let killed = false;
      const kill = () => {
        killed = true;
        child.kill('SIGKILL');
      };
      let timer = setTimeout(kill, 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        clearTimeout(timer);
        timer = setTimeout(kill, graceMs);
      });
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, killed, out });
      });
    });
  } finally {
    // Remove the links first, so that nothing can follow them into the linked folders.
    for (const [, link] of links) {
      try {
        unlinkSync(link);
      } catch {
        // never created
      }
    }
    rmSync(project, { recursive: true, force: true });
  }
}

describe('README', () => {
  it('runs the example as written in Node: the echo comes back, metrics are printed, the process exits by itself', async () => {
    const { code, killed, out } = await runAsUser(readmeExample(), 10_000);
    const lines = out.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'bob: connected to alice',
      'bob: 3 bytes from alice: [ 1, 2, 3 ]',
      'alice: echo from bob: [ 1, 2, 3 ]',
    ]);
    // The first stats sample is taken as the connection opens; it is usually in by the time the
    // echo arrives, but it may not be.
    expect(lines.slice(3).join('\n')).toMatch(
      /^alice: metrics (null|\{\n {2}rtt: [\d.]+,\n {2}bytesSent: [1-9]\d*,\n {2}bytesReceived: [1-9]\d*,\n {2}packetsSent: [1-9]\d*,\n {2}packetsReceived: [1-9]\d*\n\})\n$/,
    );
    expect({ code, killed }).toEqual({ code: 0, killed: false });
  });
});
