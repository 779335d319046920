// The reference signaling server for the tests, on a free 127.0.0.1 port, closed after each test.
import { afterEach } from 'vitest';
import { createSignalingServer } from '@rbn/signaling';
import type { SignalingServer, SignalingServerOptions } from '@rbn/signaling';

/**
 * Registers an `afterEach` that closes every server the test started.
 * @returns `start(options)`: starts a silent server on 127.0.0.1, port 0.
 */
export function useSignalingServers(): {
  start: (options?: SignalingServerOptions) => Promise<SignalingServer>;
} {
  const servers: SignalingServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    start: async (options = {}) => {
      const server = await createSignalingServer({
        logger: 'silent',
        host: '127.0.0.1',
        port: 0,
        shutdownTimeoutMs: 500,
        ...options,
      });
      servers.push(server);
      return server;
    },
  };
}
