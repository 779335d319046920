import type { Duplex } from 'node:stream';

/** Room names: 1–64 characters of letters, digits, `_`, `-` and `.`. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Answers a refused upgrade with a plain HTTP status and the reason, then closes. */
export function reject(socket: Duplex, status: number, text: string, reason: string): void {
  const body = `${reason}: ${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `X-Rbn-Reject: ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Parses a request URL; `null` when it cannot be parsed. */
export function parseUrl(text: string | undefined): URL | null {
  try {
    return new URL(text ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** The room named by a request path, or `null` when the name is invalid. */
export function roomOf(pathname: string): string | null {
  let room: string;
  try {
    room = decodeURIComponent(pathname.slice(1));
  } catch {
    return null;
  }
  return ROOM_NAME_PATTERN.test(room) ? room : null;
}
