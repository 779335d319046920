import { libraryConfig } from '../../tooling/tsup.js';

// The app is Node code plus a browser-safe client: built as plain ESM, no declarations needed.
export default libraryConfig({
  entry: ['src/index.ts', 'src/client.ts', 'src/cli.ts'],
  platform: 'node',
  target: 'node20',
  dts: false,
});
