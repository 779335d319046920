/**
 * Server-side validation of client frames. The message types themselves live in `@rbn/online`
 * (shared with the client); this file only parses what a client sends.
 */
import type { ClientMessage, ErrorCode, JsonValue } from '@rbn/online';

/**
 * Deepest nesting of arrays and objects a signal's `data` may have. Real signals (an SDP
 * description, an ICE candidate) nest two levels; the cap stops "JSON bombs" (tens of thousands
 * of nested arrays within the size cap) that would overflow the stack when re-encoded.
 */
export const MAX_SIGNAL_DEPTH = 32;

/** Whether a parsed JSON value nests arrays/objects deeper than `max` (iterative: never recurses). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, depth] = item;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Result of {@link parseClientMessage}. */
export type ParseResult =
  { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string };

/**
 * Parses and validates one text frame from a client. Never throws.
 * @param text - The frame's text.
 * @returns The message, or the error code and a sentence to send back.
 */
export function parseClientMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'malformed', message: 'message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'malformed', message: 'message must be a JSON object' };
  }
  const record = value as Record<string, unknown>;
  switch (record['type']) {
    case 'signal': {
      const to = record['to'];
      if (typeof to !== 'string' || to.length === 0 || to.length > 128) {
        return { ok: false, code: 'invalid-message', message: 'signal needs a string "to"' };
      }
      if (!('data' in record)) {
        return { ok: false, code: 'invalid-message', message: 'signal needs "data"' };
      }
      if (nestedDeeperThan(record['data'], MAX_SIGNAL_DEPTH)) {
        return {
          ok: false,
          code: 'invalid-message',
          message: `signal data is nested deeper than ${MAX_SIGNAL_DEPTH} levels`,
        };
      }
      return { ok: true, message: { type: 'signal', to, data: record['data'] as JsonValue } };
    }
    case 'leave':
      return { ok: true, message: { type: 'leave' } };
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    default:
      return {
        ok: false,
        code: 'unknown-type',
        message: `unknown message type ${JSON.stringify(record['type'] ?? null).slice(0, 40)}`,
      };
  }
}
