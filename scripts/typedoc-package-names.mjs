// TypeDoc plugin: names each entry-point module after its npm package (`@rbn/session`) instead
// of its path (`session/src`), so one TypeScript program can document all the libraries.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/**
 * The name in the nearest package.json above a file.
 * @param {string} file
 * @returns {string | undefined}
 */
function packageNameOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).name;
  }
  return undefined;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context
      .getSymbolFromReflection(reflection)
      ?.declarations?.[0]?.getSourceFile().fileName;
    const name = file === undefined ? undefined : packageNameOf(file);
    if (name !== undefined) reflection.name = name;
  });
}
