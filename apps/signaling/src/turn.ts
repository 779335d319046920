import { createHmac } from 'node:crypto';
import type { IceServer } from '@rbn/online';

/** What the server needs to issue TURN credentials. */
export type TurnOptions = {
  /** The coturn `static-auth-secret` (`use-auth-secret` mode). */
  secret: string;
  /** TURN URLs, e.g. `['turn:turn.example.com:3478?transport=udp']`. */
  urls: string[];
  /**
   * How long a credential stays valid, in seconds.
   * @default 86400
   */
  ttlSeconds?: number;
};

/**
 * Issues a time-limited TURN credential in coturn's `use-auth-secret` format: the username is
 * `<expiry unix seconds>:<peerId>` and the password is the base64 HMAC-SHA1 of the username keyed
 * with the shared secret, so coturn can check it without a database.
 * @param options - Secret, URLs and lifetime.
 * @param peerId - The peer the credential is for.
 * @param nowMs - The current time in milliseconds since the epoch.
 * @returns A ready-to-use `iceServers` entry.
 * @example
 * ```ts
 * const server = createTurnCredentials({ secret: 's3cret', urls: ['turn:turn.example.com'] }, id, Date.now());
 * new RTCPeerConnection({ iceServers: [server] });
 * ```
 */
export function createTurnCredentials(
  options: TurnOptions,
  peerId: string,
  nowMs: number,
): IceServer {
  const expiry = Math.floor(nowMs / 1000) + (options.ttlSeconds ?? 86_400);
  const username = `${expiry}:${peerId}`;
  const credential = createHmac('sha1', options.secret).update(username).digest('base64');
  return { urls: [...options.urls], username, credential };
}
