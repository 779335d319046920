import { describe, expect, it } from 'vitest';
import { joinOnline } from './join-online';
import type { JoinOnlineOptions } from './join-online';

const game = {
  serialize: () => new Uint8Array(0),
  deserialize: () => undefined,
  step: () => undefined,
  hash: () => 0,
};

/** A WebSocket that records the URLs it is opened with and never connects. */
function recordingSocket(urls: string[]) {
  return class {
    readyState = 0;
    onmessage = null;
    onclose = null;
    onerror = null;
    constructor(url: string) {
      urls.push(url);
    }
    send(): void {}
    close(): void {}
  };
}

describe('joinOnline', () => {
  it.each([
    ['no url', { game }],
    ['an http url', { url: 'http://signal.example/room', game }],
    ['no game', { url: 'ws://signal.example/room' }],
    ['metadata over 256 bytes', { url: 'ws://x/room', game, metadata: new Uint8Array(257) }],
    ['metadata that is not bytes', { url: 'ws://x/room', game, metadata: 'Ana' }],
  ])('refuses %s', async (_label, options) => {
    await expect(joinOnline(options as JoinOnlineOptions)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('opens no socket when the signal is already aborted', async () => {
    const urls: string[] = [];
    const controller = new AbortController();
    controller.abort(new Error('not now'));
    await expect(
      joinOnline({
        url: 'ws://signal.example/room',
        game,
        WebSocket: recordingSocket(urls),
        signal: controller.signal,
      }),
    ).rejects.toThrow('not now');
    expect(urls).toEqual([]);
  });

  it('rejects with the reason when aborted while connecting', async () => {
    const urls: string[] = [];
    const controller = new AbortController();
    const joining = joinOnline({
      url: 'ws://signal.example/room?next=2',
      game,
      WebSocket: recordingSocket(urls),
      signal: controller.signal,
    });
    controller.abort(new Error('gave up'));
    await expect(joining).rejects.toThrow('gave up');
    expect(urls).toEqual(['ws://signal.example/room?next=2']);
  });
});
