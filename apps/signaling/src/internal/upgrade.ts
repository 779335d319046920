import { parseUrl, roomOf } from './http.js';

/** What the upgrade checks need to know about a request. */
export type UpgradeRequest = {
  url: string | undefined;
  origin: string | undefined;
  /** The `X-Forwarded-For` header(s) as received. */
  forwardedFor: string | string[] | undefined;
  remoteAddress: string | undefined;
};

/** The server state and settings the upgrade checks read. */
export type UpgradePolicy = {
  draining: boolean;
  backendReady: boolean;
  maxRoomSize: number;
  allowedOrigins: ReadonlySet<string>;
  trustedProxyHops: number;
  maxPerIp: number;
  /** Open connections of an IP. */
  connectionsOf: (ip: string) => number;
  /** Token check (`null` when no auth is configured). */
  verifyToken: ((token: string | null, room: string) => boolean) | null;
};

/** The outcome of the upgrade checks: a refusal, or where the socket goes. */
export type UpgradeDecision =
  | { ok: false; status: number; text: string; reason: string }
  | {
      ok: true;
      room: string;
      groupSize: number | null;
      /** `?group=`: the `?next=N` group of the room to join late, or `null`. */
      targetGroup: string | null;
      resume: string | null;
      ip: string;
    };

const refuse = (status: number, text: string, reason: string): UpgradeDecision => ({
  ok: false,
  status,
  text,
  reason,
});

/**
 * The client's IP: the socket's peer, or, behind `trustedHops` proxies that each append the
 * address they saw to `X-Forwarded-For`, the address the outermost trusted proxy saw. Entries
 * further left were written by the client and are never believed.
 * @param remoteAddress - The socket's peer address.
 * @param forwardedFor - The `X-Forwarded-For` header(s).
 * @param trustedHops - Proxies in front of the server that append to the header (0: none).
 * @returns The address to count limits against.
 */
export function clientIp(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedHops: number,
): string {
  const socket = remoteAddress ?? 'unknown';
  if (trustedHops <= 0 || forwardedFor === undefined) return socket;
  const listed = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop.length > 0);
  // The chain as the server sees it, nearest last: [..., hop the proxies saw, socket peer].
  const chain = [...listed, socket];
  // Hop 0 is the socket peer (the nearest proxy); each trusted proxy vouches for one more.
  // A shorter chain was written by trusted proxies alone, so its first entry is the client.
  return chain[Math.max(0, chain.length - 1 - trustedHops)] ?? socket;
}

/**
 * Decides whether an upgrade request may become a WebSocket, before the upgrade happens.
 * @param request - The request.
 * @param policy - Server state and settings.
 * @returns A refusal (status, reason) or the room, `?next`, `?group`, resume token and client IP.
 */
export function checkUpgrade(request: UpgradeRequest, policy: UpgradePolicy): UpgradeDecision {
  if (policy.draining) return refuse(503, 'Service Unavailable', 'draining');
  if (!policy.backendReady) return refuse(503, 'Service Unavailable', 'not-ready');
  const url = parseUrl(request.url);
  const room = url ? roomOf(url.pathname) : null;
  if (url === null || room === null) return refuse(400, 'Bad Request', 'bad-room-name');
  const nextText = url.searchParams.get('next');
  let groupSize: number | null = null;
  if (nextText !== null) {
    groupSize = /^\d{1,3}$/.test(nextText) ? Number(nextText) : NaN;
    if (!(groupSize >= 2 && groupSize <= policy.maxRoomSize)) {
      return refuse(400, 'Bad Request', 'bad-next');
    }
  }
  const targetGroup = url.searchParams.get('group');
  if (targetGroup !== null && (groupSize === null || !/^[\x21-\x7e]{1,200}$/.test(targetGroup))) {
    return refuse(400, 'Bad Request', 'bad-group');
  }
  if (policy.allowedOrigins.size > 0) {
    if (request.origin === undefined || !policy.allowedOrigins.has(request.origin)) {
      return refuse(403, 'Forbidden', 'origin');
    }
  }
  if (policy.verifyToken && !policy.verifyToken(url.searchParams.get('token'), room)) {
    return refuse(401, 'Unauthorized', 'token');
  }
  const ip = clientIp(request.remoteAddress, request.forwardedFor, policy.trustedProxyHops);
  if (policy.connectionsOf(ip) >= policy.maxPerIp) {
    return refuse(429, 'Too Many Requests', 'ip-limit');
  }
  return { ok: true, room, groupSize, targetGroup, resume: url.searchParams.get('resume'), ip };
}
