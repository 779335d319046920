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
