import { createSignalingServer } from '@rbn/signaling';
import type { SignalingServer, SignalingServerOptions } from '@rbn/signaling';

/**
 * Starts the reference signaling server (`apps/signaling`) on a free 127.0.0.1 port; the demo
 * server forwards `/signal/<room>` WebSocket upgrades to it.
 * @param overrides - Options to change (tests shorten the shutdown).
 * @returns The running server.
 */
export function startSignaling(overrides: SignalingServerOptions = {}): Promise<SignalingServer> {
  return createSignalingServer({
    port: 0,
    host: '127.0.0.1',
    logger: process.env['RBN_SIGNALING_LOG'] ?? 'warn',
    trustProxy: true,
    ...overrides,
  });
}
