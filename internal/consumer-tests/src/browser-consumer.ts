import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleForBrowser } from './bundle';
import type { BundleReport } from './bundle';
import { createConsumer } from './consumer';
import type { Tarballs } from './pack';

/** The fixtures folder of this package. */
export const fixturesDir = join(import.meta.dirname, '..', 'fixtures');

/** A browser consumer: what it installs and which entry it bundles. */
export type BrowserScenario = {
  /** The `@rbn/*` packages installed from tarballs. */
  install: string[];
  /** The fixture folder holding `main.ts` and `tsconfig.json`. */
  fixture: string;
};

/** The browser consumer of the issue: `@rbn/session` + `@rbn/transport-webrtc`. */
export const sessionOverWebRTC: BrowserScenario = {
  install: ['@rbn/session', '@rbn/transport-webrtc'],
  fixture: 'browser',
};

/**
 * Creates the browser consumer project (outside the workspace, from the tarballs) and bundles
 * its entry with Vite.
 * @param tarballs - The packed libraries.
 * @param scenario - What to install and bundle.
 * @returns The project folder and the bundle report.
 */
export async function buildBrowserConsumer(
  tarballs: Tarballs,
  scenario: BrowserScenario = sessionOverWebRTC,
): Promise<{ dir: string; report: BundleReport }> {
  const fixture = join(fixturesDir, scenario.fixture);
  const dir = createConsumer({
    name: 'browser',
    install: scenario.install,
    tarballs,
    // @thaunknown/simple-peer depends on webrtc-polyfill, whose Node side is the native
    // node-datachannel: its install script downloads a prebuilt binary from GitHub (or compiles
    // it). A browser bundle never loads it, so skip install scripts as pnpm 10 does by default.
    ignoreScripts: true,
    files: {
      'src/main.ts': readFileSync(join(fixture, 'main.ts'), 'utf8'),
      'tsconfig.json': readFileSync(join(fixture, 'tsconfig.json'), 'utf8'),
    },
  });
  return { dir, report: await bundleForBrowser(dir, 'src/main.ts') };
}
