import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as TypeScript from 'typescript';

// Required, not imported: Node imports a CommonJS module into ESM only after scanning its source
// for named exports, which for TypeScript's 9 MB file costs about 0.7 s of CPU in every test
// process (vitest imports packages natively), on top of the 0.4 s its require takes.
const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;

/** What a README's examples printed and probed, in order. */
export interface ReadmeRun {
  /** Every line the examples logged through `console.log`/`warn`/`error` (objects as JSON). */
  logs: string[];
  /** Every value passed to `__probe` by the probe code. */
  probed: unknown[];
}

/**
 * Runs a README's example code blocks (the `ts` blocks that import an `@rbn/` package) as
 * written: the first at top level, later ones in their own scope (they may reuse names, and see
 * the first block's). Imports are bound to the given modules and `console` is captured.
 * @param readme - The README file to read, e.g. `new URL('../README.md', import.meta.url)`.
 * @param modules - The module each imported package name stands for, e.g. `{ '@rbn/core': core }`.
 * @param probes - `probes[i]`, if given, is code appended to block `i` that may call
 * `__probe(value)` to hand a value back to the test.
 * @returns Every line the examples logged and every probed value.
 * @throws Error if the README has no such block, or imports a package not in `modules`.
 * @example
 * ```ts
 * const { logs } = await runReadme(new URL('../README.md', import.meta.url), {
 *   '@rbn/protocol': protocol,
 * });
 * expect(logs).toEqual(['16']);
 * ```
 */
export async function runReadme(
  readme: URL,
  modules: Record<string, object>,
  probes: readonly string[] = [],
): Promise<ReadmeRun> {
  const text = readFileSync(readme, 'utf8');
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .filter((block) => /from '@rbn\//.test(block));
  if (blocks.length === 0) throw new Error(`${readme.href} has no \`ts\` block importing @rbn/`);
  const bindings = new Map<string, string>();
  const importPattern = /import\s*(?:type\s+)?\{([^}]*)\}\s*from\s*'([^']+)';?/g;
  const bodies = blocks.map((block) =>
    block.replace(importPattern, (_all, names: string, from: string) => {
      for (const raw of names.split(',')) {
        const name = raw.trim();
        if (name !== '' && !name.startsWith('type ')) bindings.set(name, from);
      }
      return '';
    }),
  );
  let source = '';
  for (const [name, from] of bindings) {
    if (!(from in modules)) throw new Error(`README imports ${name} from unknown ${from}`);
    source += `const ${name} = __modules[${JSON.stringify(from)}][${JSON.stringify(name)}];\n`;
  }
  source += bodies
    .map((body, i) => {
      const code = `${body}\n${probes[i] ?? ''}`;
      return i === 0 ? code : `{\n${code}\n}`;
    })
    .join('\n');
  const js = ts
    .transpileModule(`${source}\nexport {};`, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    })
    .outputText.replace(/^export \{\};$/m, '');
  const logs: string[] = [];
  const probed: unknown[] = [];
  const capture = (...args: unknown[]) =>
    logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  const fakeConsole = { log: capture, warn: capture, error: capture };
  type AsyncFunctionConstructor = new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  const prototype = Object.getPrototypeOf(async () => {}) as {
    constructor: AsyncFunctionConstructor;
  };
  const AsyncFunction = prototype.constructor;
  const run = new AsyncFunction('__modules', 'console', '__probe', js);
  await run(modules, fakeConsole, (value: unknown) => probed.push(value));
  return { logs, probed };
}
