// Prints, as JSON, the browser bundle sizes of the second consumer (@rbn/session +
// @rbn/transport-webrtc installed from the packed tarballs, bundled by Vite) and of
// rollback-netcode's equivalent entry. Used by bench/src/suites/bundle-size.ts.
// Usage: tsx src/bundle-size-cli.ts <folder of the installed rollback-netcode package>
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleForBrowser } from './bundle';
import { buildBrowserConsumer, fixturesDir, sessionOverWebRTC } from './browser-consumer';
import { packLibraries } from './pack';
import { assertLibrariesBuilt } from './workspace';

const competitorPackage = process.argv[2];
if (competitorPackage === undefined) {
  throw new Error('usage: bundle-size-cli <folder of the installed rollback-netcode package>');
}
assertLibrariesBuilt();

const scratch = mkdtempSync(join(tmpdir(), 'rbn-bundle-size-'));
try {
  const tarballs = packLibraries(scratch);
  const rbn = await buildBrowserConsumer(tarballs, sessionOverWebRTC);
  rmSync(rbn.dir, { recursive: true, force: true });

  // The competitor as installed in bench/ (with its optional pako peer), linked into a project.
  const competitorDir = join(scratch, 'competitor');
  mkdirSync(join(competitorDir, 'src'), { recursive: true });
  mkdirSync(join(competitorDir, 'node_modules'));
  symlinkSync(
    realpathSync(competitorPackage),
    join(competitorDir, 'node_modules', 'rollback-netcode'),
  );
  writeFileSync(
    join(competitorDir, 'src', 'main.ts'),
    readFileSync(join(fixturesDir, 'competitor', 'main.ts'), 'utf8'),
  );
  const competitor = await bundleForBrowser(competitorDir, 'src/main.ts');

  const summary = (r: typeof competitor) => ({
    bytes: r.bytes,
    gzipBytes: r.gzipBytes,
    entryGzipBytes: r.files[0]?.gzipBytes ?? 0,
    files: r.files.length,
    warnings: r.warnings.length,
  });
  console.log(JSON.stringify({ rbn: summary(rbn.report), competitor: summary(competitor) }));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
