// `pnpm bench`: runs every suite in ./suites (or only those named on the command line), each of
// which measures rbn and rollback-netcode@0.0.6 side by side in this one process and prints a table.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'suites');
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

console.log(`rbn bench — node ${process.version}, ${process.platform}/${process.arch}`);
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as {
    default: () => Promise<void>;
  };
  await mod.default();
}
