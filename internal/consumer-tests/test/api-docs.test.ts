import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { libraryPackages, repoRoot } from '../src/workspace';
import { scratchDir } from './tarballs';

const scratch = scratchDir('typedoc');
// TypeDoc's own type check of the program it documents is skipped: what these tests check is the
// documentation (a type error in the libraries fails `pnpm test`'s typecheck task, `tsc -b` over
// the same sources with the same options), and it was about 40% of TypeDoc's CPU time.
const skipTypeCheck = '--skipErrorChecking';
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs TypeDoc with an options file (plus `args`); returns its exit code and output. Asynchronous,
 * so the vitest worker keeps answering its runner while TypeDoc works.
 */
function typedoc(
  options: string,
  args: readonly string[] = [],
): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'node_modules/typedoc/bin/typedoc'), '--options', options, ...args],
      { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ status, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the API reference (TypeDoc)', () => {
  it('documents every public package with no warnings (pnpm run docs)', async () => {
    const out = join(scratch, 'html');
    const { status, output } = await typedoc(join(repoRoot, 'typedoc.json'), [
      '--out',
      out,
      skipTypeCheck,
    ]);
    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect(status).toBe(0);
    for (const p of libraryPackages()) {
      const page = join(out, 'modules', `${p.name.replace('@', '_').replace('/', '_')}.html`);
      expect(existsSync(page), `${p.name} has a page`).toBe(true);
    }
  });

  it('fails on an exported function without TSDoc', async () => {
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
    const { status, output } = await typedoc(join(dir, 'typedoc.json'), [skipTypeCheck]);
    expect(output).toMatch(
      /undocumented \(CallSignature\), defined in @rbn\/undocumented\/src\/index\.ts, does not have any documentation/,
    );
    expect(status).not.toBe(0);
  });
});
