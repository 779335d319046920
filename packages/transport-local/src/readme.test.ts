import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as local from './index';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/**
 * Runs the README's example code blocks (the `ts` blocks that import an `@rbn/` package) as
 * written: the first at top level, later ones in their own scope (they may reuse names, and see
 * the first block's). Imports are bound to the given modules and `console` is captured.
 * `probes[i]`, if given, is code appended to block `i` that may call `__probe(value)`.
 * @returns Every line the examples logged (objects as JSON) and every probed value.
 */
async function runReadme(
  readme: string,
  modules: Record<string, object>,
  probes: string[] = [],
): Promise<{ logs: string[]; probed: unknown[] }> {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .filter((block) => /from '@rbn\//.test(block));
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

describe('README', () => {
  it('runs the example as written: one delivery in the 3rd or 4th frame, counted', async () => {
    const { logs } = await runReadme(readme, { '@rbn/transport-local': local });
    expect(logs).toHaveLength(2);
    expect(logs[0]).toBe('host got 3 bytes from client');
    expect(JSON.parse(logs[1]!)).toMatchObject({
      messagesSent: 1,
      bytesSent: 3,
      messagesDelivered: 1,
    });
  });
});
