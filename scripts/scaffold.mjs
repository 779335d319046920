// One-off scaffolding of the library packages (kept for adding new ones consistently).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';

const pkgs = {
  protocol: ['Message types, the binary wire codec and the TransportAdapter contract of rbn.', {}],
  core: [
    'The rbn rollback engine: input and snapshot buffers, prediction, resimulation, sync test.',
    { '@rbn/protocol': 'workspace:^' },
  ],
  session: [
    'rbn sessions: rooms, star and mesh topologies, input exchange, desync recovery, late join and spectators.',
    { '@rbn/core': 'workspace:^', '@rbn/protocol': 'workspace:^' },
  ],
  'transport-local': [
    'In-memory rbn transport with seeded latency, jitter, loss, duplication and reordering.',
    { '@rbn/protocol': 'workspace:^' },
  ],
  'transport-transform': [
    'rbn transport wrapper: compression (pako) and segmentation with bounded reassembly.',
    { '@rbn/protocol': 'workspace:^' },
  ],
  'transport-webrtc': [
    'rbn transport over WebRTC data channels (simple-peer), with plain-JSON signaling callbacks.',
    { '@rbn/protocol': 'workspace:^' },
  ],
};
const refs = { '@rbn/protocol': '../protocol', '@rbn/core': '../core' };
for (const [name, [description, deps]] of Object.entries(pkgs)) {
  const dir = `packages/${name}`;
  mkdirSync(`${dir}/src`, { recursive: true });
  const pkg = {
    name: `@rbn/${name}`,
    version: '0.0.0',
    description,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    exports: {
      '.': {
        '@rbn/source': './src/index.ts',
        types: './dist/index.d.ts',
        import: './dist/index.js',
        default: './dist/index.js',
      },
      './package.json': './package.json',
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist'],
    engines: { node: '>=20' },
    repository: { type: 'git', url: 'git+https://github.com/rbn-netcode/rbn.git', directory: dir },
    publishConfig: {
      access: 'public',
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' },
        './package.json': './package.json',
      },
    },
    scripts: {
      build: 'tsup',
      lint: 'eslint src && node ../../scripts/check-package.mjs',
      test: `vitest run --root ../.. --project ${name}`,
    },
    dependencies: deps,
  };
  writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
  writeFileSync(
    `${dir}/tsconfig.json`,
    JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: {
          outDir: '.tsbuild',
          rootDir: 'src',
          tsBuildInfoFile: '.tsbuild/tsconfig.tsbuildinfo',
        },
        include: ['src'],
        references: Object.keys(deps).map((d) => ({ path: refs[d] })),
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(
    `${dir}/tsup.config.ts`,
    `import { libraryConfig } from '../../tooling/tsup';\n\nexport default libraryConfig();\n`,
  );
  if (!existsSync(`${dir}/src/index.ts`)) writeFileSync(`${dir}/src/index.ts`, `export {};\n`);
}
