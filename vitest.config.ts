import { defineConfig } from 'vitest/config';

const projects = [
  'packages/protocol',
  'packages/core',
  'packages/session',
  'packages/transport-local',
  'packages/transport-transform',
  'packages/transport-webrtc',
  'internal/transport-conformance',
  'apps/signaling',
  'apps/demo',
  'bench',
];

export default defineConfig({
  resolve: { conditions: ['@rbn/source'] },
  test: {
    projects: projects.map((root) => ({
      extends: true,
      test: {
        name: root.split('/').pop() ?? root,
        root,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 30_000,
      },
    })),
  },
});
