import { execFileSync } from 'node:child_process';
import type { PackageManifest } from './workspace';

/**
 * Reads `package/package.json` out of a packed `.tgz`: the manifest exactly as npm would see it
 * (after `pnpm pack` replaced `workspace:` ranges and applied `publishConfig`).
 * @param tarball - Path of the `.tgz`.
 * @returns The parsed manifest.
 */
export function readPackedManifest(tarball: string): PackageManifest {
  const text = execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], {
    encoding: 'utf8',
  });
  return JSON.parse(text) as PackageManifest;
}

type Version = [major: number, minor: number, patch: number];

function parseVersion(text: string): Version | null {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether a version satisfies a range, for the ranges `pnpm pack` writes for workspace
 * dependencies: an exact `x.y.z` (`workspace:*`), `^x.y.z` (`workspace:^`) and `~x.y.z`
 * (`workspace:~`), with npm's semantics (`^0.2.3` is `>=0.2.3 <0.3.0`, `^0.0.3` is `0.0.3`).
 * @param version - A release version, `x.y.z`.
 * @param range - The range.
 * @returns Whether npm would accept the version for the range.
 * @throws Error for a prerelease version or any other range form, which this check cannot judge
 *   (extend it rather than let such a range through unchecked).
 */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (v === null) throw new Error(`cannot judge version ${JSON.stringify(version)}`);
  const m = /^([\^~]?)(\d+\.\d+\.\d+)$/.exec(range.trim());
  const base = m ? parseVersion(m[2] ?? '') : null;
  if (m === null || base === null) throw new Error(`cannot judge range ${JSON.stringify(range)}`);
  if (compare(v, base) < 0) return false;
  const operator = m[1] ?? '';
  if (operator === '') return compare(v, base) === 0;
  if (operator === '~') return v[0] === base[0] && v[1] === base[1];
  // Caret: the first non-zero part of the base may not change.
  if (base[0] !== 0) return v[0] === base[0];
  if (base[1] !== 0) return v[0] === 0 && v[1] === base[1];
  return compare(v, base) === 0;
}

/**
 * Checks the `@rbn/*` dependency ranges of packed manifests against the packed versions: what a
 * user installing the tarballs from the registry would resolve. (The consumer tests install
 * tarballs through npm `overrides`, which would hide a range no published version satisfies.)
 * @param manifests - Every packed manifest.
 * @returns One sentence per problem: an `@rbn/*` dependency that is not packed, still a
 *   `workspace:` range, or a range the packed version does not satisfy.
 */
export function unsatisfiedRbnRanges(manifests: readonly PackageManifest[]): string[] {
  const versions = new Map(manifests.map((m) => [m.name, m.version]));
  const problems: string[] = [];
  for (const manifest of manifests) {
    const fields = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;
    for (const field of fields) {
      const deps =
        (manifest as unknown as Partial<Record<string, Record<string, string>>>)[field] ?? {};
      for (const [name, range] of Object.entries(deps)) {
        if (!name.startsWith('@rbn/')) continue;
        const where = `${manifest.name}@${manifest.version} ${field} '${name}': '${range}'`;
        const version = versions.get(name);
        if (version === undefined) {
          problems.push(`${where}, but ${name} is not one of the packed libraries`);
        } else if (range.startsWith('workspace:')) {
          problems.push(`${where} is still a workspace range (pack with pnpm, not npm)`);
        } else if (!satisfies(version, range)) {
          problems.push(`${where} does not accept the packed ${name}@${version}`);
        }
      }
    }
  }
  return problems;
}
