import { describe, expect, it } from 'vitest';
import { readConfig } from './config.js';

describe('readConfig', () => {
  it('reads the environment, and flags win over it', () => {
    const options = readConfig(['--port', '9000', '--max-room-size', '8'], {
      PORT: '7000',
      HOST: '127.0.0.1',
      ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      TURN_SECRET: 's',
      TURN_URLS: 'turn:t.example:3478,turns:t.example:5349',
      REDIS_URL: 'redis://r:6379',
      MAX_MESSAGE_BYTES: '1024',
    });
    expect(options).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      allowedOrigins: ['https://a.example', 'https://b.example'],
      turn: { secret: 's', urls: ['turn:t.example:3478', 'turns:t.example:5349'] },
      redisUrl: 'redis://r:6379',
      maxMessageBytes: 1024,
      maxRoomSize: 8,
    });
  });

  it('reads the abuse limits and the number of trusted proxy hops', () => {
    const options = readConfig(
      ['--trust-proxy', '2', '--max-connections', '5000', '--max-pending-upgrades', '64'],
      {
        MAX_GRACE_BUFFER_BYTES: '1048576',
        REDIS_MAX_INFLIGHT_BYTES: '65536',
        REDIS_MAX_QUEUED_BYTES: '1048576',
      },
    );
    expect(options).toMatchObject({
      trustProxy: 2,
      maxConnections: 5000,
      maxPendingUpgrades: 64,
      maxGraceBufferBytes: 1_048_576,
      redisMaxInflightBytes: 65_536,
      redisMaxQueuedBytes: 1_048_576,
    });
    // The hop count is a number: "true" (the old boolean form) is refused by name.
    expect(() => readConfig([], { TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
  });

  it('defaults to port 8080 on every interface', () => {
    expect(readConfig([], {})).toMatchObject({ port: 8080, host: '0.0.0.0' });
  });

  it('names the setting that is wrong', () => {
    expect(() => readConfig([], { PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => readConfig([], { TURN_SECRET: 's' })).toThrow(/TURN_URLS/);
    expect(() => readConfig([], { AUTH_MODE: 'hmac' })).toThrow(/AUTH_SECRET/);
    expect(() => readConfig(['--nope'], {})).toThrow(/nope/);
  });
});
