import { RbnError } from '../errors';
import { DEFAULT_LIMITS, type ProtocolLimits } from '../limits';

/** The largest unsigned 32-bit integer. */
const MAX_U32 = 0xffffffff;

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof ProtocolLimits)[];

/** The last limits object resolved, the values it held then, and the result (a one-entry cache). */
let lastPartial: Partial<ProtocolLimits> | undefined;
let lastSeen: Partial<ProtocolLimits> = {};
let lastResolved: Readonly<ProtocolLimits> = DEFAULT_LIMITS;

function unchanged(partial: Partial<ProtocolLimits>): boolean {
  for (let i = 0; i < LIMIT_KEYS.length; i++) {
    const key = LIMIT_KEYS[i]!;
    if (partial[key] !== lastSeen[key]) return false;
  }
  return true;
}

/**
 * Merges `partial` over the defaults. Callers usually pass the same object on every call, so the
 * result is cached; the cache is only used while every field still holds the value it had, so
 * mutating the limits object between calls is safe.
 */
export function resolveLimits(
  partial: Partial<ProtocolLimits> | undefined,
): Readonly<ProtocolLimits> {
  if (partial === undefined) return DEFAULT_LIMITS;
  if (partial === lastPartial && unchanged(partial)) return lastResolved;
  const merged: ProtocolLimits = { ...DEFAULT_LIMITS };
  const seen: Partial<ProtocolLimits> = {};
  for (const key of LIMIT_KEYS) {
    const v = partial[key];
    if (v === undefined) continue;
    seen[key] = v;
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RbnError(
        'INVALID_LIMITS',
        `limits.${key} must be a non-negative integer, got ${String(v)}`,
      );
    }
    merged[key] = v;
  }
  // A varint length field cannot describe more than 2^32 − 2 bytes.
  merged.maxStateBytes = Math.min(merged.maxStateBytes, MAX_U32 - 1);
  merged.maxMetadataBytes = Math.min(merged.maxMetadataBytes, MAX_U32 - 1);
  merged.maxInputBytes = Math.min(merged.maxInputBytes, (MAX_U32 - 2) / 2);
  lastPartial = partial;
  lastSeen = seen;
  lastResolved = Object.freeze(merged);
  return lastResolved;
}
