// The size column of the root README's packages table, generated from size-limit
// (`pnpm size:readme`, after `pnpm build`). `.size-limit.json` holds each library's budget and
// `pnpm size` checks it; this script only writes what size-limit measured into the README,
// because size-limit has no way to write a report into a Markdown table. `pnpm test` fails when
// the column is more than 0.1 KiB off (internal/consumer-tests/test/size-budget.test.ts).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/**
 * @typedef {object} SizeResult
 * @property {string} name - The package name (the entry's `name` in .size-limit.json).
 * @property {boolean} passed - Whether it is within its limit.
 * @property {number} size - Minified and gzipped bytes, everything the entry imports included.
 * @property {number} sizeLimit - The budget in bytes.
 */

/**
 * Runs size-limit on every entry of `.size-limit.json`.
 * @returns {Promise<SizeResult[]>}
 */
export async function measure() {
  // size-limit exits 1 when an entry is over its limit; its JSON report is printed either way.
  const { stdout } = await promisify(execFile)(bin('size-limit'), ['--json'], { cwd: root }).catch(
    (/** @type {{ stdout?: string }} */ error) => ({ stdout: error.stdout ?? '' }),
  );
  const report = JSON.parse(stdout);
  if (!Array.isArray(report)) throw new Error(`size-limit failed: ${stdout}`);
  return report;
}

/** @param {number} bytes */
export const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * Rewrites the size column of the README table between the packages-table markers.
 * @param {SizeResult[]} results
 */
async function writeReadme(results) {
  const file = join(root, 'README.md');
  const text = readFileSync(file, 'utf8');
  const next = text.replace(
    /(<!-- packages-table:start -->)([\s\S]*?)(<!-- packages-table:end -->)/,
    (_all, start, table, end) => {
      const lines = table.split('\n').map((/** @type {string} */ line) => {
        const hit = results.find((r) => line.includes(`\`${r.name}\``));
        return hit ? line.replace(/\|[^|]*\|\s*$/, `| ${kib(hit.size)} |`) : line;
      });
      return `${start}${lines.join('\n')}${end}`;
    },
  );
  writeFileSync(file, next);
  await promisify(execFile)(bin('prettier'), ['--write', file]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await measure();
  for (const r of results) console.log(`${r.name}: ${kib(r.size)} (limit ${kib(r.sizeLimit)})`);
  await writeReadme(results);
  console.log('README.md: size column refreshed');
}
