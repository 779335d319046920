import * as online from '@rbn/online';
import { runReadme } from '@rbn/readme-examples';
import { SessionState } from '@rbn/session';
import type { Session } from '@rbn/session';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { compareConfirmed } from '../src/driver';
import { HashGame, scriptedInput } from '../src/hash-game';
import { NodePeers, wrtc } from '../src/node-peers';
import { useSignalingServers } from '../src/signaling-server';

/** What the README block expects of a page (and what a browser gives it). */
const PAGE_GLOBALS = [
  'WebSocket',
  'RTCPeerConnection',
  'RTCSessionDescription',
  'RTCIceCandidate',
  'requestAnimationFrame',
  'readLocalInput',
  'render',
  'game',
] as const;
const page = globalThis as unknown as Record<(typeof PAGE_GLOBALS)[number], unknown>;

const { start } = useSignalingServers();
let peers = new NodePeers();
let stopFrames = (): void => undefined;
let blockSession: Session | undefined;
afterEach(() => {
  stopFrames();
  blockSession?.destroy();
  blockSession = undefined;
  peers.closeAll();
  peers = new NodePeers();
  for (const name of PAGE_GLOBALS) delete page[name];
});

/**
 * Gives the block a page in Node: WebRTC and WebSocket globals (the WebSocket sends the
 * README's `wss://signal.example` to the test's server), an animation frame queue on timers,
 * and the game's hooks.
 */
function fakePage(serverUrl: string, game: HashGame, onFrame: () => void): void {
  page.WebSocket = class extends WebSocket {
    constructor(url: string) {
      super(url.replace('wss://signal.example', serverUrl));
    }
  };
  const webrtc = wrtc as unknown as Record<string, unknown>;
  page.RTCPeerConnection = webrtc['RTCPeerConnection'];
  page.RTCSessionDescription = webrtc['RTCSessionDescription'];
  page.RTCIceCandidate = webrtc['RTCIceCandidate'];
  let running = true;
  stopFrames = () => {
    running = false;
  };
  page.requestAnimationFrame = (callback: (time: number) => void) =>
    setTimeout(() => {
      if (!running) return;
      callback(performance.now());
      onFrame();
    }, 1000 / 60);
  page.game = game;
  page.render = () => undefined;
}

const readmes = [
  ['the root README', new URL('../../../README.md', import.meta.url)],
  ['the @rbn/online README', new URL('../../../packages/online/README.md', import.meta.url)],
] as const;

describe.each(readmes)('%s', (_name, readme) => {
  it('runs "online in ten lines" as written: it meets a Node peer and plays in step', async () => {
    const server = await start();
    const game = new HashGame();
    fakePage(server.wsUrl, game, () => {
      // Between frames: the game takes the hashes of the ticks its session confirmed.
      if (blockSession) game.confirm(blockSession.confirmedTick);
      peers.waits.check();
    });
    page.readLocalInput = () => new Uint8Array([scriptedInput(0, blockSession?.currentTick ?? 0)]);
    const { probed } = await runReadme(readme, { '@rbn/online': online }, ['__probe(session);']);
    const block = probed[0] as Session;
    blockSession = block;
    // The block's peer came first, so it hosts; a second player makes the group of two.
    expect(block.isHost).toBe(true);
    const other = await peers.join(`${server.wsUrl}/my-room?next=2`, 1);
    await peers.waits.until(
      () => block.confirmedTick >= 300 && other.session.confirmedTick >= 300,
      'both peers confirming tick 300',
      120_000,
      () => `block: ${block.state} ${block.confirmedTick}; ${peers.status()}`,
    );
    expect(block.state).toBe(SessionState.Playing);
    const result = compareConfirmed([game, other.game]);
    expect(result.to).toBeGreaterThanOrEqual(300);
    expect(result.missing).toEqual([]);
    expect(result.mismatches).toEqual([]);
  });
});
