import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** What `server/start.ts` serves, and where. */
export interface StartOptions {
  /** First TCP port to try; 0 picks a free one. */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** Absolute path of the production build to serve. */
  dist: string;
}

/** The first port tried when neither `--port` nor `PORT` is given. */
export const DEFAULT_PORT = 8080;

/**
 * Reads the start command's options from its flags, falling back to environment variables.
 * Flags: `--port <n>` (or `PORT`), `--host <address>` (or `HOST`), `--dist <folder>` (or
 * `DEMO_DIST`).
 * @param args - The command's arguments (`process.argv.slice(2)`).
 * @param env - The environment (`process.env`).
 * @param defaultDist - The build folder used when neither `--dist` nor `DEMO_DIST` is given.
 * @returns The options, with `dist` made absolute.
 * @throws Error naming the flag and the value when an option is unknown or out of range.
 */
export function parseStartOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  defaultDist: string,
): StartOptions {
  let values: { port?: string | undefined; host?: string | undefined; dist?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { port: { type: 'string' }, host: { type: 'string' }, dist: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)} (options: --port <n>, --host <address>, --dist <folder>)`,
    );
  }
  const pick = (flag: 'port' | 'host' | 'dist', variable: string): [string, string] | undefined => {
    const fromFlag = values[flag];
    if (fromFlag !== undefined) return [fromFlag, `--${flag}`];
    const fromEnv = env[variable];
    return fromEnv !== undefined ? [fromEnv, variable] : undefined;
  };
  const nonEmpty = (picked: [string, string] | undefined): string | undefined => {
    if (picked !== undefined && picked[0].trim() === '') {
      throw new Error(`${picked[1]} must not be empty`);
    }
    return picked?.[0];
  };

  const portPick = pick('port', 'PORT');
  let port = DEFAULT_PORT;
  if (portPick !== undefined) {
    const [text, source] = portPick;
    port = Number(text);
    if (!/^\d{1,5}$/.test(text) || port > 65535) {
      throw new Error(`${source} must be an integer from 0 to 65535 (got '${text}')`);
    }
  }
  const host = nonEmpty(pick('host', 'HOST')) ?? '127.0.0.1';
  const dist = nonEmpty(pick('dist', 'DEMO_DIST')) ?? defaultDist;
  return { port, host, dist: resolve(dist) };
}
