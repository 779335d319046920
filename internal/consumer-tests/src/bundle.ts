import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import type { Plugin, Rollup } from 'vite';

/** One emitted JavaScript file of a browser bundle. */
export type BundleFile = {
  /** The file name inside the output folder. */
  name: string;
  /** Minified size in bytes. */
  bytes: number;
  /** Size after gzip (level 9) in bytes. */
  gzipBytes: number;
};

/** What {@link bundleForBrowser} built. */
export type BundleReport = {
  /** The JavaScript files, entry first. */
  files: BundleFile[];
  /** Sum of `bytes` over all files. */
  bytes: number;
  /** Sum of `gzipBytes` over all files. */
  gzipBytes: number;
  /** Every warning Vite/Rollup reported. */
  warnings: string[];
  /** Absolute path of the entry chunk. */
  entryFile: string;
};

/**
 * Builds `entry` for browsers with Vite's production defaults and no Node polyfills: an import of
 * a Node built-in (even one a polyfill package could satisfy) fails the build; warnings are
 * collected.
 * @param root - The project folder (its `node_modules` resolves the imports).
 * @param entry - The entry module, relative to `root`.
 * @param outDir - The output folder, relative to `root`.
 * @returns The emitted files with their sizes, and the warnings.
 * @throws Error naming the built-in when anything imports one.
 */
export async function bundleForBrowser(
  root: string,
  entry: string,
  outDir = 'dist',
): Promise<BundleReport> {
  const warnings: string[] = [];
  const noNodeBuiltins: Plugin = {
    name: 'rbn:no-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (isBuiltin(source)) {
        this.error(
          `Node built-in "${source}" imported by ${importer ?? '?'}: a browser would need a polyfill`,
        );
      }
      return null;
    },
  };
  const result = await build({
    configFile: false,
    root,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      modulePreload: false,
      reportCompressedSize: false,
      rollupOptions: {
        input: join(root, entry),
        preserveEntrySignatures: 'exports-only',
        onwarn(warning) {
          warnings.push(warning.message);
        },
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const chunks = outputs
    .flatMap((o) => o.output)
    .filter((o): o is Rollup.OutputChunk => o.type === 'chunk')
    .sort((a, b) => Number(b.isEntry) - Number(a.isEntry));
  const files = chunks.map((chunk) => {
    const code = readFileSync(join(root, outDir, chunk.fileName));
    if (code.includes('__vite-browser-external')) {
      throw new Error(`${chunk.fileName} contains a Node built-in stubbed out by Vite`);
    }
    return {
      name: chunk.fileName,
      bytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    };
  });
  const entryChunk = chunks[0];
  if (entryChunk === undefined || !entryChunk.isEntry) throw new Error('vite emitted no entry');
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
    warnings,
    entryFile: join(root, outDir, entryChunk.fileName),
  };
}
