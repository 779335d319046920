import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryPackages, readManifest, repoRoot, workspaceDirs } from '../src/workspace';
import { scratchDir } from './tarballs';

const clones: string[] = [];
afterEach(() => {
  for (const dir of clones.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Copies what `changeset version` reads (the workspace manifests and the changesets config, not
 * the pending changesets) into a temp folder, adds `changeset`, runs `changeset version` there and
 * returns the packages whose version changed, with old and new versions.
 */
async function versionInClone(changeset: string): Promise<Record<string, string>> {
  const clone = scratchDir('changeset');
  clones.push(clone);
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json']) {
    mkdirSync(join(clone, file, '..'), { recursive: true });
    copyFileSync(join(repoRoot, file), join(clone, file));
  }
  const dirs = workspaceDirs().map((dir) => relative(repoRoot, dir));
  for (const dir of dirs) {
    mkdirSync(join(clone, dir), { recursive: true });
    copyFileSync(join(repoRoot, dir, 'package.json'), join(clone, dir, 'package.json'));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
  writeFileSync(join(clone, '.changeset', 'sample-change.md'), changeset);

  // Asynchronous: a busy machine can take long, and a blocked worker misses vitest's calls.
  await promisify(execFile)(
    process.execPath,
    [join(repoRoot, 'node_modules/@changesets/cli/bin.js'), 'version'],
    { cwd: clone },
  );

  const changed: Record<string, string> = {};
  for (const dir of dirs) {
    const before = readManifest(join(repoRoot, dir));
    const after = readManifest(join(clone, dir));
    if (before.version !== after.version)
      changed[after.name] = `${before.version} → ${after.version}`;
    const changelog = existsSync(join(clone, dir, 'CHANGELOG.md'));
    expect(changelog, `${after.name} has a CHANGELOG.md only if its version moved`).toBe(
      before.version !== after.version,
    );
  }
  expect(existsSync(join(clone, '.changeset', 'sample-change.md'))).toBe(false);
  return changed;
}

describe('changesets', () => {
  it('versions only the transport a changeset names', async () => {
    const version = readManifest(join(repoRoot, 'packages/transport-local')).version;
    const changed = await versionInClone(
      "---\n'@rbn/transport-local': minor\n---\n\nA sample change.\n",
    );
    const [major = 0, minor = 0] = version.split('.').map(Number);
    expect(changed).toEqual({ '@rbn/transport-local': `${version} → ${major}.${minor + 1}.0` });
  });

  it('versions the package a changeset names and every public package depending on it', async () => {
    const changed = await versionInClone("---\n'@rbn/protocol': patch\n---\n\nA sample fix.\n");
    // @rbn/protocol and, transitively, every library with it in dependencies/peerDependencies.
    const libraries = libraryPackages();
    const expected = new Set(['@rbn/protocol']);
    for (let grew = true; grew;) {
      grew = false;
      for (const p of libraries) {
        const deps = { ...p.manifest.dependencies, ...p.manifest.peerDependencies };
        if (!expected.has(p.name) && Object.keys(deps).some((d) => expected.has(d))) {
          expected.add(p.name);
          grew = true;
        }
      }
    }
    expect(expected.size).toBeGreaterThan(2);
    expect(Object.keys(changed).sort()).toEqual([...expected].sort());
  });
});
