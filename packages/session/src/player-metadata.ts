import { DEFAULT_LIMITS, RbnError } from '@rbn/protocol';

/**
 * The most bytes of player metadata a session sends and accepts (the protocol's
 * `maxPlayerMetadataBytes`): 256.
 */
export const MAX_PLAYER_METADATA_BYTES: number = DEFAULT_LIMITS.maxPlayerMetadataBytes;

/** A value {@link PlayerMetadata} may hold: flat JSON only. */
export type PlayerMetadataValue = string | number | boolean | null;

/**
 * The common case of player metadata: a display name and a colour, plus any other flat JSON
 * fields the game wants. Encoded as UTF-8 JSON by {@link encodePlayerMetadata}.
 */
export type PlayerMetadata = {
  /** The name to show for the player. */
  readonly name?: string | undefined;
  /** The player's colour, in any notation the game understands (for example `'#e4572e'`). */
  readonly color?: string | undefined;
  readonly [field: string]: PlayerMetadataValue | undefined;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function isFlatValue(v: unknown): v is PlayerMetadataValue {
  return (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v))
  );
}

/**
 * Encodes player metadata as UTF-8 JSON for {@link CreateSessionOptions.metadata}. Fields set
 * to `undefined` are left out.
 * @param metadata - A name, a colour and any other flat JSON fields.
 * @returns At most {@link MAX_PLAYER_METADATA_BYTES} bytes.
 * @throws RbnError `'INVALID_ARGUMENT'` when a field is not a string, a finite number, a
 * boolean or `null`, or when the JSON is longer than {@link MAX_PLAYER_METADATA_BYTES} bytes.
 * @example
 * ```ts
 * const session = createSession({
 *   game,
 *   transport,
 *   metadata: encodePlayerMetadata({ name: 'Ana', color: '#e4572e' }),
 * });
 * ```
 */
export function encodePlayerMetadata(metadata: PlayerMetadata): Uint8Array {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new RbnError('INVALID_ARGUMENT', 'encodePlayerMetadata: metadata must be an object');
  }
  const flat: Record<string, PlayerMetadataValue> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    if (!isFlatValue(value)) {
      const text = `encodePlayerMetadata: field '${key}' must be a string, a finite number, a boolean or null`;
      throw new RbnError('INVALID_ARGUMENT', text);
    }
    flat[key] = value;
  }
  const bytes = encoder.encode(JSON.stringify(flat));
  if (bytes.length > MAX_PLAYER_METADATA_BYTES) {
    throw new RbnError(
      'INVALID_ARGUMENT',
      `encodePlayerMetadata: ${bytes.length} bytes of JSON is over ${MAX_PLAYER_METADATA_BYTES}`,
    );
  }
  return bytes;
}

/**
 * Decodes player metadata made by {@link encodePlayerMetadata}, typically a remote member's
 * {@link PlayerInfo.metadata}. The bytes come from a peer: anything that is not a UTF-8 JSON
 * object of flat fields within the size bound gives `null`, never a throw; a `name` or `color`
 * that is not a string is left out.
 * @param bytes - The metadata bytes.
 * @returns The fields, or `null` for no metadata (empty bytes) or malformed metadata.
 * @example
 * ```ts
 * for (const player of session.players.values()) {
 *   const name = decodePlayerMetadata(player.metadata)?.name ?? player.playerId;
 * }
 * ```
 */
export function decodePlayerMetadata(bytes: Uint8Array): PlayerMetadata | null {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return null;
  if (bytes.length > MAX_PLAYER_METADATA_BYTES) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const fields: Record<string, PlayerMetadataValue> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!isFlatValue(value)) return null;
    if (key === '__proto__') continue;
    if ((key === 'name' || key === 'color') && typeof value !== 'string') continue;
    fields[key] = value;
  }
  return fields;
}

/**
 * Checks and copies the `metadata` option of `createSession`.
 * @param metadata - The option as given.
 * @returns A copy, or an empty array when none was given.
 * @throws RbnError `'INVALID_ARGUMENT'` when it is not a Uint8Array or is too long.
 */
export function checkPlayerMetadata(metadata: unknown): Uint8Array {
  if (metadata === undefined) return new Uint8Array(0);
  if (!(metadata instanceof Uint8Array)) {
    throw new RbnError('INVALID_ARGUMENT', 'createSession: metadata must be a Uint8Array');
  }
  if (metadata.length > MAX_PLAYER_METADATA_BYTES) {
    throw new RbnError(
      'INVALID_ARGUMENT',
      `createSession: metadata of ${metadata.length} bytes is over ${MAX_PLAYER_METADATA_BYTES}`,
    );
  }
  return metadata.slice();
}
