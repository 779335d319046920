import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { libraryPackages, repoRoot } from '../src/workspace';

const scratch = mkdtempSync(join(tmpdir(), 'rbn-typedoc-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs TypeDoc with an options file (plus `args`); returns its exit code and output. */
function typedoc(
  options: string,
  args: readonly string[] = [],
): { status: number; output: string } {
  try {
    const output = execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules/typedoc/bin/typedoc'), '--options', options, ...args],
      { cwd: repoRoot, encoding: 'utf8', stdio: 'pipe' },
    );
    return { status: 0, output };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

describe('the API reference (TypeDoc)', () => {
  it('documents every public package with no warnings (pnpm run docs)', () => {
    const out = join(scratch, 'html');
    const { status, output } = typedoc(join(repoRoot, 'typedoc.json'), ['--out', out]);
    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect(status).toBe(0);
    for (const p of libraryPackages()) {
      const page = join(out, 'modules', `${p.name.replace('@', '_').replace('/', '_')}.html`);
      expect(existsSync(page), `${p.name} has a page`).toBe(true);
    }
  });

  it('fails on an exported function without TSDoc', () => {
    const dir = join(scratch, 'undocumented');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "name": "@rbn/undocumented", "version": "0.0.0" }');
    writeFileSync(
      join(dir, 'src', 'index.ts'),
      '/** Documented. */\nexport const ok = 1;\nexport function undocumented(): number {\n  return 2;\n}\n',
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, files: ['src/index.ts'] }),
    );
    // The repository's options, pointed at this package.
    writeFileSync(
      join(dir, 'typedoc.json'),
      JSON.stringify({
        extends: [join(repoRoot, 'typedoc.json')],
        tsconfig: './tsconfig.json',
        entryPoints: ['./src/index.ts'],
        out: './html',
      }),
    );
    const { status, output } = typedoc(join(dir, 'typedoc.json'));
    expect(output).toMatch(
      /undocumented \(CallSignature\), defined in @rbn\/undocumented\/src\/index\.ts, does not have any documentation/,
    );
    expect(status).not.toBe(0);
  });
});
