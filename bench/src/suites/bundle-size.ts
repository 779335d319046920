// Browser bundle size of what a game ships: rbn's session + WebRTC transport, installed from the
// packed tarballs outside the workspace and bundled by Vite (internal/consumer-tests), beside
// rollback-netcode@0.0.6's equivalent entry (createSession + WebRTCTransport) bundled the same way.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from '../table';

type Sizes = {
  bytes: number;
  gzipBytes: number;
  entryGzipBytes: number;
  files: number;
  warnings: number;
};

/** Builds both bundles and prints their sizes side by side. */
export default async function bundleSize(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  // rollback-netcode's exports map has only ".": its folder is two levels above dist/index.js.
  const competitor = dirname(dirname(fileURLToPath(import.meta.resolve('rollback-netcode'))));
  execFileSync(
    join(root, 'node_modules', '.bin', 'turbo'),
    ['run', 'build', '--filter=./packages/*', '--output-logs=errors-only'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'src/bundle-size-cli.ts', competitor],
    { cwd: join(root, 'internal', 'consumer-tests'), encoding: 'utf8' },
  );
  const sizes = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
    rbn: Sizes;
    competitor: Sizes;
  };
  const kb = (bytes: number) => bytes / 1024;
  printTable('Browser bundle: session + WebRTC transport (Vite production build)', [
    {
      metric: 'total, gzipped',
      unit: 'KiB',
      rbn: kb(sizes.rbn.gzipBytes),
      competitor: kb(sizes.competitor.gzipBytes),
    },
    {
      metric: 'entry chunk, gzipped',
      unit: 'KiB',
      rbn: kb(sizes.rbn.entryGzipBytes),
      competitor: kb(sizes.competitor.entryGzipBytes),
    },
    {
      metric: 'total, minified',
      unit: 'KiB',
      rbn: kb(sizes.rbn.bytes),
      competitor: kb(sizes.competitor.bytes),
    },
    { metric: 'JS files', rbn: sizes.rbn.files, competitor: sizes.competitor.files },
    { metric: 'build warnings', rbn: sizes.rbn.warnings, competitor: sizes.competitor.warnings },
  ]);
  await Promise.resolve();
}
