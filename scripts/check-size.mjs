// Size budget of every library (`pnpm size`; also run by internal/consumer-tests in `pnpm test`):
// bundles each package's built public entry (dist/index.js, everything it imports included, as a
// browser app would ship it) with esbuild, minified, gzips it and compares the result with the
// package's budget in size-budget.json. Growth past a budget fails: raise the budget on purpose,
// in the same change, with the reason in its changeset.
// `pnpm size --write-readme` also refreshes the size column of the root README's packages table.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const fromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
/** @type {typeof import('esbuild')} */
const esbuild = fromTsup('esbuild');

/**
 * @typedef {object} SizeResult
 * @property {string} name - The package name.
 * @property {string} folder - Its folder under packages/.
 * @property {number} bytes - Minified bundle size.
 * @property {number} gzipBytes - Gzipped (level 9) bundle size.
 * @property {number} budget - The gzipped budget from size-budget.json.
 */

/**
 * Reads size-budget.json: gzipped bytes allowed per package.
 * @returns {Record<string, number>}
 */
export function readBudgets() {
  const config = JSON.parse(readFileSync(join(root, 'size-budget.json'), 'utf8'));
  return config.gzipBytes;
}

/**
 * Bundles and measures one entry file for browsers.
 * @param {string} entry - Absolute path of the module to bundle.
 * @returns {Promise<{ bytes: number, gzipBytes: number }>}
 */
export async function measureEntry(entry) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array(0);
  return { bytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

/**
 * Measures every library package's built entry against its budget.
 * @returns {Promise<SizeResult[]>}
 */
export async function measurePackages() {
  const budgets = readBudgets();
  /** @type {SizeResult[]} */
  const results = [];
  for (const folder of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', folder);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (manifest.private === true) continue;
    const entry = join(dir, 'dist', 'index.js');
    if (!existsSync(entry)) throw new Error(`${manifest.name} is not built: run \`pnpm build\``);
    const budget = budgets[manifest.name];
    if (budget === undefined)
      throw new Error(`size-budget.json has no budget for ${manifest.name}`);
    results.push({ name: manifest.name, folder, ...(await measureEntry(entry)), budget });
  }
  return results;
}

/** @param {number} bytes */
export const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * Rewrites the size column of the README table between the packages-table markers.
 * @param {SizeResult[]} results
 */
function writeReadme(results) {
  const file = join(root, 'README.md');
  const text = readFileSync(file, 'utf8');
  const next = text.replace(
    /(<!-- packages-table:start -->)([\s\S]*?)(<!-- packages-table:end -->)/,
    (_all, start, table, end) => {
      const lines = table.split('\n').map((/** @type {string} */ line) => {
        const hit = results.find((r) => line.includes(`\`${r.name}\``));
        return hit ? line.replace(/\|[^|]*\|\s*$/, `| ${kib(hit.gzipBytes)} |`) : line;
      });
      return `${start}${lines.join('\n')}${end}`;
    },
  );
  writeFileSync(file, next);
  execFileSync(join(root, 'node_modules', '.bin', 'prettier'), ['--write', file], {
    stdio: 'ignore',
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await measurePackages();
  console.log('| package | minified | gzipped | budget (gzipped) | used |');
  console.log('|---|---|---|---|---|');
  for (const r of results) {
    const used = `${Math.round((r.gzipBytes / r.budget) * 100)}%`;
    console.log(
      `| ${r.name} | ${kib(r.bytes)} | ${kib(r.gzipBytes)} | ${kib(r.budget)} | ${used} |`,
    );
  }
  const over = results.filter((r) => r.gzipBytes > r.budget);
  for (const r of over) {
    console.error(
      `${r.name}: ${r.gzipBytes} B gzipped is over its budget of ${r.budget} B (size-budget.json)`,
    );
  }
  if (process.argv.includes('--write-readme')) writeReadme(results);
  if (over.length > 0) process.exit(1);
}
