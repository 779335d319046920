import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * A fresh folder for temporary files, inside this run's folder (deleted with it, see
 * global-setup.ts).
 * @param prefix - Starts the folder's name, to tell what it holds.
 * @returns Its path.
 */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(inject('scratch'), `${prefix}-`));
}
