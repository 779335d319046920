// Node peers for the online tests: joinOnline with ws and @roamhq/wrtc, a HashGame each, and a
// Driver ticking each session. Everything a test opens is closed by `closeAll`.
import { createRequire } from 'node:module';
import { joinOnline } from '@rbn/online';
import type { JoinOnlineOptions } from '@rbn/online';
import type { Session } from '@rbn/session';
import type { WebRTCImplementation } from '@rbn/transport-webrtc';
import { WebSocket } from 'ws';
import { Driver, Waits } from './driver';
import { HashGame } from './hash-game';

/** Node's WebRTC implementation. */
export const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as WebRTCImplementation;

/**
 * `hostLossGraceMs` of every session these tests open (pages too, see `join` in ./pages.ts)
 * unless a test sets its own: the library's 3 s is for hosts in pages of their own. A Node
 * host here shares one process with the signaling server, the browsers' driver and vitest; on a
 * loaded machine that process stalls past the WebRTC keepalive now and then, and the pages'
 * reconnection to it (signaled through that same process) can take longer than 3 s, so they
 * took over from a host that was only slow and the room split in two (the README's documented
 * limit). No test here loses a host by silence alone: a closed or crashed host page is reported
 * gone by its goodbye or by the signaling server, which skips the grace.
 */
export const HOST_LOSS_GRACE_MS = 20_000;

/** A Node peer in an online room. */
export type NodePeer = { session: Session; game: HashGame; driver: Driver; index: number };

/** Node peers of one test, sharing its waits. */
export class NodePeers {
  readonly waits = new Waits();
  readonly peers: NodePeer[] = [];

  /**
   * Joins `url` as peer `index` with joinOnline (ws + wrtc) and starts its game loop at once.
   * @param url - Signaling URL with the room.
   * @param index - Picks the scripted input.
   * @param extra - More joinOnline options.
   */
  async join(
    url: string,
    index: number,
    extra: Partial<JoinOnlineOptions> = {},
  ): Promise<NodePeer> {
    const game = new HashGame();
    const session = await joinOnline({
      url,
      game,
      WebSocket,
      wrtc,
      pageEvents: null,
      ...extra,
      config: { hashInterval: 30, hostLossGraceMs: HOST_LOSS_GRACE_MS, ...extra.config },
    });
    const driver = new Driver(session, index, this.waits.check, game);
    const peer = { session, game, driver, index };
    this.peers.push(peer);
    driver.start();
    return peer;
  }

  /** A line naming each peer's state and ticks, for hang-cap messages. */
  status = (): string =>
    this.peers
      .map(
        (p) =>
          `#${p.index}: state ${p.session.state} tick ${p.session.currentTick} confirmed ${p.session.confirmedTick} players ${p.session.players.size} errors [${p.driver.errors.map((e) => e.message).join('; ')}]`,
      )
      .join(' | ');

  /** Waits until every peer confirmed `tick` (hang cap names the peers' progress). */
  allConfirmed(tick: number, capMs = 150_000): Promise<void> {
    return this.waits.until(
      () => this.peers.every((p) => p.game.confirmed >= tick),
      `every peer confirming tick ${tick}`,
      capMs,
      this.status,
    );
  }

  /** Stops every loop and destroys every session (which leaves and closes the connections). */
  closeAll(): void {
    for (const peer of this.peers.splice(0)) {
      peer.driver.stop();
      peer.session.destroy();
    }
  }
}
