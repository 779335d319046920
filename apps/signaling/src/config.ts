import { parseArgs } from 'node:util';
import type { SignalingServerOptions } from './options.js';

/** One configuration setting: its flag, its environment variable and what it sets. */
type Setting = {
  flag: string;
  env: string;
  kind: 'string' | 'number' | 'list' | 'boolean';
  apply: (options: SignalingServerOptions, value: string | number | string[] | boolean) => void;
};

const settings: Setting[] = [
  { flag: 'port', env: 'PORT', kind: 'number', apply: (o, v) => (o.port = v as number) },
  { flag: 'host', env: 'HOST', kind: 'string', apply: (o, v) => (o.host = v as string) },
  {
    flag: 'allowed-origins',
    env: 'ALLOWED_ORIGINS',
    kind: 'list',
    apply: (o, v) => (o.allowedOrigins = v as string[]),
  },
  {
    flag: 'auth-secret',
    env: 'AUTH_SECRET',
    kind: 'string',
    apply: (o, v) => (o.auth = { mode: o.auth?.mode ?? 'shared', secret: v as string }),
  },
  {
    flag: 'auth-mode',
    env: 'AUTH_MODE',
    kind: 'string',
    apply: (o, v) => {
      if (v !== 'shared' && v !== 'hmac') throw new Error('AUTH_MODE must be "shared" or "hmac"');
      o.auth = { mode: v, secret: o.auth?.secret ?? '' };
    },
  },
  {
    flag: 'turn-secret',
    env: 'TURN_SECRET',
    kind: 'string',
    apply: (o, v) => (o.turn = { ...(o.turn ?? { urls: [] }), secret: v as string }),
  },
  {
    flag: 'turn-urls',
    env: 'TURN_URLS',
    kind: 'list',
    apply: (o, v) => (o.turn = { ...(o.turn ?? { secret: '' }), urls: v as string[] }),
  },
  {
    flag: 'turn-ttl',
    env: 'TURN_TTL_SECONDS',
    kind: 'number',
    apply: (o, v) =>
      (o.turn = { ...(o.turn ?? { secret: '', urls: [] }), ttlSeconds: v as number }),
  },
  {
    flag: 'redis-url',
    env: 'REDIS_URL',
    kind: 'string',
    apply: (o, v) => (o.redisUrl = v as string),
  },
  {
    flag: 'redis-prefix',
    env: 'REDIS_KEY_PREFIX',
    kind: 'string',
    apply: (o, v) => (o.redisKeyPrefix = v as string),
  },
  {
    flag: 'redis-heartbeat-ms',
    env: 'REDIS_HEARTBEAT_MS',
    kind: 'number',
    apply: (o, v) => (o.redisHeartbeatMs = v as number),
  },
  {
    flag: 'max-message-bytes',
    env: 'MAX_MESSAGE_BYTES',
    kind: 'number',
    apply: (o, v) => (o.maxMessageBytes = v as number),
  },
  {
    flag: 'max-room-size',
    env: 'MAX_ROOM_SIZE',
    kind: 'number',
    apply: (o, v) => (o.maxRoomSize = v as number),
  },
  {
    flag: 'max-connections-per-ip',
    env: 'MAX_CONNECTIONS_PER_IP',
    kind: 'number',
    apply: (o, v) => (o.maxConnectionsPerIp = v as number),
  },
  {
    flag: 'messages-per-second',
    env: 'MESSAGES_PER_SECOND',
    kind: 'number',
    apply: (o, v) => (o.messagesPerSecond = v as number),
  },
  {
    flag: 'message-burst',
    env: 'MESSAGE_BURST',
    kind: 'number',
    apply: (o, v) => (o.messageBurst = v as number),
  },
  {
    flag: 'ping-interval-ms',
    env: 'PING_INTERVAL_MS',
    kind: 'number',
    apply: (o, v) => (o.pingIntervalMs = v as number),
  },
  {
    flag: 'resume-grace-ms',
    env: 'RESUME_GRACE_MS',
    kind: 'number',
    apply: (o, v) => (o.resumeGraceMs = v as number),
  },
  {
    flag: 'shutdown-timeout-ms',
    env: 'SHUTDOWN_TIMEOUT_MS',
    kind: 'number',
    apply: (o, v) => (o.shutdownTimeoutMs = v as number),
  },
  {
    flag: 'max-send-buffer-bytes',
    env: 'MAX_SEND_BUFFER_BYTES',
    kind: 'number',
    apply: (o, v) => (o.maxSendBufferBytes = v as number),
  },
  {
    flag: 'handshake-timeout-ms',
    env: 'HANDSHAKE_TIMEOUT_MS',
    kind: 'number',
    apply: (o, v) => (o.handshakeTimeoutMs = v as number),
  },
  {
    flag: 'max-grace-buffer-bytes',
    env: 'MAX_GRACE_BUFFER_BYTES',
    kind: 'number',
    apply: (o, v) => (o.maxGraceBufferBytes = v as number),
  },
  {
    flag: 'max-connections',
    env: 'MAX_CONNECTIONS',
    kind: 'number',
    apply: (o, v) => (o.maxConnections = v as number),
  },
  {
    flag: 'max-pending-upgrades',
    env: 'MAX_PENDING_UPGRADES',
    kind: 'number',
    apply: (o, v) => (o.maxPendingUpgrades = v as number),
  },
  {
    flag: 'redis-max-inflight-bytes',
    env: 'REDIS_MAX_INFLIGHT_BYTES',
    kind: 'number',
    apply: (o, v) => (o.redisMaxInflightBytes = v as number),
  },
  {
    flag: 'redis-max-queued-bytes',
    env: 'REDIS_MAX_QUEUED_BYTES',
    kind: 'number',
    apply: (o, v) => (o.redisMaxQueuedBytes = v as number),
  },
  {
    flag: 'resume-secret',
    env: 'RESUME_SECRET',
    kind: 'string',
    apply: (o, v) => (o.resumeSecret = v as string),
  },
  {
    flag: 'trust-proxy',
    env: 'TRUST_PROXY',
    kind: 'number',
    apply: (o, v) => (o.trustProxy = v as number),
  },
  {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'string',
    apply: (o, v) => (o.logger = v as string),
  },
];

function convert(setting: Setting, text: string): string | number | string[] | boolean {
  switch (setting.kind) {
    case 'string':
      return text;
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'boolean':
      return text === '' || text === 'true' || text === '1';
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0) {
        throw new Error(
          `--${setting.flag} / ${setting.env} must be a non-negative number, got "${text}"`,
        );
      }
      return n;
    }
  }
}

/**
 * Reads server options from command-line flags (`--port 8080`) and environment variables
 * (`PORT=8080`); flags win over the environment.
 * @param argv - Arguments after the script name.
 * @param env - The environment.
 * @returns Options for `createSignalingServer` (port defaults to 8080, host to 0.0.0.0).
 */
export function readConfig(
  argv: string[],
  env: Record<string, string | undefined>,
): SignalingServerOptions {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      settings.map((s) => [s.flag, { type: s.kind === 'boolean' ? 'boolean' : 'string' }] as const),
    ),
    strict: true,
  });
  const options: SignalingServerOptions = { port: 8080, host: '0.0.0.0' };
  for (const setting of settings) {
    const fromFlag = values[setting.flag];
    const text = typeof fromFlag === 'boolean' ? String(fromFlag) : (fromFlag ?? env[setting.env]);
    if (text !== undefined) setting.apply(options, convert(setting, text));
  }
  if (options.auth && options.auth.secret === '') throw new Error('AUTH_MODE needs AUTH_SECRET');
  if (options.turn && (options.turn.secret === '' || options.turn.urls.length === 0)) {
    throw new Error('TURN needs both TURN_SECRET and TURN_URLS');
  }
  return options;
}

/** Flag, environment variable pairs, for `--help`. */
export const settingNames: readonly { flag: string; env: string }[] = settings.map((s) => ({
  flag: s.flag,
  env: s.env,
}));
