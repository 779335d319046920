import { parseUrl, roomOf } from './http.js';

/** A plain HTTP answer, or the instruction to serve the metrics. */
export type Route =
  { kind: 'reply'; status: number; type: string; body: string } | { kind: 'metrics' };

const reply = (status: number, type: string, body: string): Route => ({
  kind: 'reply',
  status,
  type,
  body,
});

/**
 * Routes a plain (non-upgrade) HTTP request.
 * @param method - The request method.
 * @param url - The request URL.
 * @param state - Whether the server is draining and its backend ready.
 * @returns What to answer.
 */
export function routeRequest(
  method: string | undefined,
  url: string | undefined,
  state: { draining: boolean; ready: boolean },
): Route {
  const path = parseUrl(url)?.pathname ?? '/';
  if (method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
  if (path === '/healthz') return reply(200, 'application/json', '{"status":"ok"}');
  if (path === '/readyz') {
    const ready = !state.draining && state.ready;
    return reply(
      ready ? 200 : 503,
      'application/json',
      JSON.stringify({ ready, draining: state.draining }),
    );
  }
  if (path === '/metrics') return { kind: 'metrics' };
  if (roomOf(path) !== null) return reply(426, 'text/plain', 'connect with a WebSocket\n');
  return reply(404, 'text/plain', 'not found\n');
}
