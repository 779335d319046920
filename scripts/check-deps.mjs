// Dependency hygiene of the workspace (`pnpm check:deps`; also run by internal/consumer-tests):
// - every package declares what it imports: a published library's runtime code (what its entry reaches)
//   only imports its `dependencies`/`peerDependencies`; tests, configs and private packages may
//   also use `devDependencies` (and, for tests and configs, the root's dev tools such as vitest);
// - every runtime `dependencies` entry of a published library is imported by its runtime code
//   (the modules its entry reaches; a library still an empty `export {}` shell is skipped);
// - some third-party packages belong to exactly one library (pako → transport-transform,
//   simple-peer → transport-webrtc): no other library declares or imports them, and no other
//   workspace package lists them in `dependencies`;
// - no module is copied between libraries (shared code lives in the lowest package needing it).
// Exits 1 and lists the problems when any rule is broken.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** @type {typeof import('typescript')} */
const ts = require('typescript');

/** Third-party packages that exactly one library may use, by package name pattern. */
export const EXCLUSIVE = [
  { pattern: /^pako$/, owner: '@rbn/transport-transform', label: 'pako' },
  { pattern: /^(@[^/]+\/)?simple-peer$/, owner: '@rbn/transport-webrtc', label: 'simple-peer' },
];

const SOURCE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const SKIP_DIRS = new Set([
  'node_modules',
  'dist',
  '.tsbuild',
  '.turbo',
  'coverage',
  'test-results',
  'docs-html',
  // Code written for a different project (e.g. the consumer tests' throwaway projects).
  'fixtures',
]);
const builtins = new Set(builtinModules);

/**
 * @typedef {object} Manifest
 * @property {string} name
 * @property {boolean} [private]
 * @property {Record<string, string>} [dependencies]
 * @property {Record<string, string>} [devDependencies]
 * @property {Record<string, string>} [peerDependencies]
 * @property {Record<string, string>} [optionalDependencies]
 */

/**
 * @typedef {object} Problem
 * @property {string} pkg - The package name.
 * @property {string} message - What is wrong, naming the file and the dependency.
 */

/**
 * Whether a file is a test, a config or a helper script (not shipped runtime code).
 * @param {string} rel - Path relative to the package folder, with `/` separators.
 */
export function isDevFile(rel) {
  return (
    /(^|\/)(test|tests|__tests__|e2e|scripts)\//.test(rel) ||
    /\.(test|spec|bench)\.[cm]?[jt]sx?$/.test(rel) ||
    /(^|\/)[^/]*\.config\.[cm]?[jt]s$/.test(rel) ||
    !rel.startsWith('src/')
  );
}

/**
 * The npm package a module specifier refers to, or `null` for relative paths, built-ins,
 * subpath imports and virtual modules.
 * @param {string} specifier
 * @returns {string | null}
 */
export function packageOf(specifier) {
  const bare = specifier.split('?')[0] ?? specifier;
  if (/^(\.|\/|#|virtual:|node:|data:|https?:)/.test(bare) || bare === '') return null;
  const parts = bare.split('/');
  const name = bare.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? bare);
  return builtins.has(name) ? null : name;
}

/**
 * The package names a source file imports (static and dynamic imports, re-exports, require).
 * @param {string} text - The file's source.
 * @returns {string[]}
 */
export function importsOf(text) {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => packageOf(f.fileName))
    .filter(/** @returns {name is string} */ (name) => name !== null);
}

/** @param {string} dir @returns {string[]} absolute paths of source files under dir */
function sourceFiles(dir) {
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(join(d, entry.name));
      } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push(join(d, entry.name));
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * The relative module specifiers a source file imports.
 * @param {string} text
 * @returns {string[]}
 */
function relativeImportsOf(text) {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((f) => f.startsWith('.'));
}

/**
 * Resolves a relative specifier the way TypeScript's bundler resolution does (`./x.js` → `./x.ts`).
 * @param {string} from - The importing file.
 * @param {string} specifier
 * @returns {string | null}
 */
function resolveRelative(from, specifier) {
  const base = resolve(from, '..', specifier);
  const stem = base.replace(/\.[cm]?jsx?$/, '');
  const candidates = [
    base,
    ...['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs'].map((ext) => stem + ext),
    ...['index.ts', 'index.tsx', 'index.js'].map((f) => join(base, f)),
  ];
  return candidates.find((c) => existsSync(c) && SOURCE.test(c)) ?? null;
}

/**
 * The runtime files of a library: every module reachable through relative imports from its
 * public entries (the `@rbn/source` targets of its `exports`, else `src/index.ts`).
 * @param {string} dir
 * @param {unknown} exportsField
 * @returns {Set<string>}
 */
export function runtimeFiles(dir, exportsField) {
  /** @type {string[]} */
  const entries = [];
  const visit = (/** @type {unknown} */ node, /** @type {string | null} */ condition) => {
    if (typeof node === 'string') {
      if (condition === '@rbn/source') entries.push(join(dir, node));
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        visit(value, key.startsWith('.') ? condition : key);
      }
    }
  };
  visit(exportsField, null);
  if (entries.length === 0) entries.push(join(dir, 'src', 'index.ts'));
  const seen = new Set();
  const queue = entries.filter((e) => existsSync(e));
  while (queue.length > 0) {
    const file = /** @type {string} */ (queue.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of relativeImportsOf(readFileSync(file, 'utf8'))) {
      const target = resolveRelative(file, spec);
      if (target && !seen.has(target)) queue.push(target);
    }
  }
  return seen;
}

/**
 * Whether a library is still an empty shell (its `src/index.ts` exports nothing).
 * @param {string} dir
 */
export function isShell(dir) {
  const index = join(dir, 'src', 'index.ts');
  if (!existsSync(index)) return true;
  const code = readFileSync(index, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .trim();
  return code === '' || code === 'export {};';
}

/**
 * The workspace's package folders, from the globs of pnpm-workspace.yaml (`dir/*` or `dir`).
 * @param {string} root
 * @returns {string[]}
 */
export function workspaceDirs(root) {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const section = yaml.split(/^packages:\s*$/m)[1] ?? '';
  /** @type {string[]} */
  const dirs = [];
  for (const line of section.split('\n')) {
    const m = /^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/.exec(line);
    if (!m) {
      if (/^\S/.test(line)) break;
      continue;
    }
    const glob = m[1] ?? '';
    if (glob.endsWith('/*')) {
      const base = join(root, glob.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const d of readdirSync(base).sort()) {
        if (existsSync(join(base, d, 'package.json'))) dirs.push(join(base, d));
      }
    } else if (existsSync(join(root, glob, 'package.json'))) {
      dirs.push(join(root, glob));
    }
  }
  return dirs;
}

/**
 * Checks the dependency rules over a workspace.
 * @param {string} root - The workspace root (holds pnpm-workspace.yaml and the root package.json).
 * @returns {{ problems: Problem[], packages: { name: string, dir: string, library: boolean, shell: boolean, files: number }[] }}
 */
export function checkDependencies(root) {
  /** @type {Manifest} */
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));
  /** @type {Problem[]} */
  const problems = [];
  const packages = [];
  /** @type {Map<string, { pkg: string, rel: string }>} */
  const moduleHashes = new Map();

  for (const dir of workspaceDirs(root)) {
    /** @type {Manifest} */
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const pkg = manifest.name;
    const library = manifest.private !== true;
    const runtime = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]);
    const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
    /** @type {Map<string, string>} name → first runtime file importing it */
    const usedAtRuntime = new Map();
    const files = sourceFiles(dir);
    const shell = library && isShell(dir);
    const shipped = library ? runtimeFiles(dir, /** @type {any} */ (manifest).exports) : null;
    packages.push({ name: pkg, dir, library, shell, files: files.length });

    for (const file of files) {
      const rel = relative(dir, file).split(sep).join('/');
      // A library's runtime code is what its entry reaches; in private packages, judge by path.
      const devFile = shipped ? !shipped.has(file) : isDevFile(rel);
      const text = readFileSync(file, 'utf8');
      for (const name of new Set(importsOf(text))) {
        if (name === pkg) continue;
        if (!devFile) usedAtRuntime.set(name, usedAtRuntime.get(name) ?? rel);
        const declared =
          library && !devFile
            ? runtime.has(name)
            : runtime.has(name) ||
              dev.has(name) ||
              dev.has(`@types/${name}`) ||
              (devFile && (rootDev.has(name) || rootDev.has(`@types/${name}`)));
        if (!declared) {
          const where =
            library && !devFile
              ? '`dependencies` or `peerDependencies`'
              : devFile
                ? 'its package.json (or the root devDependencies, for tools)'
                : 'its package.json';
          problems.push({
            pkg,
            message: `${rel} imports '${name}', which is not declared in ${where}`,
          });
        }
        for (const rule of EXCLUSIVE) {
          if (library && pkg !== rule.owner && rule.pattern.test(name)) {
            problems.push({
              pkg,
              message: `${rel} imports '${name}': ${rule.label} belongs to ${rule.owner} only`,
            });
          }
        }
      }
      // Copied modules: the same non-trivial runtime file in two libraries.
      if (library && !devFile) {
        const normalized = text.replace(/\s+/g, ' ').trim();
        if (normalized.split(' ').length >= 40) {
          const hash = createHash('sha256').update(normalized).digest('hex');
          const seen = moduleHashes.get(hash);
          if (seen && seen.pkg !== pkg) {
            problems.push({
              pkg,
              message: `${rel} is a copy of ${seen.pkg}/${seen.rel}: move it to the lowest package that needs it and import it from there`,
            });
          } else if (!seen) {
            moduleHashes.set(hash, { pkg, rel });
          }
        }
      }
    }

    for (const rule of EXCLUSIVE) {
      const fields = library
        ? ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']
        : ['dependencies'];
      for (const field of fields) {
        const deps = /** @type {Record<string, string> | undefined} */ (
          /** @type {Record<string, unknown>} */ (manifest)[field]
        );
        for (const name of Object.keys(deps ?? {})) {
          const typesOf = name.startsWith('@types/') ? name.slice('@types/'.length) : name;
          if (pkg !== rule.owner && rule.pattern.test(typesOf)) {
            problems.push({
              pkg,
              message: `declares '${name}' in ${field}: ${rule.label} belongs to ${rule.owner} only`,
            });
          }
        }
      }
    }

    if (library && !shell) {
      for (const name of Object.keys(manifest.dependencies ?? {})) {
        if (!usedAtRuntime.has(name)) {
          problems.push({
            pkg,
            message: `declares '${name}' in dependencies but none of its runtime code (what src/index.ts reaches) imports it: remove it or move it to devDependencies`,
          });
        }
      }
    }
  }
  return { problems, packages };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? process.cwd());
  const { problems, packages } = checkDependencies(root);
  for (const p of packages) {
    const count = problems.filter((q) => q.pkg === p.name).length;
    console.log(
      `${count === 0 ? 'ok  ' : 'FAIL'} ${p.name} (${p.library ? 'library' : 'private'}, ${p.files} files${p.shell ? '; empty shell: unused dependencies not checked yet' : ''})`,
    );
  }
  for (const p of problems) console.error(`  ${p.pkg}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`\ncheck-deps: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log('check-deps: every package declares exactly what it imports');
}
