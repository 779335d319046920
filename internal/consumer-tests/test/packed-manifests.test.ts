import { describe, expect, it } from 'vitest';
import { readPackedManifest, satisfies, unsatisfiedRbnRanges } from '../src/packed-manifest';
import { libraryPackages, readManifest } from '../src/workspace';
import type { PackageManifest } from '../src/workspace';
import { packedLibraries } from './tarballs';

describe('packed manifests', () => {
  it('depend on @rbn/* ranges that the packed versions satisfy (as a registry install resolves them)', () => {
    const manifests = [...packedLibraries().values()].map(readPackedManifest);
    const ranges = manifests.flatMap((m) =>
      Object.entries(m.dependencies ?? {})
        .filter(([name]) => name.startsWith('@rbn/'))
        .map(([name, range]) => `${m.name} → ${name}@${range}`),
    );
    console.log(ranges.join('\n'));
    expect(ranges.length).toBeGreaterThan(0);
    expect(unsatisfiedRbnRanges(manifests)).toEqual([]);
  });
});

describe('the consumer tests’ own manifest', () => {
  it('lists every library as a devDependency, so that turbo builds each one before these tests pack it', () => {
    const own = readManifest(new URL('..', import.meta.url).pathname).devDependencies ?? {};
    const missing = libraryPackages()
      .map((p) => p.name)
      .filter((name) => own[name] !== 'workspace:*');
    expect(missing, 'add them to internal/consumer-tests/package.json as "workspace:*"').toEqual(
      [],
    );
  });
});

describe('unsatisfiedRbnRanges', () => {
  const lib = (name: string, version: string, dependencies: Record<string, string> = {}) =>
    ({ name, version, dependencies }) as PackageManifest;

  it('accepts ranges the packed versions satisfy and ignores third-party dependencies', () => {
    const manifests = [
      lib('@rbn/protocol', '0.2.1'),
      lib('@rbn/core', '1.4.0', { '@rbn/protocol': '^0.2.0', pako: '^9.0.0' }),
      lib('@rbn/session', '1.0.0', { '@rbn/core': '~1.4.0', '@rbn/protocol': '0.2.1' }),
    ];
    expect(unsatisfiedRbnRanges(manifests)).toEqual([]);
  });

  it('names each @rbn/* range no packed version satisfies, a leftover workspace: range and a missing package', () => {
    const manifests = [
      lib('@rbn/protocol', '0.1.0'),
      lib('@rbn/core', '0.0.0', { '@rbn/protocol': '^0.0.0' }),
      lib('@rbn/session', '0.0.0', { '@rbn/core': 'workspace:^', '@rbn/gone': '^1.0.0' }),
    ];
    expect(unsatisfiedRbnRanges(manifests)).toEqual([
      "@rbn/core@0.0.0 dependencies '@rbn/protocol': '^0.0.0' does not accept the packed @rbn/protocol@0.1.0",
      "@rbn/session@0.0.0 dependencies '@rbn/core': 'workspace:^' is still a workspace range (pack with pnpm, not npm)",
      "@rbn/session@0.0.0 dependencies '@rbn/gone': '^1.0.0', but @rbn/gone is not one of the packed libraries",
    ]);
  });
});

describe('satisfies', () => {
  it.each([
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '1.2.3', false],
    ['1.9.0', '^1.2.3', true],
    ['2.0.0', '^1.2.3', false],
    ['1.2.2', '^1.2.3', false],
    ['0.2.9', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['0.0.0', '^0.0.0', true],
    ['0.1.0', '^0.0.0', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
  ])('%s satisfies %s: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('refuses to judge a range or version form it does not know, rather than pass it', () => {
    expect(() => satisfies('1.0.0', '>=1.0.0 <2.0.0')).toThrow(/cannot judge range/);
    expect(() => satisfies('1.0.0-beta.1', '^1.0.0')).toThrow(/cannot judge version/);
  });
});
