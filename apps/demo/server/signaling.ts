import { createSignalingServer } from '@rbn/signaling';
import type { SignalingServer } from '@rbn/signaling';

/**
 * Starts the reference signaling server (`apps/signaling`) on a free 127.0.0.1 port; the demo
 * server forwards `/signal/<room>` WebSocket upgrades to it.
 * @returns The running server.
 */
export function startSignaling(): Promise<SignalingServer> {
  return createSignalingServer({
    port: 0,
    host: '127.0.0.1',
    logger: process.env['RBN_SIGNALING_LOG'] ?? 'warn',
    trustProxy: true,
  });
}
