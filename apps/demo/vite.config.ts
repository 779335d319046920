import { defineConfig, defaultClientConditions } from 'vite';

/**
 * The demo resolves the workspace libraries from their TypeScript sources (the `@rbn/source`
 * export condition), so it never needs them built first.
 */
export default defineConfig({
  resolve: { conditions: ['@rbn/source', ...defaultClientConditions] },
  build: { target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1' },
});
