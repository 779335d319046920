import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { INEXACT_MATH_FUNCTIONS, simulation, simulationConfig } from './eslint';

const linter = new Linter({ configType: 'flat' });

/** The messages the rule set gives for a snippet, as `rule: message` lines. */
function lint(code: string, filename = 'game.ts'): string[] {
  const config = simulationConfig({ files: ['**/*.ts'] });
  return linter
    .verify(
      code,
      [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser, sourceType: 'module' },
        },
        config as Linter.Config,
      ],
      filename,
    )
    .map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('the simulation ESLint rule set', () => {
  it('accepts deterministic simulation code (DMath, seeded random, sorted keys, integer math)', () => {
    const code = `
      import { DMath, createRandom } from '@rbn/determinism';
      const random = createRandom(1);
      const inputs = new Map<string, number>();
      for (const id of [...inputs.keys()].sort()) void id;
      const a = DMath.sin(1) + Math.sqrt(2) + Math.floor(2.5) + Math.imul(3, 4) + random.nextFloat();
      const b = a * a;
      export { b };
    `;
    expect(lint(code)).toEqual([]);
  });

  it.each([
    ['Math.random()', "no-restricted-properties: 'Math.random' is restricted"],
    ['Date.now()', "no-restricted-globals: Unexpected use of 'Date'"],
    ['new Date()', "no-restricted-globals: Unexpected use of 'Date'"],
    ['performance.now()', "no-restricted-globals: Unexpected use of 'performance'"],
    ['setTimeout(() => {}, 1)', "no-restricted-globals: Unexpected use of 'setTimeout'"],
    [
      'crypto.getRandomValues(new Uint8Array(4))',
      "no-restricted-globals: Unexpected use of 'crypto'",
    ],
    ['Math.atan2(1, 2)', "no-restricted-properties: 'Math.atan2' is restricted"],
    ['2 ** 0.5', 'no-restricted-syntax: ** may be computed like Math.pow'],
    ['"a".localeCompare("b")', "no-restricted-properties: 'localeCompare' is restricted"],
    ['for (const k in {}) void k', 'no-restricted-syntax: for…in'],
    [
      'for (const k of new Map().keys()) void k',
      'no-restricted-syntax: iterates in insertion order',
    ],
    [
      'for (const [k] of new Set().entries()) void k',
      'no-restricted-syntax: iterates in insertion order',
    ],
  ])('rejects %s', (code, expected) => {
    const messages = lint(`${code};\nexport {};\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(expected);
  });

  it('rejects every Math function engines compute differently', () => {
    const code = INEXACT_MATH_FUNCTIONS.map((name) => `Math.${name}(0.5, 0.5);`).join('\n');
    const messages = lint(`${code}\nexport {};\n`);
    expect(messages).toHaveLength(INEXACT_MATH_FUNCTIONS.length);
    for (const [i, name] of INEXACT_MATH_FUNCTIONS.entries()) {
      expect(messages[i]).toContain(`Math.${name}: engines compute it differently; use DMath`);
    }
  });

  it('applies only to the files given, minus the ignored ones', () => {
    const config = simulationConfig({ files: ['src/game/**/*.ts'], ignores: ['**/*.test.ts'] });
    expect(config).toMatchObject({
      name: '@rbn/determinism/simulation',
      files: ['src/game/**/*.ts'],
      ignores: ['**/*.test.ts'],
      rules: simulation.rules,
    });
    const run = (filename: string) =>
      linter.verify('Math.random();', [{ files: ['**/*.ts'] }, config as Linter.Config], filename);
    expect(run('src/game/arena.ts')).toHaveLength(1);
    expect(run('src/game/arena.test.ts')).toHaveLength(0);
    expect(run('src/ui/render.ts')).toHaveLength(0);
  });
});
