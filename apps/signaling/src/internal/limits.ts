import { readFileSync } from 'node:fs';
import type { SignalingServerOptions } from '../options.js';

/**
 * The default connection cap: 10 000, or less when the process's open-file limit is lower
 * (Linux: the soft "Max open files" of `/proc/self/limits`), leaving 64 descriptors spare.
 * @returns The cap.
 */
export function defaultMaxConnections(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return 10_000;
    }
  }
  const soft = /^Max open files\s+(\d+)/m.exec(text)?.[1];
  return soft === undefined ? 10_000 : Math.max(64, Math.min(10_000, Number(soft) - 64));
}

/** Every limit and interval of a server, with the defaults filled in. */
export type Limits = {
  maxMessageBytes: number;
  maxRoomSize: number;
  maxPerIp: number;
  rate: number;
  burst: number;
  maxStrikes: number;
  pingIntervalMs: number;
  graceMs: number;
  shutdownMs: number;
  handshakeMs: number;
  maxSendBuffer: number;
  maxGraceBufferBytes: number;
  maxConnections: number;
  maxPendingUpgrades: number;
  trustedProxyHops: number;
  redisMaxInflightBytes: number;
  redisMaxQueuedBytes: number;
  /** Bytes one sender may have queued or in flight to Redis at once. */
  redisPerSenderBytes: number;
};

/** Messages held for a peer that cannot take them yet: at most this many... */
export const BUFFER_COUNT_LIMIT = 64;
/** ...and at most this many characters in all (per peer). */
export const BUFFER_BYTES_LIMIT = 256 * 1024;

/**
 * Fills in the defaults of the server options.
 * @param options - What the caller set.
 * @returns Every limit, defaults applied.
 */
export function resolveLimits(options: SignalingServerOptions): Limits {
  const maxMessageBytes = options.maxMessageBytes ?? 65_536;
  const trust = options.trustProxy ?? 0;
  return {
    maxMessageBytes,
    maxRoomSize: options.maxRoomSize ?? 16,
    maxPerIp: options.maxConnectionsPerIp ?? 32,
    rate: options.messagesPerSecond ?? 50,
    burst: options.messageBurst ?? 100,
    maxStrikes: options.maxRateLimitStrikes ?? 200,
    pingIntervalMs: options.pingIntervalMs ?? 15_000,
    graceMs: options.resumeGraceMs ?? 5_000,
    shutdownMs: options.shutdownTimeoutMs ?? 10_000,
    handshakeMs: options.handshakeTimeoutMs ?? 10_000,
    maxSendBuffer: options.maxSendBufferBytes ?? 4 * 1024 * 1024,
    maxGraceBufferBytes: options.maxGraceBufferBytes ?? 32 * 1024 * 1024,
    maxConnections: options.maxConnections ?? defaultMaxConnections(),
    maxPendingUpgrades: options.maxPendingUpgrades ?? 256,
    trustedProxyHops: trust === true ? 1 : trust === false ? 0 : Math.max(0, Math.floor(trust)),
    redisMaxInflightBytes: options.redisMaxInflightBytes ?? 1024 * 1024,
    redisMaxQueuedBytes: options.redisMaxQueuedBytes ?? 16 * 1024 * 1024,
    redisPerSenderBytes: 4 * maxMessageBytes,
  };
}
