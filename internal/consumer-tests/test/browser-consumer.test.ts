import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../src/bundle';
import { buildBrowserConsumer, sessionOverWebRTC } from '../src/browser-consumer';
import { run } from '../src/consumer';
import { repoRoot } from '../src/workspace';
import { packedLibraries } from './tarballs';

const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const scenario = sessionOverWebRTC;
const created: string[] = [];

afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** Imports a module in a Node process stripped of the globals a browser does not have. */
const evaluateWithoutNodeGlobals = `
const url = process.argv[1];
for (const name of ['process', 'Buffer', 'global', 'setImmediate', 'clearImmediate', 'require']) {
  delete globalThis[name];
}
const mod = await import(url);
console.log('exports: ' + Object.keys(mod).join(','));
`;

describe('a browser consumer of the packed packages', () => {
  it('rejects a bundle that needs a Node built-in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbn-bundle-node-'));
    created.push(dir);
    writeFileSync(
      join(dir, 'main.js'),
      "import { EventEmitter } from 'events';\nexport const start = () => new EventEmitter();\n",
    );
    await expect(bundleForBrowser(dir, 'main.js')).rejects.toThrow(
      `Node built-in "events" imported by ${join(dir, 'main.js')}`,
    );
  });

  it('bundles @rbn/session + @rbn/transport-webrtc with Vite without any Node built-in or polyfill', async () => {
    const { dir, report } = await buildBrowserConsumer(packedLibraries(), scenario);
    created.push(dir);
    expect(readdirSync(join(dir, 'node_modules', '@rbn')).sort()).toEqual([
      'core',
      'protocol',
      'session',
      'transport-webrtc',
    ]);
    expect(existsSync(join(dir, 'node_modules', 'pako'))).toBe(false);
    run(process.execPath, [tsc, '-p', '.'], dir);
    expect(report.warnings).toEqual([]);

    const output = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        evaluateWithoutNodeGlobals,
        pathToFileURL(report.entryFile).href,
      ],
      dir,
    );
    expect(output.trim()).toBe('exports: start');
    console.log(
      `browser bundle (${scenario.install.join(' + ')}): ${report.gzipBytes} B gzipped, ${report.bytes} B minified, ${report.files.length} file(s)`,
    );
  });
});
