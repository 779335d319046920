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
 * @param parent - The folder to create the project in. @default the OS temp dir
 * @returns The project folder and the bundle report.
 */
export async function buildBrowserConsumer(
  tarballs: Tarballs,
  scenario: BrowserScenario = sessionOverWebRTC,
  parent?: string,
): Promise<{ dir: string; report: BundleReport }> {
  const fixture = join(fixturesDir, scenario.fixture);
  const dir = await createConsumer({
    name: 'browser',
    install: scenario.install,
    tarballs,
    ...(parent === undefined ? {} : { parent }),
    // Skip dependencies' install scripts, as pnpm 10 does by default. simple-peer (9.x, the
    // transport's WebRTC library) and its dependencies have none today; this keeps it that way
    // should one gain a native part (a Node WebRTC binding whose install downloads or compiles a
    // binary), which a browser bundle would never load.
    ignoreScripts: true,
    files: {
      'src/main.ts': readFileSync(join(fixture, 'main.ts'), 'utf8'),
      'tsconfig.json': readFileSync(join(fixture, 'tsconfig.json'), 'utf8'),
    },
  });
  return { dir, report: await bundleForBrowser(dir, 'src/main.ts') };
}
