import { describe, expect, it } from 'vitest';
import { routeRequest } from './routes.js';

const up = { draining: false, ready: true };

describe('routeRequest', () => {
  it.each([
    ['GET', '/healthz', up, 200, '{"status":"ok"}'],
    ['GET', '/readyz', up, 200, '{"ready":true,"draining":false}'],
    ['GET', '/readyz', { draining: true, ready: true }, 503, '{"ready":false,"draining":true}'],
    ['GET', '/readyz', { draining: false, ready: false }, 503, '{"ready":false,"draining":false}'],
    ['GET', '/some-room', up, 426, 'connect with a WebSocket\n'],
    ['GET', '/not a room', up, 404, 'not found\n'],
    ['POST', '/healthz', up, 405, 'method not allowed\n'],
  ])('%s %s → %i', (method, url, state, status, body) => {
    expect(routeRequest(method, url, state)).toMatchObject({ kind: 'reply', status, body });
  });

  it('hands /metrics to the registry', () => {
    expect(routeRequest('GET', '/metrics', up)).toEqual({ kind: 'metrics' });
  });
});
