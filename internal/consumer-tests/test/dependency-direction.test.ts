import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/workspace';

// Loaded by path: the repo's config is plain JS, linted and run, not part of this type program.
const repoConfig = (
  (await import(pathToFileURL(join(repoRoot, 'eslint.config.js')).href)) as {
    default: Linter.Config[];
  }
).default;

const RULE = '@typescript-eslint/no-restricted-imports';

/**
 * The repo's own import restrictions (the entries of eslint.config.js that set RULE), on a parser
 * without type information, so probe sources can be linted as if they sat in each package.
 */
function restrictionLinter(): ESLint {
  const restrictions = repoConfig.filter(
    (entry) => entry.rules !== undefined && RULE in entry.rules,
  );
  return new ESLint({
    cwd: repoRoot,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        plugins: { '@typescript-eslint': tseslint.plugin },
        languageOptions: { parser: tseslint.parser },
      },
      ...restrictions,
    ],
  });
}

async function restrictedImports(pkg: string, specifiers: string[], file = 'probe.ts') {
  const code = specifiers.map((s, i) => `import * as m${i} from '${s}';\nvoid m${i};\n`).join('');
  const [result] = await restrictionLinter().lintText(code, {
    filePath: join(repoRoot, 'packages', pkg, 'src', file),
  });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === RULE)
    .map((m) => specifiers[Math.floor((m.line - 1) / 2)]);
}

const transports = ['transport-local', 'transport-transform', 'transport-webrtc'];

describe('eslint dependency direction (docs/architecture.md: protocol ← core ← session; transports → protocol)', () => {
  it('forbids core from importing the session or a transport', async () => {
    expect(
      await restrictedImports('core', ['@rbn/protocol', '@rbn/session', '@rbn/transport-local']),
    ).toEqual(['@rbn/session', '@rbn/transport-local']);
  });

  it('forbids protocol from importing any other rbn package', async () => {
    expect(
      await restrictedImports('protocol', ['@rbn/core', '@rbn/session', '@rbn/transport-webrtc']),
    ).toEqual(['@rbn/core', '@rbn/session', '@rbn/transport-webrtc']);
  });

  it('lets the session use core and protocol but not a transport', async () => {
    expect(
      await restrictedImports('session', ['@rbn/core', '@rbn/protocol', '@rbn/transport-local']),
    ).toEqual(['@rbn/transport-local']);
  });

  it.each(transports)('lets %s use protocol only', async (pkg) => {
    const others = transports.filter((t) => t !== pkg).map((t) => `@rbn/${t}`);
    expect(
      await restrictedImports(pkg, ['@rbn/protocol', '@rbn/core', '@rbn/session', ...others]),
    ).toEqual(['@rbn/core', '@rbn/session', ...others]);
  });

  it('keeps determinism free of every other rbn package (games use it without the netcode)', async () => {
    expect(
      await restrictedImports('determinism', ['@rbn/protocol', '@rbn/core', '@rbn/session']),
    ).toEqual(['@rbn/protocol', '@rbn/core', '@rbn/session']);
  });

  it('lets online use every library, but not the signaling server or Node built-ins', async () => {
    const libraries = ['@rbn/protocol', '@rbn/core', '@rbn/session', '@rbn/transport-webrtc'];
    expect(
      await restrictedImports('online', [...libraries, '@rbn/signaling', 'node:crypto']),
    ).toEqual(['@rbn/signaling', 'node:crypto']);
  });

  it('forbids Node built-ins in library code but not in its tests', async () => {
    expect(await restrictedImports('core', ['node:fs', 'events'])).toEqual(['node:fs', 'events']);
    expect(await restrictedImports('core', ['node:fs'], 'probe.test.ts')).toEqual([]);
  });
});

describe('eslint: @rbn/core owns no clock, timer or randomness (docs/architecture.md)', () => {
  const CLOCK_RULES = ['no-restricted-globals', 'no-restricted-properties'];

  /** Lints `code` as a file of `pkg` with the repo's own clock rules; returns the flagged names. */
  async function clockUses(pkg: string, code: string, file = 'probe.ts') {
    const rules = repoConfig.filter(
      (entry) => entry.rules !== undefined && CLOCK_RULES.some((rule) => rule in entry.rules!),
    );
    const linter = new ESLint({
      cwd: repoRoot,
      overrideConfigFile: true,
      overrideConfig: [
        { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
        ...rules,
      ],
    });
    const [result] = await linter.lintText(code, {
      filePath: join(repoRoot, 'packages', pkg, 'src', file),
    });
    return (result?.messages ?? [])
      .filter((m) => m.ruleId !== null && CLOCK_RULES.includes(m.ruleId))
      .map((m) => code.split('\n')[m.line - 1]!.trim());
  }

  const clockLines = [
    'export const a = Date.now();',
    'export const b = performance.now();',
    'export const c = Math.random();',
    'setTimeout(() => {}, 1);',
    'setInterval(() => {}, 1);',
    'queueMicrotask(() => {});',
  ];
  const probe = [...clockLines, 'export const d = Math.max(1, 2);'].join('\n');

  it('flags Date, performance, Math.random and timers in core library code', async () => {
    expect(await clockUses('core', probe)).toEqual(clockLines);
  });

  it('allows them in core tests and in other packages', async () => {
    expect(await clockUses('core', probe, 'probe.test.ts')).toEqual([]);
    expect(await clockUses('session', probe)).toEqual([]);
  });
});
