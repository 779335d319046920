// Dependency hygiene of the workspace (`pnpm check:deps`; also run by internal/consumer-tests):
// - every package declares what it imports: a published library's runtime code (what its entry reaches)
//   only imports its `dependencies`/`peerDependencies`; tests, configs and private packages may
//   also use `devDependencies` (and, for tests and configs, the root's dev tools such as vitest);
// - every runtime `dependencies` entry of a published library is imported by its runtime code
//   (the modules its entry reaches; a library still an empty `export {}` shell is skipped);
// - some third-party packages belong to exactly one library (pako → transport-transform,
//   simple-peer → transport-webrtc): no other library declares or imports them, and no other
//   workspace package lists them in `dependencies`;
// - no code is copied between libraries (shared code lives in the lowest package needing it):
//   neither a whole module nor a top-level function or const declaration of meaningful size
//   (compared without comments, types and local names, so a renamed or retyped copy counts too;
//   a copy that differs by a line or two still counts, see COPY_SIMILARITY).
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

/**
 * Copied declarations that are known and scheduled to move; each is reported but does not fail
 * the check. An entry names the declaration and the libraries holding the copies. Remove an entry
 * once the copy is gone: an entry whose packages are all in the workspace but match no copy is a
 * problem, so the list cannot outlive its reason.
 * @type {readonly { name: string, packages: readonly string[] }[]}
 */
export const ALLOWED_COPIES = [];

/**
 * Fewest tokens (without comments and types) a top-level declaration needs before a copy of it
 * is worth reporting: `const MAX = 64;` is not, a ten-line helper is.
 */
export const MIN_COPY_TOKENS = 30;

/**
 * How alike two declarations must be to count as copies: the share of 4-token sequences they
 * have in common (Jaccard). A renamed copy scores 1, one with an extra `return` about 0.9, a
 * 35-token table with one entry added about 0.78; in this repository, unrelated helpers of the
 * same shape (argument validators) stay below 0.6.
 */
export const COPY_SIMILARITY = 0.75;

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
 * @typedef {object} Declaration
 * @property {string} name - The declared name.
 * @property {string[]} tokens - Its normalized tokens (see {@link declarationsOf}).
 */

/**
 * The names a declaration binds inside itself (its own name, parameters, locals), which a copy
 * may rename without changing what it does.
 * @param {import('typescript').Node} node
 * @returns {string[]} in order of first appearance
 */
function boundNames(node) {
  /** @type {Set<string>} */
  const names = new Set();
  const visit = (/** @type {import('typescript').Node} */ n) => {
    const named = /** @type {{ name?: import('typescript').Node }} */ (n).name;
    if (
      (ts.isParameter(n) ||
        ts.isVariableDeclaration(n) ||
        ts.isBindingElement(n) ||
        ts.isFunctionDeclaration(n) ||
        ts.isFunctionExpression(n) ||
        ts.isClassDeclaration(n)) &&
      named !== undefined &&
      ts.isIdentifier(named)
    ) {
      names.add(named.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return [...names];
}

/**
 * The top-level function declarations (with a body) and `const` declarations of a module, each
 * as tokens normalized so that a copy matches however it was reformatted, re-commented, retyped
 * or renamed: no comments or whitespace, no type annotations or `export`/`declare` modifiers, and
 * every name bound inside the declaration replaced by its position (`$0`, `$1`, …).
 * @param {string} text - The module's source.
 * @param {string} [fileName] - For the parser (its extension picks TS or JS).
 * @returns {Declaration[]}
 */
export function declarationsOf(text, fileName = 'module.ts') {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  /** @type {[string, import('typescript').Node][]} */
  const found = [];
  for (const statement of sf.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.body && statement.name) {
      found.push([statement.name.text, statement]);
    } else if (
      ts.isVariableStatement(statement) &&
      (statement.declarationList.flags & ts.NodeFlags.Const) !== 0
    ) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer) found.push([d.name.text, d]);
      }
    }
  }
  const K = ts.SyntaxKind;
  const isTypeOnly = (/** @type {import('typescript').Node} */ n) =>
    ts.isTypeNode(n) ||
    n.kind === K.TypeParameter ||
    (n.kind >= K.FirstJSDocNode && n.kind <= K.LastJSDocNode);
  return found.map(([name, node]) => {
    const bound = boundNames(node);
    /** @type {string[]} */
    const tokens = [];
    const walk = (/** @type {import('typescript').Node} */ n) => {
      const children = n.getChildren(sf);
      if (children.length === 0) {
        if (n.kind === K.ExportKeyword || n.kind === K.DeclareKeyword) return;
        const text = n.getText(sf);
        const parent = n.parent;
        const isKey =
          (ts.isPropertyAccessExpression(parent) && parent.name === n) ||
          (ts.isPropertyAssignment(parent) && parent.name === n);
        const index = ts.isIdentifier(n) && !isKey ? bound.indexOf(text) : -1;
        tokens.push(index >= 0 ? `$${index}` : text);
        return;
      }
      children.forEach((child, i) => {
        if (isTypeOnly(child)) return;
        // The `:` or `?:` before a type annotation goes with the type.
        const next = children[i + 1];
        if (child.kind === K.ColonToken && next !== undefined && isTypeOnly(next)) return;
        walk(child);
      });
    };
    walk(node);
    return { name, tokens };
  });
}

/**
 * How alike two token lists are: shared 4-token sequences over all distinct ones (Jaccard).
 * @param {Set<string>} a - The 4-grams of one declaration.
 * @param {Set<string>} b - The 4-grams of the other.
 * @returns {number} from 0 (nothing shared) to 1 (the same sequences)
 */
function similarity(a, b) {
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared++;
  const all = a.size + b.size - shared;
  return all === 0 ? 1 : shared / all;
}

/** @param {string[]} tokens @returns {Set<string>} */
function grams(tokens) {
  /** @type {Set<string>} */
  const out = new Set();
  for (let i = 0; i + 4 <= tokens.length; i++) out.add(tokens.slice(i, i + 4).join('\u0000'));
  return out;
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
 * @typedef {object} DeclarationCopy
 * @property {string} name - The declared name (of the later copy).
 * @property {string} pkg - The package holding the later copy.
 * @property {string} rel - Its file, relative to that package.
 * @property {string} originalName - The declared name of the earlier one.
 * @property {string} originalPkg - The package holding the earlier one.
 * @property {string} originalRel - Its file, relative to that package.
 * @property {number} similarity - From COPY_SIMILARITY to 1.
 */

/**
 * Checks the dependency rules over a workspace.
 * @param {string} root - The workspace root (holds pnpm-workspace.yaml and the root package.json).
 * @param {{ allowedCopies?: readonly { name: string, packages: readonly string[] }[] }} [options] -
 *   `allowedCopies` (default {@link ALLOWED_COPIES}): copied declarations that are reported in
 *   `allowedCopies` of the result instead of as problems.
 * @returns {{ problems: Problem[], allowedCopies: DeclarationCopy[], packages: { name: string, dir: string, library: boolean, shell: boolean, files: number }[] }}
 */
export function checkDependencies(root, options = {}) {
  const allowlist = options.allowedCopies ?? ALLOWED_COPIES;
  /** @type {Manifest} */
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));
  /** @type {Problem[]} */
  const problems = [];
  const packages = [];
  /** @type {Map<string, { pkg: string, rel: string }>} */
  const moduleHashes = new Map();
  /** @type {{ pkg: string, rel: string, name: string, tokens: string[], grams: Set<string> }[]} */
  const declarations = [];

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
      let copiedModule = false;
      if (library && !devFile) {
        const normalized = text.replace(/\s+/g, ' ').trim();
        if (normalized.split(' ').length >= 40) {
          const hash = createHash('sha256').update(normalized).digest('hex');
          const seen = moduleHashes.get(hash);
          if (seen && seen.pkg !== pkg) {
            copiedModule = true;
            problems.push({
              pkg,
              message: `${rel} is a copy of ${seen.pkg}/${seen.rel}: move it to the lowest package that needs it and import it from there`,
            });
          } else if (!seen) {
            moduleHashes.set(hash, { pkg, rel });
          }
        }
        // Copied declarations (unless the whole module was already reported as a copy).
        for (const d of copiedModule ? [] : declarationsOf(text, file)) {
          if (d.tokens.length >= MIN_COPY_TOKENS) {
            declarations.push({ pkg, rel, ...d, grams: grams(d.tokens) });
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
  const { copies, stale } = declarationCopies(
    declarations,
    allowlist,
    new Set(packages.map((p) => p.name)),
  );
  /** @type {DeclarationCopy[]} */
  const allowedCopies = [];
  for (const copy of copies) {
    if (copy.allowed) {
      allowedCopies.push(copy.copy);
    } else {
      const c = copy.copy;
      const same = c.name === c.originalName ? '' : ` (there: ${c.originalName})`;
      problems.push({
        pkg: c.pkg,
        message: `${c.rel}: ${c.name} is a copy of ${c.originalPkg}/${c.originalRel}${same}, ${Math.round(c.similarity * 100)}% alike: move it to the lowest package that needs it and import it from there`,
      });
    }
  }
  for (const entry of stale) {
    problems.push({
      pkg: entry.packages.join(', '),
      message: `ALLOWED_COPIES in scripts/check-deps.mjs lists ${entry.name} in ${entry.packages.join(' and ')}, but it is no longer copied there: remove the entry`,
    });
  }
  return { problems, allowedCopies, packages };
}

/**
 * Finds the declarations that are copies of one in another package, and the allowlist entries
 * that match no copy.
 * @param {{ pkg: string, rel: string, name: string, tokens: string[], grams: Set<string> }[]} declarations
 * @param {readonly { name: string, packages: readonly string[] }[]} allowlist
 * @param {Set<string>} workspacePackages - Every package name in the workspace.
 * @returns {{ copies: { copy: DeclarationCopy, allowed: boolean }[], stale: { name: string, packages: readonly string[] }[] }}
 */
function declarationCopies(declarations, allowlist, workspacePackages) {
  /** @type {{ copy: DeclarationCopy, allowed: boolean }[]} */
  const copies = [];
  const used = new Set();
  declarations.forEach((b, j) => {
    // Report each declaration once, against the most alike earlier declaration of another package.
    let best = null;
    let bestScore = 0;
    for (const a of declarations.slice(0, j)) {
      if (a.pkg === b.pkg) continue;
      const score = similarity(a.grams, b.grams);
      if (score >= COPY_SIMILARITY && score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
    if (best === null) return;
    const a = best;
    const entry = allowlist.find(
      (e) =>
        (e.name === a.name || e.name === b.name) &&
        e.packages.includes(a.pkg) &&
        e.packages.includes(b.pkg),
    );
    if (entry) used.add(entry);
    copies.push({
      copy: {
        name: b.name,
        pkg: b.pkg,
        rel: b.rel,
        originalName: a.name,
        originalPkg: a.pkg,
        originalRel: a.rel,
        similarity: bestScore,
      },
      allowed: entry !== undefined,
    });
  });
  const stale = allowlist.filter(
    (e) => !used.has(e) && e.packages.every((name) => workspacePackages.has(name)),
  );
  return { copies, stale };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? process.cwd());
  const { problems, allowedCopies, packages } = checkDependencies(root);
  for (const p of packages) {
    const count = problems.filter((q) => q.pkg === p.name).length;
    console.log(
      `${count === 0 ? 'ok  ' : 'FAIL'} ${p.name} (${p.library ? 'library' : 'private'}, ${p.files} files${p.shell ? '; empty shell: unused dependencies not checked yet' : ''})`,
    );
  }
  for (const c of allowedCopies) {
    console.log(
      `  allowed for now (ALLOWED_COPIES): ${c.pkg}/${c.rel}: ${c.name} copies ${c.originalPkg}/${c.originalRel} (${Math.round(c.similarity * 100)}% alike)`,
    );
  }
  for (const p of problems) console.error(`  ${p.pkg}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`\ncheck-deps: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log('check-deps: every package declares exactly what it imports');
}
