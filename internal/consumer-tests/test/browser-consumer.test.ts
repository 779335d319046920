import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '@rbn/test-browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../src/bundle';
import type { BundleReport } from '../src/bundle';
import { buildBrowserConsumer, sessionOverWebRTC } from '../src/browser-consumer';
import { run } from '../src/consumer';
import { repoRoot } from '../src/workspace';
import { packedLibraries, scratchDir } from './tarballs';

const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const created: string[] = [];
let dir = '';
let report: BundleReport;

beforeAll(async () => {
  ({ dir, report } = await buildBrowserConsumer(
    packedLibraries(),
    sessionOverWebRTC,
    scratchDir('browser'),
  ));
  created.push(dir);
  console.log(
    `browser bundle (${sessionOverWebRTC.install.join(' + ')}): ${report.gzipBytes} B gzipped, ${report.bytes} B minified, ${report.files.length} file(s)`,
  );
});

afterAll(() => {
  for (const d of created) rmSync(d, { recursive: true, force: true });
});

/** Imports a module in a Node process stripped of the globals a browser does not have. */
const evaluateWithoutNodeGlobals = `
const url = process.argv[1];
for (const name of ['process', 'Buffer', 'global', 'setImmediate', 'clearImmediate', 'require']) {
  delete globalThis[name];
}
const mod = await import(url);
console.log('exports: ' + Object.keys(mod).sort().join(','));
`;

describe('a browser consumer of the packed packages (@rbn/session + @rbn/transport-webrtc)', () => {
  it('gets only session, transport-webrtc and their @rbn dependencies, no pako', () => {
    expect(readdirSync(join(dir, 'node_modules', '@rbn')).sort()).toEqual([
      'core',
      'protocol',
      'session',
      'transport-webrtc',
    ]);
    expect(existsSync(join(dir, 'node_modules', 'pako'))).toBe(false);
  });

  it('typechecks its entry against the published .d.ts (DOM lib, bundler resolution)', async () => {
    await run(process.execPath, [tsc, '-p', '.'], dir);
  });

  it('bundles with Vite without warnings or Node globals', async () => {
    expect(report.warnings).toEqual([]);
    const output = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        evaluateWithoutNodeGlobals,
        pathToFileURL(report.entryFile).href,
      ],
      dir,
    );
    expect(output.trim()).toBe('exports: probe,start');
  });

  it('runs in Chromium: creates a WebRTC transport and a session', async () => {
    const outDir = dirname(report.entryFile);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.route('http://rbn.test/**', async (route) => {
        const name = new URL(route.request().url()).pathname.slice(1);
        if (name === '') {
          await route.fulfill({
            contentType: 'text/html',
            body: '<!doctype html><title>rbn</title>',
          });
        } else if (readdirSync(outDir).includes(name)) {
          await route.fulfill({
            contentType: 'text/javascript',
            body: readFileSync(join(outDir, name)),
          });
        } else {
          await route.fulfill({ status: 404 });
        }
      });
      await page.goto('http://rbn.test/');
      // A string, so that vitest does not rewrite the browser-side import().
      const result: unknown = await page.evaluate(`(async () => {
        const mod = await import('/${basename(report.entryFile)}');
        return { exports: Object.keys(mod).sort(), state: mod.probe() };
      })()`);
      expect(errors).toEqual([]);
      expect(result).toEqual({ exports: ['probe', 'start'], state: 0 });
    } finally {
      await browser.close();
    }
  });

  it('rejects a bundle that needs a Node built-in', async () => {
    const scratch = scratchDir('bundle-node');
    created.push(scratch);
    writeFileSync(
      join(scratch, 'main.js'),
      "import { EventEmitter } from 'events';\nexport const start = () => new EventEmitter();\n",
    );
    await expect(bundleForBrowser(scratch, 'main.js')).rejects.toThrow(
      `Node built-in "events" imported by ${join(scratch, 'main.js')}`,
    );
  });
});
