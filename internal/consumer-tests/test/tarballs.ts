import { inject } from 'vitest';
import type { Tarballs } from '../src/pack';

/**
 * The packed libraries of this run (see global-setup.ts).
 * @returns The tarball of each library, by package name.
 * @throws Error saying why packing failed (usually: run `pnpm build` first).
 */
export function packedLibraries(): Tarballs {
  const error = inject('packError');
  if (error !== '') throw new Error(error);
  return new Map(Object.entries(inject('tarballs')));
}
