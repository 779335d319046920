#!/usr/bin/env node
// The `rbn-signaling` bin. A committed shim rather than `dist/cli.js` itself, so that pnpm can link
// the bin on a fresh install, before anything is built (pnpm warns "Failed to create bin" for a
// bin that does not exist yet). It runs the built server in this same process.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'rbn-signaling: not built yet; run `pnpm build` (or `pnpm --filter signaling start`).',
  );
  process.exit(1);
}
await import(cli.href);
