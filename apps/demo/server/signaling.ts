/** The part of `@rbn/signaling`'s running server the demo uses. */
export interface RunningSignaling {
  /** The port it listens on (127.0.0.1). */
  port: number;
  /** Stops it. */
  close(): Promise<void>;
}

interface SignalingModule {
  createSignalingServer(options: {
    port?: number;
    host?: string;
    logger?: string;
    trustProxy?: boolean;
  }): Promise<RunningSignaling>;
}

/**
 * Starts the reference signaling server (`apps/signaling`) on a free 127.0.0.1 port.
 * @returns The running server, or `undefined` when it is not available (online mode is then off).
 */
export async function startSignaling(): Promise<RunningSignaling | undefined> {
  const specifier = '@rbn/signaling';
  try {
    const signaling = (await import(specifier)) as SignalingModule;
    return await signaling.createSignalingServer({
      port: 0,
      host: '127.0.0.1',
      logger: 'warn',
      trustProxy: true,
    });
  } catch (error) {
    console.warn(`[demo] signaling server unavailable: ${String(error)}`);
    return undefined;
  }
}
