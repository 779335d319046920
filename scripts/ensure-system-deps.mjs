// Installs what the test suite needs from Debian's packages when it is missing:
// Chromium (browser tests), redis-server (signaling scale-out test) and coturn (the TURN relay
// test of @rbn/online; the test starts `turnserver` itself, the package's service stays off).
// Safe to run repeatedly; does nothing when everything is present.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = [
  { bin: '/usr/bin/chromium', pkg: 'chromium' },
  { bin: '/usr/bin/firefox-esr', pkg: 'firefox-esr' }, // cross-engine determinism test
  { bin: '/usr/bin/redis-server', pkg: 'redis-server' },
  { bin: '/usr/bin/turnserver', pkg: 'coturn' },
];
const missing = wanted.filter((w) => !existsSync(w.bin)).map((w) => w.pkg);
if (missing.length === 0) process.exit(0);

const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
console.log(`[rbn] installing system packages for the tests: ${missing.join(', ')}`);
try {
  execSync(`${sudo}apt-get update -qq`, { stdio: 'inherit' });
  execSync(
    `${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`,
    {
      stdio: 'inherit',
    },
  );
} catch (error) {
  console.error(
    `[rbn] could not install ${missing.join(', ')} with apt-get; install them yourself (Debian/Ubuntu: apt-get install ${missing.join(' ')}).`,
  );
  throw error;
}
