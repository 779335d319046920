#!/usr/bin/env node
import { readConfig, settingNames } from './config.js';
import { createSignalingServer } from './server.js';

if (process.argv.includes('--help')) {
  console.log('rbn-signaling [flags]\n\nEvery flag also reads from an environment variable:');
  for (const { flag, env } of settingNames) console.log(`  --${flag.padEnd(24)} ${env}`);
  process.exit(0);
}

const options = readConfig(process.argv.slice(2), process.env);
const server = await createSignalingServer(options);
console.error(`rbn-signaling listening on ${server.wsUrl} (pid ${process.pid})`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.error(`rbn-signaling: ${signal}, draining`);
  const hardDeadline = setTimeout(
    () => process.exit(1),
    (options.shutdownTimeoutMs ?? 10_000) + 2_000,
  );
  hardDeadline.unref();
  server.close().then(
    () => {
      console.error('rbn-signaling: closed');
      process.exit(0);
    },
    () => process.exit(1),
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
