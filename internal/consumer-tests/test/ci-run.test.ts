import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/workspace';

/**
 * The commands of the README's first `sh` block (the two a newcomer types), without comments.
 * @returns One command per line.
 */
function readmeCommands(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

describe('.ci/run', () => {
  it('runs exactly the README’s second command (install and run every check and test), failing on any failure', () => {
    const commands = readmeCommands();
    expect(commands).toHaveLength(2);
    const script = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8');
    const lines = script
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    // Only the shell setup (stop on the first failure, from the repository root), then the command.
    expect(lines).toEqual(['set -euo pipefail', 'cd "$(dirname "$0")/.."', commands[1]]);
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(statSync(join(repoRoot, '.ci', 'run')).mode & 0o111, 'executable').not.toBe(0);
  });
});
