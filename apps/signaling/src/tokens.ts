import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How connections must prove they may connect, checked before the WebSocket upgrade from the
 * `?token=` query parameter (browsers cannot set headers on a WebSocket).
 * - `shared`: the token must equal the secret.
 * - `hmac`: the token is `<expiry unix seconds>.<base64url HMAC-SHA256(secret, "<room>\n<expiry>")>`,
 *   minted by your backend with {@link createRoomToken}; it is valid for one room until expiry.
 */
export type AuthOptions = { mode: 'shared'; secret: string } | { mode: 'hmac'; secret: string };

function sign(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Mints an HMAC room token for `auth: { mode: 'hmac' }`.
 * @param secret - The server's auth secret.
 * @param room - The room the token admits to.
 * @param expiresAtSeconds - Unix time (seconds) after which the token is refused.
 * @returns The token to pass as `?token=`.
 * @example
 * ```ts
 * const token = createRoomToken(process.env.AUTH_SECRET!, 'lobby', Math.floor(Date.now() / 1000) + 60);
 * new WebSocket(`wss://signal.example.com/lobby?token=${token}`);
 * ```
 */
export function createRoomToken(secret: string, room: string, expiresAtSeconds: number): string {
  const expiry = String(Math.floor(expiresAtSeconds));
  return `${expiry}.${sign(secret, `${room}\n${expiry}`)}`;
}

/**
 * Checks a `?token=` value. Never throws.
 * @param auth - The configured auth mode.
 * @param token - The token from the query string, if any.
 * @param room - The room being joined.
 * @param nowMs - The current time in milliseconds.
 * @returns Whether the token admits the connection.
 */
export function verifyToken(
  auth: AuthOptions,
  token: string | null,
  room: string,
  nowMs: number,
): boolean {
  if (token === null || token.length === 0 || token.length > 512) return false;
  if (auth.mode === 'shared') return safeEqual(token, auth.secret);
  const dot = token.indexOf('.');
  if (dot <= 0) return false;
  const expiry = token.slice(0, dot);
  if (!/^\d{1,12}$/.test(expiry) || Number(expiry) * 1000 < nowMs) return false;
  return safeEqual(token.slice(dot + 1), sign(auth.secret, `${room}\n${expiry}`));
}

/**
 * Mints the resume token a peer needs to take its id back after a dropped socket.
 * @param secret - The resume secret (shared by all servers of a cluster).
 * @param peerId - The peer id.
 * @returns `<peerId>.<base64url HMAC-SHA256>`.
 */
export function createResumeToken(secret: string, peerId: string): string {
  return `${peerId}.${sign(secret, `resume\n${peerId}`)}`;
}

/**
 * Reads a resume token back.
 * @param secret - The resume secret.
 * @param token - The token from `?resume=`.
 * @returns The peer id it proves, or `null` when forged or malformed.
 */
export function readResumeToken(secret: string, token: string): string | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0 || token.length > 512) return null;
  const peerId = token.slice(0, dot);
  return safeEqual(token.slice(dot + 1), sign(secret, `resume\n${peerId}`)) ? peerId : null;
}
